// The `bus:` config section mapped onto bus::BusOptions (the runtime's
// config -> options step): the defaults agree, and every key reaches the bus.
#include "cli/bus_options_from.h"

#include <catch2/catch.hpp>

#include "config/config.h"

using namespace chorus;
using namespace std::chrono_literals;

TEST_CASE("bus options from config: the section's defaults are the bus's defaults") {
  CHECK(cli::bus_options_from(config::BusSection{}) == bus::BusOptions{});
  CHECK(cli::bus_options_from(config::default_config().bus) == bus::BusOptions{});
}

TEST_CASE("bus options from config: every key is mapped") {
  auto r = config::parse_config(R"(
bus:
  workers: 2
  queue_bound: 500
  overflow: reject
  block_timeout: 250ms
  match_cache_size: 4096
  idle_spin: 50us
  dead_letter_capacity: 100
  shutdown_timeout: 2s
  retry:
    max_attempts: 5
    initial_backoff: 10ms
    max_backoff: 1m
    multiplier: 1.5
    jitter: 0.1
  breaker:
    failure_threshold: 3
    failure_ratio: 0.5
    ratio_window: 30s
    min_calls: 10
    cooldown: 5s
    success_threshold: 1
)",
                                "t.yaml");
  REQUIRE(r.ok());
  const bus::BusOptions o = cli::bus_options_from(r->bus);
  CHECK(o.workers == 2);
  CHECK(o.queue_bound == 500);
  CHECK(o.overflow == bus::OverflowPolicy::kReject);
  CHECK(o.block_timeout == 250ms);
  CHECK(o.match_cache_size == 4096);
  CHECK(o.idle_spin == 50us);
  CHECK(o.dead_letter_capacity == 100);
  CHECK(o.shutdown_timeout == 2s);
  CHECK(o.retry.max_attempts == 5);
  CHECK(o.retry.initial_backoff == 10ms);
  CHECK(o.retry.max_backoff == 1min);
  CHECK(o.retry.multiplier == 1.5);
  CHECK(o.retry.jitter == 0.1);
  CHECK(o.breaker.failure_threshold == 3);
  CHECK(o.breaker.failure_ratio == 0.5);
  CHECK(o.breaker.ratio_window == 30s);
  CHECK(o.breaker.min_calls == 10);
  CHECK(o.breaker.cooldown == 5s);
  CHECK(o.breaker.success_threshold == 1);
}

TEST_CASE("bus options from config: each overflow policy maps to its namesake") {
  using config::OverflowPolicy;
  const std::pair<OverflowPolicy, bus::OverflowPolicy> pairs[] = {
      {OverflowPolicy::kBlock, bus::OverflowPolicy::kBlock},
      {OverflowPolicy::kDropOldest, bus::OverflowPolicy::kDropOldest},
      {OverflowPolicy::kDropNewest, bus::OverflowPolicy::kDropNewest},
      {OverflowPolicy::kReject, bus::OverflowPolicy::kReject},
  };
  for (const auto& [from, to] : pairs) {
    config::BusSection s;
    s.overflow = from;
    CHECK(cli::bus_options_from(s).overflow == to);
  }
}
