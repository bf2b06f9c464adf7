// Retry delays: exponential backoff with jitter, per RetryPolicy.
#pragma once

#include <chrono>
#include <cstdint>

#include "bus/bus_options.h"

namespace chorus::bus {

// The delay before delivery attempt `next_attempt` (2 for the first retry):
// initial * multiplier^(next_attempt-2), capped at max_backoff, then scaled by
// a uniform factor in [1 - jitter, 1 + jitter] (and capped again). `random01`
// is a uniform number in [0, 1).
std::chrono::nanoseconds retry_delay(const RetryPolicy& p, uint32_t next_attempt, double random01);

// A uniform number in [0, 1) from a per-thread generator.
double random01() noexcept;

}  // namespace chorus::bus
