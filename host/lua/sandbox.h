// The sandbox: the environment a script's code sees, built as an allow-list
// (docs/lua.md "Sandbox"). A sandboxed script gets a fresh global table with
// the safe parts of the base library, string (dump removed; find, match,
// gmatch, gsub and rep budgeted, lua_pattern.h), table, math, bit,
// coroutine, os.time/clock/date/difftime, a text-only `load`, a `require`
// that resolves only inside the scripts folder, `print` (to the log) and
// the `chorus` module. Names that exist in Lua but not here (io, debug, ffi,
// jit, package, getfenv, string.dump, os.execute, ...) raise an error that
// says so instead of reading as nil. The real global table, the registry
// and the host's objects are out of reach: no debug library, no getfenv,
// protected metatables.
//
// pcall, xpcall, coroutine.resume and coroutine.wrap are wrapped in Lua (so
// they stay yieldable): they re-raise a CPU or memory stop (lua_vm.h) that
// they caught, and a coroutine that waits for the host (chorus.request
// inside it) makes its resumer wait too, so host waits work from nested
// coroutines.
//
// A trusted script gets the full standard library (io, os, debug, ffi, jit,
// package) in the state's own global table; `require` still loads modules of
// the scripts folder first (tracked for hot reload), then falls back to
// package.path/cpath.
//
// Every script has its own lua_State, so no two scripts share globals.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "lua/lua_options.h"

struct lua_State;

namespace chorus::lua {

// What a coroutine yields when it waits for the host: host functions that
// wait push this light userdata and yield (invoker.h).
extern const char kHostYield;

// The sandbox's per-state data; must outlive the state.
struct SandboxState {
  Trust trust = Trust::kSandboxed;
  std::string folder;       // as configured ("scripts"): chunk names and messages
  std::string folder_real;  // realpath of the folder: the require boundary
  // Real paths of the modules required (also from handlers, on the script's
  // executor, while the host's control thread reads them for the watcher).
  void add_module(const std::string& real_path);
  std::vector<std::string> modules() const;
  std::function<void(std::string_view)> print;  // where print() goes

 private:
  mutable std::mutex modules_mu_;
  std::vector<std::string> modules_;
};

// Opens the libraries and builds the script environment (kept in the
// registry). REQUIRES: a fresh state of a LuaVm; `state` outlives it.
void open_sandbox(lua_State* L, SandboxState* state);

// Pushes the script environment.
void push_environment(lua_State* L);

// Pops the value on top and makes it the module `name` (a global of the
// environment, and what require(name) returns).
void set_module(lua_State* L, const char* name);

// Compiles `source` as a text chunk named "@<display>" with the script
// environment and pushes the function; on a syntax error pushes nothing and
// returns the message ("scripts/x.lua:3: '=' expected near 'end'").
Status load_text_chunk(lua_State* L, std::string_view source, const std::string& display);

// Marks the coroutine at `index` as one the host runs invocations in: a
// sandboxed coroutine.yield() in it (not in a coroutine of the script's
// own) raises an error that pcall can catch, instead of suspending the call.
void mark_host_thread(lua_State* L, int index);

// Pushes the text of the value at `index` as print() shows it (tostring
// with __tostring); used by print and chorus.log.
void push_display_string(lua_State* L, int index);

}  // namespace chorus::lua
