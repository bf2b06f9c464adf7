// The service record of the discovery registry: what a caller registers
// (ServiceSpec, with its HealthCheckSpec) and what it reads back
// (ServiceInfo: the spec plus the state the registry tracks). Field rules
// are in docs/discovery.md "Model"; validate_spec() (validate.h) checks them.
//
// A registered spec is immutable and shared: ServiceInfo holds it by
// shared_ptr<const>, so discover() and select() copy a pointer, not strings.
// Re-registering a service makes a new spec.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace chorus::discovery {

// Codes are stored (docs/store-format.md "Registry stream"): never renumber.
enum class ServiceStatus : uint8_t {
  kStarting = 1,
  kHealthy = 2,
  kUnhealthy = 3,
  kStopping = 4,
  kUnknown = 5,
};

// "starting", "healthy", "unhealthy", "stopping", "unknown".
std::string_view status_name(ServiceStatus s) noexcept;
Result<ServiceStatus> parse_status(std::string_view text);

// Stored codes too.
enum class CheckKind : uint8_t { kNone = 0, kHttp = 1, kTcp = 2, kCustom = 3 };
std::string_view check_kind_name(CheckKind k) noexcept;

// How the host probes a service. Unset settings take the registry's
// defaults (DiscoveryOptions::check) when the check runs, so a reload of the
// defaults reaches every check that did not set its own.
struct HealthCheckSpec {
  CheckKind kind = CheckKind::kNone;
  std::string path;   // http: the request path (empty: the default, "/health")
  std::string name;   // custom: the name the check was added under
  uint16_t port = 0;  // http/tcp: 0 = the service's port
  std::optional<std::chrono::milliseconds> interval, timeout;
  std::optional<uint32_t> failures_before_unhealthy, successes_before_healthy;

  friend bool operator==(const HealthCheckSpec&, const HealthCheckSpec&) = default;
};

struct ServiceSpec {
  std::string id;        // unique
  std::string agent_id;  // empty: the id (the bus subscriber that takes its requests)
  std::string name;      // empty: the id
  std::string type;      // empty: "agent"
  std::string host;
  uint16_t port = 0;
  std::string protocol;  // empty: "bus"
  std::vector<std::string> capabilities;
  std::vector<std::string> tags;
  std::vector<std::pair<std::string, std::string>> metadata;  // keys unique
  HealthCheckSpec check;
  std::string version;
  uint32_t weight = 1;
  // Heartbeat TTL: unset = DiscoveryOptions::ttl; 0 = no heartbeats expected.
  std::optional<std::chrono::milliseconds> ttl;

  friend bool operator==(const ServiceSpec&, const ServiceSpec&) = default;
};

// Where a record came from.
enum class Origin : uint8_t {
  kDynamic,  // register_service(): journaled, removed after deregister_after
  kStatic,   // the configuration (discovery.services): never journaled or removed
};

// A registered service as the registry sees it at one moment (a copy).
struct ServiceInfo {
  std::shared_ptr<const ServiceSpec> spec;  // never null in a returned info
  Origin origin = Origin::kDynamic;
  ServiceStatus status = ServiceStatus::kUnknown;
  int64_t registered_ns = 0;      // wall clock (the registry's clock)
  int64_t last_heartbeat_ns = 0;  // registration counts as the first
  int64_t status_since_ns = 0;
  uint32_t active = 0;  // connections counted by select() and not released
  // Opaque: names this registration for Registry::release(const ServiceInfo&),
  // which then needs no lookup by id (and ignores a registration that is gone).
  uint64_t handle = 0;

  const std::string& id() const noexcept { return spec->id; }
  const std::string& agent_id() const noexcept { return spec->agent_id; }
};

}  // namespace chorus::discovery
