// CircuitBreaker: one per subscriber. closed -> open after N consecutive
// failures (or a failure ratio over a time window), open -> half-open after a
// cool-down, half-open -> closed after M successes (any failure re-opens).
// While open, the bus does not hand events to the subscriber; they go to the
// dead letters with reason "circuit open".
//
// Thread-safe: allow() is one atomic load while closed; transitions take a
// mutex. Times are steady-clock nanoseconds passed in by the caller.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "bus/bus_options.h"

namespace chorus::bus {

// The outcome of one handler call, as the breaker counts it.
enum class CallOutcome { kSuccess, kFailure };

class CircuitBreaker {
 public:
  enum class State : uint8_t { kClosed, kOpen, kHalfOpen };
  struct Transition {
    State to;
    std::string reason;
  };

  explicit CircuitBreaker(const BreakerPolicy& policy) : policy_(policy) {}

  bool enabled() const { return policy_.failure_threshold > 0 || policy_.failure_ratio > 0; }
  // Whether the next event may be handed over. An open breaker whose
  // cool-down has passed becomes half-open here (reported in `t`).
  bool allow(int64_t now_ns, std::optional<Transition>& t);
  // Records the outcome of one handler call. A success while closed (the
  // common case) takes no lock and needs no time unless the ratio window is
  // on, so record_lazy() calls `now()` (the clock) only when it must.
  template <typename NowFn>
  void record_lazy(CallOutcome outcome, NowFn&& now, std::optional<Transition>& t) {
    if (!enabled()) return;
    if (outcome == CallOutcome::kSuccess && policy_.failure_ratio <= 0 &&
        state_.load(std::memory_order_acquire) == State::kClosed) {
      if (consecutive_failures_.load(std::memory_order_relaxed) != 0)
        consecutive_failures_.store(0, std::memory_order_relaxed);
      return;
    }
    record_slow(outcome, now(), t);
  }
  void record(CallOutcome outcome, int64_t now_ns, std::optional<Transition>& t) {
    record_lazy(
        outcome, [now_ns] { return now_ns; }, t);
  }

  State state() const noexcept { return state_.load(std::memory_order_acquire); }

 private:
  static constexpr int kBuckets = 10;
  struct Bucket {
    int64_t start_ns = 0;
    uint32_t calls = 0;
    uint32_t failures = 0;
  };
  void record_slow(CallOutcome outcome, int64_t now_ns, std::optional<Transition>& t);
  void open(int64_t now_ns, std::string reason, std::optional<Transition>& t);
  Bucket& bucket_for(int64_t now_ns);

  const BreakerPolicy policy_;
  std::atomic<State> state_{State::kClosed};
  std::mutex mu_;
  std::atomic<int> consecutive_failures_{0};
  int half_open_successes_ = 0;
  int64_t opened_at_ns_ = 0;
  std::array<Bucket, kBuckets> window_{};
};

std::string_view breaker_state_name(CircuitBreaker::State s);

}  // namespace chorus::bus
