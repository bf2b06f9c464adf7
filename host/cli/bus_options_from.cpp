// config::BusSection -> bus::BusOptions, field by field.
#include "cli/bus_options_from.h"

namespace chorus::cli {
namespace {

bus::OverflowPolicy overflow_from(config::OverflowPolicy p) {
  switch (p) {
    case config::OverflowPolicy::kBlock:
      return bus::OverflowPolicy::kBlock;
    case config::OverflowPolicy::kDropOldest:
      return bus::OverflowPolicy::kDropOldest;
    case config::OverflowPolicy::kDropNewest:
      return bus::OverflowPolicy::kDropNewest;
    case config::OverflowPolicy::kReject:
      return bus::OverflowPolicy::kReject;
  }
  return bus::OverflowPolicy::kBlock;
}

bus::RetryPolicy retry_from(const config::RetryPolicy& c) {
  bus::RetryPolicy p;
  p.max_attempts = c.max_attempts;
  p.initial_backoff = c.initial_backoff;
  p.max_backoff = c.max_backoff;
  p.multiplier = c.multiplier;
  p.jitter = c.jitter;
  return p;
}

bus::BreakerPolicy breaker_from(const config::BreakerPolicy& c) {
  bus::BreakerPolicy p;
  p.failure_threshold = c.failure_threshold;
  p.failure_ratio = c.failure_ratio;
  p.ratio_window = c.ratio_window;
  p.min_calls = c.min_calls;
  p.cooldown = c.cooldown;
  p.success_threshold = c.success_threshold;
  return p;
}

}  // namespace

bus::BusOptions bus_options_from(const config::BusSection& section) {
  bus::BusOptions o;
  o.workers = section.workers;
  o.queue_bound = section.queue_bound;
  o.overflow = overflow_from(section.overflow);
  o.block_timeout = section.block_timeout;
  o.match_cache_size = section.match_cache_size;
  o.idle_spin = section.idle_spin;
  o.dead_letter_capacity = section.dead_letter_capacity;
  o.shutdown_timeout = section.shutdown_timeout;
  o.retry = retry_from(section.retry);
  o.breaker = breaker_from(section.breaker);
  return o;
}

}  // namespace chorus::cli
