// BusOptions: the bus's own settings and the policies a subscription may
// override (overflow, retry, circuit breaker). The bus reads nothing else:
// the `bus:` config section (config::BusSection) is mapped onto these by the
// runtime, so no config type appears in the bus's API. Plain values, copied
// into the bus at construction; the defaults are the documented ones
// (docs/bus.md, "Configuration").
#pragma once

#include <chrono>
#include <cstddef>

namespace chorus::bus {

// What a full subscriber queue does with one more event.
enum class OverflowPolicy {
  kBlock,       // the publisher waits up to block_timeout, then gets Timeout
  kDropOldest,  // the oldest queued event of the lowest priority is dropped (counted)
  kDropNewest,  // the new event is dropped (counted); the publisher is not told
  kReject,      // the publisher gets ResourceExhausted
};

struct RetryPolicy {
  int max_attempts = 3;  // deliveries in all, the first included; 1 = no retry
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10'000};
  double multiplier = 2.0;  // backoff grows by this factor per attempt
  double jitter = 0.2;      // each delay is randomised by +/- this fraction

  friend bool operator==(const RetryPolicy&, const RetryPolicy&) = default;
};

struct BreakerPolicy {
  int failure_threshold = 5;  // consecutive failures that open it; 0 disables the breaker
  double failure_ratio = 0;   // >0: also open when failures/calls over the window reach it
  std::chrono::milliseconds ratio_window{10'000};
  int min_calls = 20;                          // calls in the window before the ratio counts
  std::chrono::milliseconds cooldown{30'000};  // open -> half-open
  int success_threshold = 2;                   // successes in half-open that close it

  friend bool operator==(const BreakerPolicy&, const BreakerPolicy&) = default;
};

struct BusOptions {
  // 0: the bus shares the io_context it is given; n: the runtime gives it an
  // io_context run by a pool of n threads of its own. (Read by whoever makes
  // the io_context; the bus itself only runs on the one it is handed.)
  int workers = 0;
  size_t queue_bound = 10'000;  // events queued per async subscriber
  OverflowPolicy overflow = OverflowPolicy::kBlock;
  std::chrono::milliseconds block_timeout{1'000};
  size_t match_cache_size = 1'024;  // event types cached per thread; 0 disables the cache
  // An async subscriber's drain that empties its queue keeps polling it this
  // long before its thread goes idle: lower latency at moderate rates (an
  // idle thread takes tens of microseconds to wake on a VM), at the cost of
  // that much CPU per burst. 0 turns it off.
  std::chrono::microseconds idle_spin{0};
  size_t dead_letter_capacity = 10'000;  // of the in-memory dead-letter store
  std::chrono::milliseconds shutdown_timeout{5'000};
  RetryPolicy retry;
  BreakerPolicy breaker;

  friend bool operator==(const BusOptions&, const BusOptions&) = default;
};

}  // namespace chorus::bus
