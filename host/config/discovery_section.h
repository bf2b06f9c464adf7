// The `discovery:` section: registry defaults (TTL, removal, checks,
// strategies, requests) and the static services the host probes
// (docs/config.md "discovery", docs/discovery.md). A plain struct: the
// runtime maps it onto discovery::DiscoveryOptions, so config does not
// depend on the discovery module. Field rules mirror discovery's own
// validation (host/discovery/validate.cpp; a runtime test keeps them equal)
// so that `chorus check` reports a bad service with file:line:col.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chorus::config {

class MapReader;

enum class DiscoveryStrategy {
  kRoundRobin,
  kWeightedRoundRobin,
  kLeastConnections,
  kRandom,
  kHealthBased,
  kResponseTime,
  kPowerOfTwo,
};

enum class DiscoveryCheckKind { kNone, kHttp, kTcp, kCustom };

// One service's check; unset values take discovery.check's.
struct DiscoveryServiceCheck {
  DiscoveryCheckKind kind = DiscoveryCheckKind::kNone;
  std::string path;   // http
  std::string name;   // custom
  uint16_t port = 0;  // 0: the service's port
  std::optional<std::chrono::milliseconds> interval, timeout;
  std::optional<uint32_t> failures_before_unhealthy, successes_before_healthy;

  friend bool operator==(const DiscoveryServiceCheck&, const DiscoveryServiceCheck&) = default;
};

// An entry of discovery.services (the map key is its id).
struct DiscoveryService {
  std::string id, agent_id, name, type, host;
  uint16_t port = 0;
  std::string protocol;
  std::vector<std::string> capabilities, tags;
  std::vector<std::pair<std::string, std::string>> metadata;
  DiscoveryServiceCheck check;
  std::string version;
  uint32_t weight = 1;
  std::optional<std::chrono::milliseconds> ttl;  // unset: no heartbeats expected

  friend bool operator==(const DiscoveryService&, const DiscoveryService&) = default;
};

struct DiscoveryCheckDefaults {
  std::chrono::milliseconds interval{10'000};
  std::chrono::milliseconds timeout{2'000};
  uint32_t failures_before_unhealthy = 3;
  uint32_t successes_before_healthy = 2;
  std::string http_path = "/health";

  friend bool operator==(const DiscoveryCheckDefaults&, const DiscoveryCheckDefaults&) = default;
};

struct DiscoverySection {
  std::chrono::milliseconds ttl{30'000};
  std::chrono::milliseconds deregister_after{300'000};
  std::chrono::milliseconds sweep_interval{1'000};
  std::chrono::milliseconds checkpoint_interval{10'000};
  uint64_t snapshot_every = 1'000;
  uint64_t max_services = 100'000;
  uint64_t max_pools = 1'024;
  uint64_t max_checks_in_flight = 64;
  DiscoveryStrategy strategy = DiscoveryStrategy::kRoundRobin;
  DiscoveryCheckDefaults check;
  std::chrono::milliseconds request_timeout{5'000};
  uint32_t request_attempts = 3;
  std::map<std::string, DiscoveryStrategy> capability_strategies;
  std::vector<DiscoveryService> services;  // in file order

  friend bool operator==(const DiscoverySection&, const DiscoverySection&) = default;
};

void parse_discovery_section(MapReader& r, DiscoverySection& out);

}  // namespace chorus::config
