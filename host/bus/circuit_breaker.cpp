// Circuit breaker state machine with a bucketed failure-ratio window.
#include "bus/circuit_breaker.h"

#include <fmt/core.h>

namespace chorus::bus {

std::string_view breaker_state_name(CircuitBreaker::State s) {
  switch (s) {
    case CircuitBreaker::State::kClosed:
      return "closed";
    case CircuitBreaker::State::kOpen:
      return "open";
    case CircuitBreaker::State::kHalfOpen:
      return "half_open";
  }
  return "closed";
}

bool CircuitBreaker::allow(int64_t now_ns, std::optional<Transition>& t) {
  const State s = state_.load(std::memory_order_acquire);
  if (s != State::kOpen) return true;
  std::lock_guard lock(mu_);
  if (state_.load(std::memory_order_relaxed) != State::kOpen) return true;
  const int64_t cooldown = std::chrono::nanoseconds(policy_.cooldown).count();
  if (now_ns - opened_at_ns_ < cooldown) return false;
  state_.store(State::kHalfOpen, std::memory_order_release);
  half_open_successes_ = 0;
  t = Transition{State::kHalfOpen,
                 fmt::format("cool-down of {}ms passed", policy_.cooldown.count())};
  return true;
}

CircuitBreaker::Bucket& CircuitBreaker::bucket_for(int64_t now_ns) {
  const int64_t width =
      std::max<int64_t>(1, std::chrono::nanoseconds(policy_.ratio_window).count() / kBuckets);
  const int64_t slot = now_ns / width;
  Bucket& b = window_[static_cast<size_t>(slot % kBuckets)];
  if (b.start_ns != slot * width) b = Bucket{slot * width, 0, 0};
  return b;
}

void CircuitBreaker::open(int64_t now_ns, std::string reason, std::optional<Transition>& t) {
  state_.store(State::kOpen, std::memory_order_release);
  opened_at_ns_ = now_ns;
  consecutive_failures_.store(0, std::memory_order_relaxed);
  window_ = {};
  t = Transition{State::kOpen, std::move(reason)};
}

void CircuitBreaker::record_slow(CallOutcome outcome, int64_t now_ns,
                                 std::optional<Transition>& t) {
  const bool success = outcome == CallOutcome::kSuccess;
  std::lock_guard lock(mu_);
  const State s = state_.load(std::memory_order_relaxed);
  if (s == State::kHalfOpen) {
    if (!success) {
      open(now_ns, "failure while half-open", t);
    } else if (++half_open_successes_ >= policy_.success_threshold) {
      state_.store(State::kClosed, std::memory_order_release);
      consecutive_failures_.store(0, std::memory_order_relaxed);
      t = Transition{State::kClosed,
                     fmt::format("{} successes while half-open", half_open_successes_)};
    }
    return;
  }
  if (s == State::kOpen) return;  // a call that started before the breaker opened

  Bucket& b = bucket_for(now_ns);
  ++b.calls;
  if (success) {
    consecutive_failures_.store(0, std::memory_order_relaxed);
    return;
  }
  ++b.failures;
  const int consecutive = consecutive_failures_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (policy_.failure_threshold > 0 && consecutive >= policy_.failure_threshold) {
    open(now_ns, fmt::format("{} consecutive failures", consecutive), t);
    return;
  }
  if (policy_.failure_ratio > 0) {
    const int64_t horizon = now_ns - std::chrono::nanoseconds(policy_.ratio_window).count();
    uint64_t calls = 0, failures = 0;
    for (const Bucket& w : window_) {
      if (w.start_ns > horizon) {
        calls += w.calls;
        failures += w.failures;
      }
    }
    if (calls >= static_cast<uint64_t>(policy_.min_calls) &&
        static_cast<double>(failures) >= policy_.failure_ratio * static_cast<double>(calls)) {
      open(now_ns,
           fmt::format("{} of {} calls failed within {}ms", failures, calls,
                       policy_.ratio_window.count()),
           t);
    }
  }
}

}  // namespace chorus::bus
