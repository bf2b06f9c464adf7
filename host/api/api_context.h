// ApiContext: what the route handlers work with: the bus and the store of
// the running host, the registries behind /metrics and /readyz, the API's
// own metrics, the current options (replaced by a reload), the plugin host,
// the scripts, the registry and the workflow engine, and requests by
// capability.
//
// Lifetime: owned by the server's shared state. The bus, store and
// registries outlive the API's stop() (the runtime starts the API last and
// stops it first); handlers never run after it.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "api/api_options.h"
#include "core/event.h"
#include "core/status.h"

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
class PluginHost;
}
namespace chorus::lua {
class ScriptHost;
}
namespace chorus::workflows {
class WorkflowEngine;
}

namespace chorus::api {

class AdminWorker;
class ApiMetrics;
class MetricsRegistry;
class Readiness;
class SeqTracker;

// The options in force; a reload replaces them as a whole. Thread-safe.
class LiveOptions {
 public:
  explicit LiveOptions(ApiOptions o) : current_(std::make_shared<const ApiOptions>(std::move(o))) {}
  std::shared_ptr<const ApiOptions> get() const {
    std::lock_guard l(mu_);
    return current_;
  }
  void set(ApiOptions o) {
    auto next = std::make_shared<const ApiOptions>(std::move(o));
    std::lock_guard l(mu_);
    current_ = std::move(next);
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const ApiOptions> current_;
};

// A request sent to an instance offering `capability` (discovery picks it,
// and fails over); `done` gets the reply or Timeout / NoResponders /
// Unavailable ("no healthy instance"). Called on an io thread; `done` may
// run on any thread.
using CapabilityRequest =
    std::function<void(std::string capability, EventPtr request, std::chrono::milliseconds timeout,
                       std::function<void(Result<EventPtr>)> done)>;

struct ApiContext {
  bus::EventBus* bus = nullptr;
  store::EventStore* store = nullptr;
  MetricsRegistry* metrics = nullptr;
  Readiness* readiness = nullptr;
  ApiMetrics* api_metrics = nullptr;
  std::shared_ptr<SeqTracker> seqs;  // null without a store
  LiveOptions* options = nullptr;
  // POST /v1/requests?capability=NAME. Unset (no discovery): 501.
  CapabilityRequest request_by_capability;
  // The subsystems behind /v1/plugins, /v1/scripts and /v1/registry; each
  // may be null (that subsystem is not running: its routes answer 503).
  plugins::PluginHost* plugins = nullptr;
  lua::ScriptHost* scripts = nullptr;
  discovery::Registry* registry = nullptr;
  // Cancel and upgrade of /v1/workflows go to the engine (503 when null);
  // list and show read the store and work without it.
  workflows::WorkflowEngine* workflows = nullptr;
  // Where handlers run what blocks (plugin loads, script reloads); owned by
  // the server's state, stopped in ApiServer::stop().
  AdminWorker* worker = nullptr;
};

}  // namespace chorus::api
