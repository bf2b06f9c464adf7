// The `bus:` section: defaults for delivery queues, overflow, retries,
// circuit breakers and dead letters. Per-subscription options override them.
#pragma once

#include <chrono>
#include <cstddef>

namespace chorus::config {

class MapReader;

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

struct BusSection {
  int workers = 0;  // 0: share the host's worker threads; n: a pool of its own
  size_t queue_bound = 10'000;
  OverflowPolicy overflow = OverflowPolicy::kBlock;
  std::chrono::milliseconds block_timeout{1'000};
  size_t match_cache_size = 1'024;  // topics cached per thread
  // An async subscriber's drain that empties its queue keeps polling it this
  // long before its thread goes idle: lower latency at moderate rates (an
  // idle thread takes tens of microseconds to wake on a VM), at the cost of
  // that much CPU per burst. 0 turns it off.
  std::chrono::microseconds idle_spin{0};
  size_t dead_letter_capacity = 10'000;
  std::chrono::milliseconds shutdown_timeout{5'000};
  RetryPolicy retry;
  BreakerPolicy breaker;

  friend bool operator==(const BusSection&, const BusSection&) = default;
};

void parse_bus_section(MapReader& r, BusSection& out);

}  // namespace chorus::config
