// HostServices: what the subsystems started so far offer to the ones that
// start after them. A subsystem sets its own member when it has started and
// clears it in close(); a later subsystem reads the members of earlier ones
// (the runtime's list order guarantees they are set) and must not keep a
// pointer past its own close().
#pragma once

#include <string>

#include "lua/module_extension.h"

namespace boost::asio {
class io_context;
}
namespace chorus::store {
class EventStore;
}
namespace chorus::bus {
class EventBus;
}
namespace chorus::discovery {
class Registry;
}
namespace chorus::lua {
class ScriptHost;
}
namespace chorus::plugins {
class PluginHost;
}
namespace chorus::workflows {
class WorkflowEngine;
}
namespace chorus::api {
class MetricsRegistry;
class Readiness;
}  // namespace chorus::api

namespace chorus::runtime {

struct HostServices {
  boost::asio::io_context* io = nullptr;    // the host's worker pool (always set)
  std::string data_dir;                     // absolute, locked for the process
  store::EventStore* store = nullptr;       // set by StoreSubsystem
  bus::EventBus* bus = nullptr;             // set by BusSubsystem
  discovery::Registry* registry = nullptr;  // set by DiscoverySubsystem (thread-safe API)
  lua::ScriptHost* scripts = nullptr;       // set by ScriptsSubsystem (Lua filters for plugins)
  plugins::PluginHost* plugins = nullptr;   // set by PluginsSubsystem (loaded agents, for the API)
  workflows::WorkflowEngine* workflows = nullptr;  // set by WorkflowsSubsystem
  // What other modules add to every script's `chorus` table, filled when
  // the subsystem list is made (before any start): chorus.workflow.
  lua::ModuleExtensions script_extensions;
  // GET /metrics and GET /readyz (host/api, docs/api.md "Metrics" and
  // "Readiness"): set by the runtime before any subsystem starts, so every
  // subsystem can add its collector and its readiness check in start()
  // (and must remove them in stop() or close()). The API itself starts last.
  api::MetricsRegistry* metrics = nullptr;
  api::Readiness* readiness = nullptr;
};

}  // namespace chorus::runtime
