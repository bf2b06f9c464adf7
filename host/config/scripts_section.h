// The `scripts:` section: the Lua scripts the host loads (docs/config.md
// "scripts", docs/lua.md). A plain struct: host/runtime maps it onto
// lua::ScriptHostOptions, so config does not depend on the Lua module.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace chorus::config {

class MapReader;

struct ScriptSubscriptionConfig {
  std::vector<std::string> on;  // event type patterns
  std::string handler;          // a global function of the script
  std::string filter;           // "fn" (this script) or "script.fn"; "": none
  std::string queue_group;
  std::string durable;   // consumer group name: a durable subscription
  std::string priority;  // "": any; else the least urgent priority delivered
  std::string origin;    // "file:line:col: scripts.entries.x.subscriptions[0]"

  friend bool operator==(const ScriptSubscriptionConfig&,
                         const ScriptSubscriptionConfig&) = default;
};

struct ScriptEntryConfig {
  std::string name;  // the key under scripts.entries
  std::string file;  // relative to the folder (default "<name>.lua")
  bool trusted = false;
  std::optional<uint64_t> memory_limit;                // default: scripts.limits.memory
  std::optional<std::chrono::milliseconds> cpu_limit;  // default: scripts.limits.cpu
  std::string config_json = "{}";                      // the `config:` block as JSON
  std::vector<ScriptSubscriptionConfig> subscriptions;
  std::string origin;  // "file:line:col: scripts.entries.x"

  friend bool operator==(const ScriptEntryConfig&, const ScriptEntryConfig&) = default;
};

struct ScriptsSection {
  std::string folder = "./scripts";
  bool watch = true;
  std::chrono::milliseconds request_timeout{5'000};
  uint64_t memory_limit = 64ull << 20;
  std::chrono::milliseconds cpu_limit{100};
  std::vector<ScriptEntryConfig> entries;  // in file order

  friend bool operator==(const ScriptsSection&, const ScriptsSection&) = default;
};

void parse_scripts_section(MapReader& r, ScriptsSection& out);

}  // namespace chorus::config
