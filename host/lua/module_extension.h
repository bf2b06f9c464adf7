// The Lua runtime's extension point: functions that other modules add to
// the `chorus` table of every script state, without the Lua runtime knowing
// them (the workflow engine adds `chorus.workflow` this way; the runtime,
// host/runtime, passes the extensions in ScriptHostServices).
//
// An extension runs once per state, on the loading thread, right after the
// `chorus` module is built and before the script's top level runs. It gets
// the state, the stack index of the `chorus` table and what it may need to
// know about the script; it sets fields of the table. It must not raise a
// Lua error (it does not run in a protected call) nor keep `L` beyond the
// functions it installs. Pointers in ExtensionContext are valid during the
// call only: copy what a function installed needs later.
#pragma once

#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "lua/lua_options.h"

struct lua_State;

namespace chorus::lua {

struct ExtensionContext {
  std::string_view script;       // the script's name
  std::string_view path;         // "scripts/x.lua" (chunk name without '@')
  std::string_view source;       // the text being loaded
  std::string_view hash;         // its content hash (source_file.h content_hash)
  std::string_view folder;       // the scripts folder as configured
  std::string_view folder_real;  // its realpath (require's boundary)
  std::string_view config_json;  // the script's YAML config block as JSON
  Trust trust = Trust::kSandboxed;
  ScriptLimits limits;
  bool live = false;  // false in check and filter states: install inert functions
};

using ModuleExtension =
    std::function<void(lua_State* L, int chorus_table, const ExtensionContext& context)>;
using ModuleExtensions = std::vector<ModuleExtension>;

}  // namespace chorus::lua
