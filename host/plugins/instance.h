// Instance: one running instance of a plugin (a plugin file may run as
// several, e.g. calculator-1 and calculator-2). It owns everything the
// instance holds in the host (subscriptions, timers, pending requests,
// retained events, memory taken through the host API, counters) and is the
// only way the host calls into the plugin's code.
//
// Calling into the plugin. Every callback (on_event, on_request, timers,
// request completions, start/stop/destroy, health) runs under the
// instance's callback mutex, so the plugin never sees two of its callbacks
// at once (filters excepted: they run on publishers' threads, see plugin.h).
// Each callback first checks, under that mutex, that the instance is in a
// phase that allows it and that the subscription or timer is still live; so
// once unload() has passed a step, nothing it closed can call in again.
//
// Phases (sdk/ABI.md "Phases"):
//   kCreated -> kInitializing -> kInitialized -> kRunning -> kDraining ->
//   kStopping -> kDestroying -> kGone
// Subscriptions and timers requested before kRunning are kept and made live
// by start(), so a new version initialised beside an old one receives
// nothing until the old one is gone (the transactional reload).
//
// unload() is the one way out, from any phase:
//   1. kDraining: filters refuse new events; queued deliveries of the async
//      subscriptions drain (up to the drain timeout; the rest are dropped
//      and counted by the bus);
//   2. every subscription is detached from the bus (the bus guarantees that
//      its handler and filter are never called again), every timer
//      cancelled, and the callback mutex taken once so that any callback
//      still inside has returned;
//   3. kStopping: the plugin's stop();
//   4. pending requests complete with CHORUS_CANCELLED;
//   5. kDestroying: destroy(); then kGone: events the plugin still retains
//      are released and memory it still holds is freed (both reported);
//   6. the module reference is dropped (the loader dlcloses it when the
//      last instance of that file is gone).
//
// Threading: create/init/start/unload on the loader's thread; the host API
// functions (host_api*.cpp) from any thread; stats() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "chorus/plugin.h"
#include "core/event.h"
#include "core/status.h"
#include "discovery/service.h"
#include "plugins/pattern_policy.h"
#include "plugins/plugin_host_options.h"

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}
namespace chorus::bus {
class EventBus;
}
namespace chorus::store {
class EventStore;
}
namespace chorus::discovery {
class Registry;
}
namespace chorus::plugins {
class Instance;
class PluginModule;
class ConfigTree;
}  // namespace chorus::plugins

// The opaque handle plugin.h declares: one per instance.
struct chorus_host {
  chorus::plugins::Instance* instance;
};

namespace chorus::plugins {

enum class Phase : uint8_t {
  kCreated,
  kInitializing,
  kInitialized,
  kRunning,
  kDraining,
  kStopping,
  kDestroying,
  kGone,
};
std::string_view phase_name(Phase p) noexcept;

// What an instance uses of the host; all of it outlives the instance.
struct InstanceLinks {
  boost::asio::io_context* io = nullptr;
  bus::EventBus* bus = nullptr;
  store::EventStore* store = nullptr;  // null: the store functions are Unavailable
  // Thread-safe; null: the registry functions are Unavailable.
  discovery::Registry* registry = nullptr;
  // How long a durable subscription's reader waits for new events before it
  // looks for a stop request (bounds how long an unload waits for it).
  std::chrono::milliseconds durable_poll{20};
};

// A resolved `filters` entry of the plugin's settings.
struct TypeFilter {
  std::string pattern;  // event types it applies to
  EventFilter filter;
};

struct InstanceSettings {
  std::string name;                 // the instance's name: its events' source
  std::string config_json = "{}";   // given to init()
  PatternPolicy policy;             // allowed publish/subscribe patterns
  std::vector<TypeFilter> filters;  // YAML filters every subscription applies first
};

struct InstanceStats {
  std::string name;
  Phase phase = Phase::kCreated;
  uint64_t delivered = 0;       // on_event/on_request calls that returned OK
  uint64_t failed = 0;          // ... that returned an error (each attempt)
  uint64_t error_replies = 0;   // requests answered with an error reply
  uint64_t published = 0;       // publish/reply/request calls that succeeded
  uint64_t publish_errors = 0;  // ... that failed
  uint64_t violations = 0;      // publish/subscribe outside the allowed patterns
  uint64_t timer_calls = 0;
  uint64_t subscriptions = 0;  // live
  uint64_t timers = 0;         // live
  uint64_t pending_requests = 0;
  uint64_t retained_events = 0;  // retained and not released
  uint64_t memory_bytes = 0;     // held through mem_alloc
  uint64_t memory_blocks = 0;
};

// What unload() found and cleaned up.
struct UnloadReport {
  uint64_t queued_dropped = 0;  // deliveries still queued after the drain timeout
  uint64_t requests_cancelled = 0;
  uint64_t leases_released = 0;                  // registry selections the plugin never released
  uint64_t retained_released = 0;                // events the plugin retained and never released
  uint64_t leaked_bytes = 0, leaked_blocks = 0;  // freed by the host
};

struct Subscription;
struct TimerRecord;

class Instance : public std::enable_shared_from_this<Instance> {
 public:
  static std::shared_ptr<Instance> create(InstanceLinks links, std::shared_ptr<PluginModule> module,
                                          InstanceSettings settings);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // ---- lifecycle (the loader's thread) ----

  // Calls the plugin's init(). On failure the instance is gone (destroy()
  // ran if init had created it) and the error names the plugin.
  Status init();
  // Makes the subscriptions and timers asked for in init live, then calls
  // start(). On failure, unload() is the caller's next step.
  Status start();
  UnloadReport unload(std::chrono::milliseconds drain_timeout);

  // The plugin's health() (OK when it has none); called by heartbeats.
  Status health();

  // ---- identity and counters (any thread) ----

  const std::string& name() const noexcept { return settings_.name; }
  // The plugin file (in the plugins folder) this instance runs from.
  const std::string& file() const noexcept { return file_; }
  Phase phase() const noexcept { return phase_.load(std::memory_order_acquire); }
  chorus_host* handle() noexcept { return &handle_; }
  InstanceStats stats() const;

  // ---- host API (host_api*.cpp; any thread) ----
  // Each returns the Status the C function turns into a code and a message.

  spdlog::logger& log() const noexcept { return *log_; }
  const ConfigTree& config() const noexcept { return *config_; }
  const PatternPolicy& policy() const noexcept { return settings_.policy; }
  InstanceLinks& links() noexcept { return links_; }

  // FailedPrecondition naming `what` when the current phase does not allow
  // an operation of `kind`.
  enum class Op { kPublish, kSubscribe, kRequest, kStoreWrite, kStoreRead, kTimer };
  Status allow(Op kind, std::string_view what) const;
  // PermissionDenied (counted and logged) when `type` is outside the
  // allowed publish patterns.
  Status check_publish(std::string_view type, std::string_view what);

  Status publish(const EventPtr& event);
  Status reply(const Event& request, EventBuilder reply);
  Status request(EventPtr request, std::chrono::milliseconds timeout, chorus_reply_fn done,
                 void* ctx);

  // ---- registry (instance_registry.cpp; any thread) ----
  // A request by capability through links().registry, completed like
  // request() (on a worker, CHORUS_CANCELLED at unload). Unset timeout: the
  // registry's request_timeout. Unavailable without a registry.
  Status request_by_capability(std::string_view capability, EventPtr request,
                               std::optional<std::chrono::milliseconds> timeout,
                               chorus_reply_fn done, void* ctx);
  // A selection the plugin holds until release(); returns its lease (> 0).
  // FailedPrecondition once unload has released the leases.
  Result<uint64_t> hold_lease(discovery::ServiceInfo selected);
  // Ends a lease: releases the connection and, when elapsed > 0, records
  // the response time. NotFound for an unknown or released lease.
  Status release_lease(uint64_t lease, std::chrono::microseconds elapsed);

  struct SubscribeArgs {
    std::string pattern, queue_group, durable_group;
    uint32_t flags = 0;
    chorus_filter_fn filter = nullptr;
    void* filter_ctx = nullptr;
    chorus_event_fn handler = nullptr;  // null: the descriptor's on_event/on_request
    void* handler_ctx = nullptr;
  };
  Result<uint64_t> subscribe(SubscribeArgs args);
  Status unsubscribe(uint64_t id);

  Result<uint64_t> add_timer(std::chrono::milliseconds delay, std::chrono::milliseconds period,
                             chorus_timer_fn fn, void* ctx);
  Status cancel_timer(uint64_t id);

  void* mem_alloc(size_t size);
  void mem_free(void* p);
  chorus_event* retain(const Event* e);
  void release(chorus_event* e);

  // The callback error a plugin attached with set_error() (thread-local).
  static void set_callback_error(std::string_view message);

 private:
  Instance(InstanceLinks links, std::shared_ptr<PluginModule> module, InstanceSettings settings);

  // instance_delivery.cpp
  Status deliver(Subscription& sub, const EventPtr& event);
  Status call_handler(Subscription& sub, const EventPtr& event);  // REQUIRES: callback_mu_
  bool filter(Subscription& sub, const Event& event);
  bool plugin_filter(Subscription& sub, const Event& event);
  // The settings' YAML filters: false when one that applies to the event's
  // type refuses it.
  bool settings_filters_pass(const Event& event) const;
  Status attach(const std::shared_ptr<Subscription>& sub);
  void detach(Subscription& sub);
  void wait_drained(std::chrono::steady_clock::time_point deadline, UnloadReport& report);
  // REQUIRES: table_mu_ held.
  std::string subscriber_id_for(uint32_t flags, const std::string& pattern);
  // instance_timers.cpp
  void arm(const std::shared_ptr<TimerRecord>& t);
  void fire(const std::shared_ptr<TimerRecord>& t);
  void cancel_all_timers();
  // instance_requests.cpp
  void complete_request(uint64_t rid, Result<EventPtr> reply);
  void send_error_reply(const Event& request, const Status& error);
  uint64_t cancel_all_requests();
  // Registers a pending request; 0 when unload has cancelled them.
  uint64_t begin_request(chorus_reply_fn done, void* ctx);
  // The bus/registry completion: posted to a worker, then complete_request.
  std::function<void(Result<EventPtr>)> request_completion(uint64_t rid);
  // instance_registry.cpp
  uint64_t release_all_leases();
  // instance_memory.cpp
  void release_leftovers(UnloadReport& report);

  // True on a thread that is inside one of this instance's callbacks (it
  // holds callback_mu_).
  bool in_callback() const noexcept;
  // Waits until no callback of this instance is running (takes and drops
  // callback_mu_); a no-op inside a callback.
  void quiesce();
  void set_phase(Phase p) noexcept { phase_.store(p, std::memory_order_release); }
  // The plugin's callbacks (a copy: valid, though not callable, after unload).
  const chorus_plugin_descriptor& cb() const noexcept { return callbacks_; }

  InstanceLinks links_;
  std::shared_ptr<PluginModule> module_;  // dropped at the end of unload()
  const chorus_plugin_descriptor callbacks_;
  const std::string file_;
  InstanceSettings settings_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<ConfigTree> config_;
  chorus_host handle_{this};
  void* state_ = nullptr;  // what init() returned
  bool initialised_ = false;
  std::atomic<Phase> phase_{Phase::kCreated};

  // Serialises the plugin's callbacks (see the file comment).
  std::recursive_mutex callback_mu_;
  // Guards the tables below; never held while calling the plugin or the bus.
  mutable std::mutex table_mu_;
  std::unordered_map<uint64_t, std::shared_ptr<Subscription>> subs_;
  std::unordered_map<uint64_t, std::shared_ptr<TimerRecord>> timers_;
  struct PendingRequest {
    chorus_reply_fn done;
    void* ctx;
  };
  std::unordered_map<uint64_t, PendingRequest> requests_;
  std::unordered_map<const Event*, uint32_t> retained_;
  std::unordered_map<uint64_t, discovery::ServiceInfo> leases_;  // by lease id
  bool leases_closed_ = false;                                   // unload released the leases
  bool subs_closed_ = false;      // unload took the subscriptions and timers
  bool requests_closed_ = false;  // unload cancelled the pending requests
  uint64_t next_id_ = 1;          // subscription, timer and request ids
  bool has_request_sub_ = false;  // the instance's name is taken as a subscriber id

  // Memory taken through mem_alloc: an intrusive list of block headers.
  struct Block;
  mutable std::mutex mem_mu_;
  Block* blocks_ = nullptr;
  uint64_t mem_bytes_ = 0, mem_blocks_ = 0;
  uint64_t retained_warned_ = 0;  // retained count of the last warning

  mutable std::atomic<uint64_t> delivered_{0}, failed_{0}, error_replies_{0}, published_{0},
      publish_errors_{0}, violations_{0}, timer_calls_{0}, retained_count_{0};
};

}  // namespace chorus::plugins
