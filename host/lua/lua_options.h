// The Lua runtime's options (ScriptHost): the scripts folder, each script's
// file, trust, limits, config block and YAML subscriptions. Plain values:
// host/runtime maps the `scripts:` YAML section onto them
// (options_from_config), so this module knows nothing of YAML.
// docs/config.md "scripts" documents every key; docs/lua.md the behaviour.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/event.h"

namespace chorus::lua {

enum class Trust : uint8_t {
  kSandboxed,  // allow-list environment, CPU and memory limits, JIT off
  kTrusted,    // full standard libraries, JIT on, no CPU limit
};

struct ScriptLimits {
  uint64_t memory_bytes = 64ull << 20;  // per Lua state; 0: none
  // Running time of one invocation (a handler call with its resumptions, a
  // timer, a filter); sandboxed scripts only. Loading gets kLoadCpuFactor
  // times this (at least 1 s).
  std::chrono::milliseconds cpu{100};

  friend bool operator==(const ScriptLimits&, const ScriptLimits&) = default;
};

inline constexpr int kLoadCpuFactor = 10;

// A subscription declared in YAML: events matching `patterns` go to the
// script's global function `handler`.
struct SubscriptionSpec {
  std::vector<std::string> patterns;
  std::string handler;                   // a global function of the script
  std::string filter;                    // "": none; "fn": a function of this script;
                                         // "script.fn": a function of another script
  std::string queue_group;               // share events with other members of the group
  std::string durable_group;             // a durable subscription (consumer group in the store)
  std::optional<Priority> min_priority;  // only events at least this urgent
  std::string
      origin;  // where it was declared, for errors ("host.yaml:40:9: scripts.x.subscriptions[0]")

  friend bool operator==(const SubscriptionSpec&, const SubscriptionSpec&) = default;
};

struct ScriptSpec {
  std::string name;  // the script's name: event source, log prefix
  std::string file;  // relative to the folder, or absolute
  Trust trust = Trust::kSandboxed;
  ScriptLimits limits;
  std::string config_json = "{}";  // the YAML config block, as JSON (chorus.config)
  std::vector<SubscriptionSpec> subscriptions;
  std::string origin;  // where it was declared, for errors

  friend bool operator==(const ScriptSpec&, const ScriptSpec&) = default;
};

struct ScriptHostOptions {
  std::string folder = "./scripts";
  bool watch = true;  // reload scripts when their files change (inotify)
  std::chrono::milliseconds request_timeout{5'000};  // chorus.request's default
  std::vector<ScriptSpec> scripts;

  friend bool operator==(const ScriptHostOptions&, const ScriptHostOptions&) = default;
};

}  // namespace chorus::lua
