// Checking scripts without running a host (`chorus check`): each configured
// script is compiled in the sandbox and its top level run in check mode
// (chorus.publish, store writes and timers inactive; no handler runs), then
// its YAML subscriptions are bound: a missing handler or filter function is
// reported with the YAML position.
#pragma once

#include <string>
#include <vector>

#include "lua/lua_options.h"
#include "lua/module_extension.h"

namespace chorus::lua {

struct ScriptProblem {
  std::string script;   // the script's name
  std::string file;     // "scripts/x.lua", or the YAML file for a binding problem
  int line = 0;         // 0: unknown
  std::string message;  // the whole text, starting with file:line when known
};

// `extensions`: what other modules add to `chorus` (their check-mode forms).
std::vector<ScriptProblem> check_scripts(const ScriptHostOptions& options,
                                         const ModuleExtensions& extensions = {});

}  // namespace chorus::lua
