// DiscoveryOptions: everything the registry is configured with. The module
// knows nothing of YAML; host/runtime maps the `discovery:` section onto
// this struct (runtime/options_from_config.h). Keys and defaults are in
// docs/config.md "discovery".
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "discovery/service.h"
#include "discovery/strategy.h"

namespace chorus::discovery {

// Defaults for every check that leaves a setting unset.
struct CheckDefaults {
  std::chrono::milliseconds interval{10'000};
  std::chrono::milliseconds timeout{2'000};
  uint32_t failures_before_unhealthy = 3;
  uint32_t successes_before_healthy = 2;
  std::string http_path = "/health";

  friend bool operator==(const CheckDefaults&, const CheckDefaults&) = default;
};

struct DiscoveryOptions {
  // Heartbeat TTL of services that do not set one (0: no TTL).
  std::chrono::milliseconds ttl{30'000};
  // A dynamic service unhealthy this long is removed (0: never).
  std::chrono::milliseconds deregister_after{300'000};
  // How often TTLs and removals are checked (0: only when sweep() is called).
  std::chrono::milliseconds sweep_interval{1'000};
  // How often heartbeat times are journaled (0: only by checkpoint() and at shutdown).
  std::chrono::milliseconds checkpoint_interval{10'000};
  // A snapshot of the registry every this many journal records (0: only at shutdown).
  uint64_t snapshot_every = 1'000;
  size_t max_checks_in_flight = 64;
  CheckDefaults check;
  Strategy strategy = Strategy::kRoundRobin;
  std::map<std::string, Strategy, std::less<>> capability_strategies;
  std::chrono::milliseconds request_timeout{5'000};  // per attempt
  uint32_t request_attempts = 3;
  // Services from the configuration (Origin::kStatic).
  std::vector<ServiceSpec> static_services;
  // Bounds: registrations beyond max_services are ResourceExhausted;
  // selection pools (one per capability and tag set asked for) beyond
  // max_pools evict the least recently used one.
  size_t max_services = 100'000;
  size_t max_pools = 1'024;

  friend bool operator==(const DiscoveryOptions&, const DiscoveryOptions&) = default;
};

// The registry's wall clock in ns since the Unix epoch (default:
// chorus::wall_clock_ns). Tests inject one they move by hand. Must be
// thread-safe.
using Clock = std::function<int64_t()>;

}  // namespace chorus::discovery
