// Options of the plugin host (host/plugins). The runtime maps the YAML
// `plugins:` section onto them (host/runtime/options_from_config); this
// module never sees YAML. docs/config.md "plugins" documents each key.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace chorus {
class Event;
}
namespace chorus::discovery {
class Registry;
}

namespace chorus::plugins {

class AgentDirectory;

// A Lua filter named in YAML (`plugins.agents.<name>.filters`): an event
// whose type matches `pattern` reaches the plugin's subscriptions only when
// `function` of the script `script` returns true; other events pass.
struct FilterSetting {
  std::string pattern;
  std::string script;
  std::string function;

  friend bool operator==(const FilterSetting&, const FilterSetting&) = default;
};

// A filter over an event, called on the publisher's thread (a bus::Filter).
using EventFilter = std::function<bool(const Event& event)>;
// Resolves a script's function into a filter (the runtime sets it over the
// Lua runtime); NotFound / FailedPrecondition naming the script or function.
using ScriptFilterResolver =
    std::function<Result<EventFilter>(std::string_view script, std::string_view function)>;

// Settings of one plugin, found by its name (the descriptor's) or its file
// name ("calculator" or "calculator.so").
struct PluginSettings {
  std::string key;
  bool enabled = true;
  std::string config_json = "{}";  // a JSON object, given to init()
  // Allowed patterns; unset: any topic; empty: none.
  std::optional<std::vector<std::string>> publish;
  std::optional<std::vector<std::string>> subscribe;
  // Instance names; empty: one instance named after the plugin.
  std::vector<std::string> instances;
  // Lua filters on the events it receives, in order (all must pass).
  std::vector<FilterSetting> filters;

  friend bool operator==(const PluginSettings&, const PluginSettings&) = default;
};

struct PluginHostOptions {
  std::string folder = "./build/plugins";  // watched for *.so files
  // REQUIRED: where private copies are loaded from (the runtime uses
  // <data_dir>/plugins). Emptied at start.
  std::string private_dir;
  bool watch = true;  // inotify: load, replace and remove files live
  std::chrono::milliseconds heartbeat_interval{10'000};  // 0: none
  // How long an unload waits for an instance's queued events to be handled.
  std::chrono::milliseconds drain_timeout{5'000};
  // How long a durable subscription's reader waits for new events before it
  // notices an unsubscribe (bounds an unload when nothing is published).
  std::chrono::milliseconds durable_poll{20};
  std::vector<PluginSettings> plugins;
  // Resolves the plugins' `filters`; unset: a plugin that names a filter
  // fails to load (there are no scripts in this host).
  ScriptFilterResolver script_filters;
  // Optional: registers loaded agents in discovery (agent_directory.h).
  std::shared_ptr<AgentDirectory> directory;
  // Optional: the registry behind the plugins' registry functions (discover,
  // select, release, request_by_capability); null: they return
  // CHORUS_UNAVAILABLE. Not owned; must outlive the PluginHost. Taken at
  // construction (reconfigure keeps the first one).
  discovery::Registry* registry = nullptr;
};

}  // namespace chorus::plugins
