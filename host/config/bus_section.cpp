// Parsing of the `bus:` section (docs/config.md, docs/bus.md).
#include "config/bus_section.h"

#include "config/yaml_reader.h"

namespace chorus::config {

using std::chrono::milliseconds;

void parse_bus_section(MapReader& r, BusSection& out) {
  r.integer("workers", out.workers, 0, 256);
  r.integer("queue_bound", out.queue_bound, 1, 100'000'000);
  r.one_of("overflow", out.overflow,
           {{"block", OverflowPolicy::kBlock},
            {"drop_oldest", OverflowPolicy::kDropOldest},
            {"drop_newest", OverflowPolicy::kDropNewest},
            {"reject", OverflowPolicy::kReject}});
  r.duration("block_timeout", out.block_timeout, milliseconds(0), milliseconds(3'600'000));
  r.integer("match_cache_size", out.match_cache_size, 0, 1'048'576);
  r.duration("idle_spin", out.idle_spin, std::chrono::microseconds(0),
             std::chrono::microseconds(10'000));
  r.integer("dead_letter_capacity", out.dead_letter_capacity, 0, 100'000'000);
  r.duration("shutdown_timeout", out.shutdown_timeout, milliseconds(0), milliseconds(600'000));
  if (auto retry = r.map("retry")) {
    retry->integer("max_attempts", out.retry.max_attempts, 1, 1000);
    retry->duration("initial_backoff", out.retry.initial_backoff, milliseconds(0),
                    milliseconds(3'600'000));
    retry->duration("max_backoff", out.retry.max_backoff, milliseconds(0),
                    milliseconds(86'400'000));
    retry->number("multiplier", out.retry.multiplier, 1.0, 100.0);
    retry->number("jitter", out.retry.jitter, 0.0, 1.0);
    retry->finish();
  }
  if (auto breaker = r.map("breaker")) {
    breaker->integer("failure_threshold", out.breaker.failure_threshold, 0, 1'000'000);
    breaker->number("failure_ratio", out.breaker.failure_ratio, 0.0, 1.0);
    breaker->duration("ratio_window", out.breaker.ratio_window, milliseconds(1),
                      milliseconds(86'400'000));
    breaker->integer("min_calls", out.breaker.min_calls, 1, 1'000'000);
    breaker->duration("cooldown", out.breaker.cooldown, milliseconds(0), milliseconds(86'400'000));
    breaker->integer("success_threshold", out.breaker.success_threshold, 1, 1'000'000);
    breaker->finish();
  }
  r.finish();
}

}  // namespace chorus::config
