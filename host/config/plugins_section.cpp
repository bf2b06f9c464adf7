// Parsing of the `plugins:` section (keys in docs/config.md "plugins").
#include "config/plugins_section.h"

#include <set>

#include <fmt/core.h>

#include "config/yaml_reader.h"
#include "core/topic.h"

namespace chorus::config {
namespace {

using std::chrono::milliseconds;
constexpr size_t kMaxNameBytes = 64;

std::string check_agent_name(const std::string& v) {
  if (v.empty() || v.size() > kMaxNameBytes)
    return fmt::format("'{}' must be 1 to {} bytes", v, kMaxNameBytes);
  for (char c : v)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return fmt::format("'{}' may only use a-z, 0-9, '_' and '-'", v);
  return {};
}

bool lua_name(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

// "script.function": the script's name (scripts.entries) and a global
// function of it.
std::string check_filter_name(const std::string& v) {
  const size_t dot = v.find('.');
  if (dot == std::string::npos || !lua_name(std::string_view(v).substr(dot + 1)) || dot == 0)
    return fmt::format("'{}' must name a script's function as script.function", v);
  return {};
}

std::string check_pattern(const std::string& v) {
  Status s = validate_pattern(v, "pattern");
  return s.ok() ? std::string() : s.message();
}

}  // namespace

void parse_plugins_section(MapReader& r, PluginsSection& out) {
  r.string("folder", out.folder, [](const std::string& v) {
    return v.empty() ? std::string("the folder may not be empty") : std::string();
  });
  r.boolean("watch", out.watch);
  r.duration("heartbeat_interval", out.heartbeat_interval, milliseconds(0),
             milliseconds(86'400'000));
  r.duration("drain_timeout", out.drain_timeout, milliseconds(0), milliseconds(600'000));
  std::vector<PluginEntry> agents;
  std::set<std::string> instance_names;
  r.each_map("agents", [&](const std::string& key, MapReader& a) {
    PluginEntry e;
    e.key = key;
    a.boolean("enabled", e.enabled);
    a.json("config", e.config_json);
    if (a.has("config") && e.config_json.front() != '{')
      a.bad_value("config", "must be a mapping (its keys are the plugin's settings)");
    if (a.has("publish")) {
      std::vector<std::string> p;
      a.string_list("publish", p, check_pattern);
      e.publish = std::move(p);
    }
    if (a.has("subscribe")) {
      std::vector<std::string> p;
      a.string_list("subscribe", p, check_pattern);
      e.subscribe = std::move(p);
    }
    a.string_list("instances", e.instances, check_agent_name);
    a.each_string(
        "filters",
        [&](const std::string& pattern, const std::string& name) {
          if (std::string err = check_pattern(pattern); !err.empty()) {
            a.bad_value("filters", fmt::format("'{}': {}", pattern, err));
            return;
          }
          const size_t dot = name.find('.');
          e.filters.push_back({pattern, name.substr(0, dot), name.substr(dot + 1)});
        },
        check_filter_name);
    for (const std::string& n : e.instances)
      if (!instance_names.insert(n).second)
        a.bad_value("instances", fmt::format("instance name '{}' is used twice", n));
    a.finish();
    agents.push_back(std::move(e));
  });
  out.agents = std::move(agents);
  r.finish();
}

}  // namespace chorus::config
