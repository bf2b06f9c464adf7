// Registry: the discovery core's public face. Services register with their
// capabilities, stay alive through heartbeats (TTL) or health checks run by
// the host, are found by type, capability and tags, and are picked by a
// load-balancing strategy; request_by_capability() sends a request over the
// bus to a picked agent and fails over. docs/discovery.md describes the
// model; this header is the contract plugins, Lua and the admin API bind to.
//
// Threading: every member function is thread-safe and may be called from any
// thread, including from bus handlers and from the callbacks below. The
// registry never calls out (bus, store, callbacks) while holding its lock.
//
// Callbacks:
//  - CustomCheck runs on an io thread of `RegistryEnv::io`; it must not
//    block, and completes by calling its `done` exactly once, from any
//    thread. A `done` after the check's timeout is ignored.
//  - request_by_capability's `done` runs once: on the thread that published
//    the reply or on an io thread (bus::EventBus::request's rule), or on the
//    calling thread when the request fails before anything was sent.
//
// Lifetime: `RegistryEnv::io`, `bus` and `store` must outlive the registry
// (until shutdown() returned). shutdown() (run by the destructor too) stops
// timers and checks, writes the last heartbeat checkpoint and a snapshot;
// afterwards calls return Unavailable, a request in flight completes with
// its bus result but does not fail over, and check results are dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "discovery/discovery_options.h"
#include "discovery/registry_stats.h"
#include "discovery/service.h"
#include "discovery/strategy.h"

namespace boost::asio {
class io_context;
}
namespace chorus::bus {
class EventBus;
}
namespace chorus::store {
class EventStore;
}

namespace chorus::discovery {

// What the registry runs on. Only `io` is required.
struct RegistryEnv {
  boost::asio::io_context* io = nullptr;  // timers, checks and event publishing
  bus::EventBus* bus = nullptr;           // null: no events, no request_by_capability
  store::EventStore* store = nullptr;     // null: nothing is persisted
  Clock clock;                            // empty: wall_clock_ns
};

enum class OnExisting : uint8_t {
  kFail,     // AlreadyExists when the id is taken (the default)
  kReplace,  // replace a dynamic record with the same id (a restarted agent)
};

struct RegisterOptions {
  OnExisting on_existing = OnExisting::kFail;
  // Unset: healthy without a check, starting with one (docs/discovery.md
  // "Status"). Anything but healthy is kept as the owner's override.
  std::optional<ServiceStatus> initial_status;
};

enum class HealthFilter : uint8_t { kHealthyOnly, kAny };

struct Query {
  std::string type;               // empty: any
  std::string capability;         // empty: any
  std::vector<std::string> tags;  // all of them
  HealthFilter health = HealthFilter::kHealthyOnly;
  size_t limit = 0;  // 0: no limit
};

struct SelectOptions {
  std::vector<std::string> tags;     // instances must have all of them
  std::optional<Strategy> strategy;  // unset: per capability, else the default
  std::string avoid;                 // a service id not to pick while another is healthy
};

struct RequestOptions {
  std::optional<std::chrono::milliseconds> timeout;  // per attempt; unset: request_timeout
  std::optional<uint32_t> attempts;                  // in all; unset: request_attempts
  std::optional<Strategy> strategy;
  std::vector<std::string> tags;
};

// Completion of request_by_capability: the reply, or NoHealthyInstance,
// Unavailable, or the last attempt's error (Timeout, NoResponders, ...).
using ReplyCallback = std::function<void(Result<EventPtr> reply)>;

// A custom health check: probe `service` and call `done` once, with OK
// (pass) or an error whose message says why it failed.
using CheckDone = std::function<void(Status result)>;
using CustomCheck = std::function<void(const ServiceInfo& service, CheckDone done)>;

class Registry {
 public:
  // Loads the journal from env.store (when set), adds the static services,
  // sweeps once with the current time and starts the timers and checks.
  // NotSupported when the journal was written by a newer chorus;
  // InvalidArgument (naming the service and field) for a bad static service.
  static Result<std::unique_ptr<Registry>> open(RegistryEnv env, DiscoveryOptions options);
  ~Registry();  // shutdown()
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // ---- registration ----

  // Validates and adds a dynamic service; the spec's defaults are filled in
  // (agent_id, name, type, protocol). InvalidArgument naming the field;
  // AlreadyExists; ResourceExhausted beyond max_services.
  Status register_service(ServiceSpec spec, RegisterOptions options = {});
  // NotFound; FailedPrecondition for a service from the configuration.
  Status unregister(std::string_view id);
  // Refreshes the TTL. NotFound.
  Status heartbeat(std::string_view id);
  // Sets the owner's override; kHealthy clears it (and counts as a
  // heartbeat). NotFound.
  Status set_status(std::string_view id, ServiceStatus status);

  // ---- lookup ----

  Result<ServiceInfo> get(std::string_view id) const;
  // Matching services, ordered by id. Uses the capability, tag and type
  // indexes; never scans the registry when one of them is given.
  std::vector<ServiceInfo> discover(const Query& query) const;

  // ---- load balancing ----

  // Picks a healthy instance with `capability` and counts a connection on
  // it. NoHealthyInstance when none is healthy (naming the capability, tags
  // and how many are registered); InvalidArgument for a malformed name.
  Result<ServiceInfo> select(std::string_view capability, const SelectOptions& options = {});
  // Ends a connection counted by select(). Releasing more often than
  // selecting stops at zero; an unknown id is ignored.
  void release(std::string_view id);
  // The same for the instance select() returned, without a lookup by id;
  // ignored when that registration is gone (unregistered or replaced).
  void release(const ServiceInfo& selected);
  // Feeds the response-time EWMA and histogram. An unknown id is ignored.
  void record_response_time(std::string_view id, std::chrono::microseconds elapsed);

  // Selects an instance, sends `request` to its agent (target = agent_id)
  // with bus::EventBus::request, releases it and records the time; fails
  // over on Timeout, NoResponders or another bus error, never to the same
  // instance twice in a row while another is healthy (docs/discovery.md
  // "Requests by capability").
  void request_by_capability(std::string_view capability, EventPtr request, RequestOptions options,
                             ReplyCallback done);
  std::future<Result<EventPtr>> request_by_capability(std::string_view capability, EventPtr request,
                                                      RequestOptions options = {});

  // ---- custom checks ----

  // Services whose check is {kind: custom, name: `name`} are probed with
  // `check`. AlreadyExists for a name in use; InvalidArgument for a bad name.
  // A service whose custom check is missing fails its checks.
  Status add_custom_check(std::string name, CustomCheck check);
  // NotFound. When this returns, `check` is not called again (a call in
  // progress may still complete).
  Status remove_custom_check(std::string_view name);

  // ---- configuration (reload) ----

  // Makes the static services exactly `services`: new ones are added,
  // missing ones unregistered, changed ones re-registered. All or nothing:
  // InvalidArgument for the first bad spec, and nothing changes.
  Status set_static_services(std::vector<ServiceSpec> services);
  // Applies the live settings of `options` (docs/discovery.md
  // "Configuration"): TTL, deregister_after, check defaults, strategies,
  // request defaults, max_checks_in_flight, and the static services.
  Status apply(const DiscoveryOptions& options);

  // ---- maintenance ----

  RegistryStats stats() const;
  // Runs TTL expiry and removal against the clock now (also on a timer
  // every sweep_interval).
  void sweep();
  // Queues a heartbeat checkpoint now (also every checkpoint_interval) and
  // waits until the journal has written everything queued so far. OK without a store.
  Status checkpoint();
  // Idempotent; see Lifetime above.
  void shutdown();

  struct Core;  // private (registry_core.h)

 private:
  explicit Registry(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};

}  // namespace chorus::discovery
