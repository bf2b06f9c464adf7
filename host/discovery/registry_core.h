// Registry::Core: the registry's state behind its facade (private to
// host/discovery). One mutex guards the table, the pools, the options and
// the counters; every state change happens under it and, still under it,
// queues what follows from the change: a journal record (journal.h), a bus
// event (discovery_events.h), a check added or removed (health_checker.h).
// None of those call back into the core, and none of them does I/O on the
// caller's thread, so the lock is held for microseconds.
//
// Lock order: Core::mu, then HealthChecker's, Journal's and the publisher's
// own locks. The checker's sink, the timers and request_by_capability call
// the core without holding any other lock.
//
// Files: registry_core.cpp (registration and status), registry_select.cpp
// (lookups and load balancing), registry_admin.cpp (open, persistence,
// configuration, stats, shutdown), capability_request.cpp.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/discovery_events.h"
#include "discovery/health_checker.h"
#include "discovery/journal.h"
#include "discovery/pool.h"
#include "discovery/registry.h"
#include "discovery/rng.h"
#include "discovery/service_table.h"

namespace chorus::discovery {

// Lets shutdown() wait until no call into the bus made by the registry is
// in progress (so the bus may be destroyed right after). Re-entrant: a call
// may enter again from a callback it caused.
class CallGate {
 public:
  bool enter() {
    std::lock_guard l(mu_);
    if (closed_) return false;
    ++active_;
    return true;
  }
  void exit() {
    std::lock_guard l(mu_);
    if (--active_ == 0) cv_.notify_all();
  }
  void close_and_wait() {
    std::unique_lock l(mu_);
    closed_ = true;
    cv_.wait(l, [&] { return active_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  bool closed_ = false;
};

struct Registry::Core : std::enable_shared_from_this<Registry::Core> {
  Core(RegistryEnv env, DiscoveryOptions options);
  ~Core();

  const RegistryEnv env;
  const Clock clock;

  mutable std::mutex mu;
  DiscoveryOptions options;  // the live settings (apply() changes them)
  ServiceTable table;
  PoolSet pools;
  Rng rng;
  uint64_t pick_tick = 0;
  bool closed = false;
  std::array<StrategyStats, kStrategyCount> strategy_stats{};
  uint64_t registered = 0, unregistered = 0, removed = 0, expired = 0;
  uint64_t checks_passed = 0, checks_failed = 0;
  uint64_t loaded_records = 0, skipped_records = 0;

  // Set by open() and never changed after; each has its own lock.
  std::unique_ptr<HealthChecker> checker;
  std::unique_ptr<Journal> journal;        // null without a store
  std::unique_ptr<EventPublisher> events;  // null without a bus
  struct Timers;
  std::shared_ptr<Timers> timers;  // shared_ptr: its type is complete only in registry_admin.cpp
  CallGate bus_calls;
  std::atomic<uint64_t> requests{0}, request_failovers{0}, request_failures{0};

  // ---- registry_core.cpp: registration and status ----
  Status register_service(ServiceSpec spec, const RegisterOptions& o, Origin origin);
  Status unregister(std::string_view id);
  Status heartbeat(std::string_view id);
  Status set_status(std::string_view id, ServiceStatus status);
  void on_check_result(CheckResult result);
  void sweep();

  // REQUIRES: mu held (the *_locked helpers below).
  ServiceState& add_locked(std::shared_ptr<const ServiceSpec> spec, Origin origin,
                           std::optional<ServiceStatus> initial, int64_t now);
  // Restores a journaled service at open (no events: they were published
  // when the changes happened).
  void restore_locked(const ServiceRecord& r, int64_t now);
  void remove_locked(ServiceState& s, ServiceEvent why, std::string_view reason);
  // Recomputes the status from its inputs and queues what follows.
  void refresh_locked(ServiceState& s, int64_t now, std::string_view reason);
  void journal_status_locked(ServiceState& s);
  void maybe_snapshot_locked();
  std::string snapshot_state_locked() const;
  std::chrono::milliseconds ttl_of(const ServiceState& s) const;
  Status open_check_locked() const;

  // ---- registry_select.cpp: lookups and load balancing ----
  Result<ServiceInfo> get(std::string_view id) const;
  std::vector<ServiceInfo> discover(const Query& q) const;
  Result<ServiceInfo> select(std::string_view capability, const SelectOptions& o);
  void release(std::string_view id);
  void release(const ServiceInfo& selected);
  void release_locked(ServiceState& s);
  void record_response_time(std::string_view id, std::chrono::microseconds elapsed);

  // ---- registry_admin.cpp: persistence, configuration, stats, shutdown ----
  Status load();
  Status set_static_services(std::vector<ServiceSpec> services);
  Status apply(const DiscoveryOptions& next);
  Status checkpoint();
  void queue_checkpoint_locked();
  RegistryStats stats() const;
  void start_timers();
  void shutdown();
};

// capability_request.cpp
void start_capability_request(std::shared_ptr<Registry::Core> core, std::string capability,
                              EventPtr request, RequestOptions options, ReplyCallback done);

}  // namespace chorus::discovery
