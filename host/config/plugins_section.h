// The `plugins:` section: the plugins folder, watching, heartbeats, the
// drain timeout of an unload, and per plugin (by its name or file name)
// whether it is enabled, its config block (JSON for its init), its allowed
// publish and subscribe patterns and its instance names (docs/config.md
// "plugins", docs/plugins.md), and the Lua filters on the events it receives. A plain struct: the
// runtime maps it onto plugins::PluginHostOptions.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace chorus::config {

class MapReader;

// `filters:` entry: events of `pattern` pass only when script.function says so.
struct PluginFilterEntry {
  std::string pattern;
  std::string script;
  std::string function;

  friend bool operator==(const PluginFilterEntry&, const PluginFilterEntry&) = default;
};

struct PluginEntry {
  std::string key;  // the plugin's name ("calculator") or file ("calculator.so")
  bool enabled = true;
  std::string config_json = "{}";
  // Unset: any topic; empty: none.
  std::optional<std::vector<std::string>> publish;
  std::optional<std::vector<std::string>> subscribe;
  std::vector<std::string> instances;      // empty: one, named after the plugin
  std::vector<PluginFilterEntry> filters;  // in file order

  friend bool operator==(const PluginEntry&, const PluginEntry&) = default;
};

struct PluginsSection {
  std::string folder = "./build/plugins";
  bool watch = true;
  std::chrono::milliseconds heartbeat_interval{10'000};
  std::chrono::milliseconds drain_timeout{5'000};
  std::vector<PluginEntry> agents;  // in file order

  friend bool operator==(const PluginsSection&, const PluginsSection&) = default;
};

void parse_plugins_section(MapReader& r, PluginsSection& out);

}  // namespace chorus::config
