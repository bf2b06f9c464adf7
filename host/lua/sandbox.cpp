// The sandbox: an allow-list environment per script, its require and load,
// and the Lua-level wrappers that keep limits and host waits working through
// pcall and coroutines.
#include "lua/sandbox.h"

#include <cstring>

#include <fmt/core.h>
#include <lua.hpp>

#include "lua/lua_pattern.h"
#include "lua/lua_vm.h"
#include "lua/source_file.h"

namespace chorus::lua {

const char kHostYield = 0;

namespace {

// Registry keys (addresses, so scripts cannot name them).
const char kEnvKey = 0;
const char kLoadedKey = 0;
const char kLoadingMarker = 0;   // require() in progress for a module
const char kHostThreadsKey = 0;  // weak set of the invocations' coroutines

constexpr const char* kTrustedHint =
    "mark the script `trusted: true` in YAML for the full standard library";

struct Denied {
  const char* name;
  const char* hint;  // null: kTrustedHint
};

constexpr Denied kDeniedGlobals[] = {
    {"io", nullptr},
    {"debug", nullptr},
    {"ffi", nullptr},
    {"jit", nullptr},
    {"package", "require loads modules from the scripts folder"},
    {"dofile", "use require for modules in the scripts folder"},
    {"loadfile", "use require for modules in the scripts folder"},
    {"loadstring", "use load, which takes text chunks"},
    {"getfenv", nullptr},
    {"setfenv", nullptr},
    {"module", "make the module return a table"},
    {"newproxy", nullptr},
    {"collectgarbage", nullptr},
    {"gcinfo", nullptr},
};
constexpr Denied kDeniedOs[] = {
    {"execute", nullptr}, {"exit", nullptr},    {"getenv", nullptr},    {"remove", nullptr},
    {"rename", nullptr},  {"tmpname", nullptr}, {"setlocale", nullptr},
};
constexpr Denied kDeniedString[] = {{"dump", "bytecode is not allowed"}};

constexpr const char* kBaseAllowed[] = {
    "assert",   "error",  "ipairs", "next",         "pairs",        "rawequal",
    "rawget",   "rawset", "select", "setmetatable", "getmetatable", "tonumber",
    "tostring", "type",   "unpack", "pcall",        "xpcall",       "_VERSION",
};
constexpr const char* kOsAllowed[] = {"time", "clock", "date", "difftime"};
// Libraries require() returns from the environment in a sandboxed script.
constexpr const char* kLibraries[] = {"string", "table", "math", "bit", "coroutine", "os"};
// Modules require() refuses in a sandboxed script.
constexpr const char* kRefusedModules[] = {"ffi", "jit", "io", "debug", "package"};

// pcall/xpcall/coroutine wrappers (see sandbox.h). Arguments: the
// environment, the real pcall, xpcall, coroutine.create/resume/yield/status/
// running, stopped(), rethrow(), is_host_thread() and the host-wait marker.
constexpr std::string_view kPrelude = R"lua(
local env, pcall_, xpcall_, create, resume_, yield_, status, running, stopped, rethrow,
      is_host_thread, HOST = ...
local error = error

local function checked(ok, ...)
  if not ok and stopped() then rethrow() end
  return ok, ...
end
env.pcall = function(f, ...) return checked(pcall_(f, ...)) end
env.xpcall = function(f, handler, ...) return checked(xpcall_(f, handler, ...)) end

-- A coroutine that waits for the host makes its resumer wait with it: the
-- marker travels up to the handler's coroutine, the host's answer back down.
local function resumed(co, ok, ...)
  if ok and (...) == HOST and status(co) == "suspended" then
    return resumed(co, resume_(co, yield_(...)))
  end
  if not ok and stopped() then rethrow() end
  return ok, ...
end
local function resume(co, ...) return resumed(co, resume_(co, ...)) end
local function unwrap(ok, ...)
  if not ok then error((...), 0) end
  return ...
end
env.coroutine.resume = resume
env.coroutine.wrap = function(f)
  local co = create(f)
  return function(...) return unwrap(resume(co, ...)) end
end
-- A handler is not a coroutine of the script's: yielding it is an error
-- (one pcall can catch), not a suspension nobody would resume.
env.coroutine.yield = function(...)
  if is_host_thread(running()) then
    error("coroutine.yield() outside a coroutine: a handler cannot yield itself (run the " ..
          "code in coroutine.wrap, or wait with chorus.sleep or chorus.request)", 2)
  end
  return yield_(...)
end
)lua";

constexpr const char* kPreludeName = "=[chorus sandbox]";

SandboxState* state_of(lua_State* L) {
  return static_cast<SandboxState*>(lua_touserdata(L, lua_upvalueindex(1)));
}

void push_registry(lua_State* L, const char* key) {
  lua_pushlightuserdata(L, const_cast<char*>(key));
  lua_rawget(L, LUA_REGISTRYINDEX);
}

void set_registry(lua_State* L, const char* key) {  // pops the value
  lua_pushlightuserdata(L, const_cast<char*>(key));
  lua_insert(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

// __index of a table with denied names: upvalue 1 the prefix ("os."),
// upvalue 2 a table name -> hint.
int l_denied_index(lua_State* L) {
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(2));
  if (lua_isnil(L, -1)) return 0;
  const char* hint = lua_tostring(L, -1);
  const char* prefix = lua_tostring(L, lua_upvalueindex(1));
  const char* key = lua_tostring(L, 2);
  return luaL_error(L, "%s%s is not available in the Chorus sandbox (%s)", prefix, key,
                    hint && *hint ? hint : kTrustedHint);
}

template <size_t N>
void set_denied(lua_State* L, int table, const char* prefix, const Denied (&denied)[N]) {
  if (table < 0) table = lua_gettop(L) + table + 1;
  lua_createtable(L, 0, 2);  // the metatable
  lua_pushstring(L, prefix);
  lua_createtable(L, 0, static_cast<int>(N));
  for (const Denied& d : denied) {
    lua_pushstring(L, d.hint ? d.hint : "");
    lua_setfield(L, -2, d.name);
  }
  lua_pushcclosure(L, l_denied_index, 2);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_setmetatable(L, table);
}

// Copies every field of the table on top into a new table (pushed).
void push_copy(lua_State* L) {
  const int src = lua_gettop(L);
  lua_newtable(L);
  lua_pushnil(L);
  while (lua_next(L, src) != 0) {
    lua_pushvalue(L, -2);
    lua_insert(L, -2);
    lua_rawset(L, -4);
  }
}

int l_print(lua_State* L) {
  SandboxState* st = state_of(L);
  const int n = lua_gettop(L);
  std::string line;
  for (int i = 1; i <= n; ++i) {
    push_display_string(L, i);
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    if (i > 1) line += ' ';
    line.append(s, len);
    lua_pop(L, 1);
  }
  if (st->print) st->print(line);
  return 0;
}

int l_is_host_thread(lua_State* L) {
  push_registry(L, &kHostThreadsKey);
  lua_pushvalue(L, 1);
  lua_rawget(L, -2);
  return 1;
}

int l_stopped(lua_State* L) {
  lua_pushboolean(L, LuaVm::of(L).stop_reason() != StopReason::kNone);
  return 1;
}

int l_rethrow(lua_State* L) {
  LuaVm::of(L).raise_stop(L);
}

// load(chunk [, chunkname [, mode [, env]]]): text chunks given as strings.
int l_load(lua_State* L) {
  if (lua_type(L, 1) != LUA_TSTRING) {
    lua_pushnil(L);
    lua_pushliteral(L, "load: only strings can be loaded in the Chorus sandbox");
    return 2;
  }
  size_t n = 0;
  const char* s = lua_tolstring(L, 1, &n);
  std::string name = luaL_optstring(L, 2, "=(load)");
  if (name.empty() || name[0] != '=') name = "=" + name;  // never a file name ("@...")
  const char* mode = luaL_optstring(L, 3, "t");
  if (std::strchr(mode, 't') == nullptr || (n > 0 && s[0] == '\x1b')) {
    lua_pushnil(L);
    lua_pushliteral(L, "load: binary (bytecode) chunks are not allowed in the Chorus sandbox");
    return 2;
  }
  if (luaL_loadbufferx(L, s, n, name.c_str(), "t") != 0) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  if (lua_istable(L, 4)) {
    lua_pushvalue(L, 4);
  } else {
    push_environment(L);
  }
  lua_setfenv(L, -2);
  return 1;
}

bool valid_module_name(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  bool start = true;
  for (const char c : name) {
    if (c == '.') {
      if (start) return false;
      start = true;
      continue;
    }
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (digit && !start))) return false;
    start = false;
  }
  return !start;
}

// A trusted script's require of something outside the scripts folder: the
// standard require (upvalue 2).
int require_fallback(lua_State* L) {
  lua_pushvalue(L, lua_upvalueindex(2));
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1);
  return 1;
}

// require(name): upvalue 1 the SandboxState, upvalue 2 (trusted only) the
// standard require to fall back on.
int l_require(lua_State* L) {
  SandboxState* st = state_of(L);
  const std::string name = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  push_registry(L, &kLoadedKey);  // 2: loaded
  lua_getfield(L, 2, name.c_str());
  if (lua_touserdata(L, -1) == &kLoadingMarker)
    return luaL_error(L, "require: module '%s' requires itself (a loop)", name.c_str());
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);

  const bool trusted = st->trust == Trust::kTrusted;
  if (!trusted) {
    for (const char* refused : kRefusedModules) {
      if (name == refused || name.starts_with(std::string(refused) + "."))
        return luaL_error(L, "require: '%s' is not available in the Chorus sandbox (%s)",
                          name.c_str(), kTrustedHint);
    }
  }
  if (!valid_module_name(name)) {
    if (trusted) return require_fallback(L);
    return luaL_error(L,
                      "require: '%s' is not a module name (expected a dotted name such as "
                      "'lib.util', for %s/lib/util.lua)",
                      name.c_str(), st->folder.c_str());
  }
  {
    std::string rel = name;
    for (char& c : rel)
      if (c == '.') c = '/';
    rel += ".lua";
    const std::string display = st->folder + "/" + rel;
    const std::string real = real_path(st->folder_real + "/" + rel);
    if (real.empty()) {
      if (trusted) return require_fallback(L);
      return luaL_error(L, "require: module '%s' not found (no file %s)", name.c_str(),
                        display.c_str());
    }
    if (!real.starts_with(st->folder_real + "/"))
      return luaL_error(L, "require: module '%s' resolves outside the scripts folder (%s -> %s)",
                        name.c_str(), display.c_str(), real.c_str());
    std::string source;
    if (Status s = read_source(real, display, source); !s.ok())
      return luaL_error(L, "require: %s", s.message().c_str());
    if (Status s = load_text_chunk(L, source, display); !s.ok()) {
      lua_pushstring(L, s.message().c_str());
      return lua_error(L);
    }
    st->add_module(real);
  }
  // Run the module with the loading marker set, so that a loop is named.
  lua_pushlightuserdata(L, const_cast<char*>(&kLoadingMarker));
  lua_setfield(L, 2, name.c_str());
  lua_pushstring(L, name.c_str());
  if (lua_pcall(L, 1, 1, 0) != 0) {
    lua_pushnil(L);
    lua_setfield(L, 2, name.c_str());
    return lua_error(L);
  }
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    lua_pushboolean(L, 1);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, 2, name.c_str());
  return 1;
}

void open_sandboxed(lua_State* L, SandboxState* state) {
  const int G = lua_gettop(L) + 1;
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  lua_newtable(L);  // the environment
  const int E = G + 1;
  for (const char* name : kBaseAllowed) {
    lua_getfield(L, G, name);
    lua_setfield(L, E, name);
  }
  lua_pushvalue(L, E);
  lua_setfield(L, E, "_G");

  // string: a copy without dump, with the budgeted matchers; also what
  // string methods ("x"):find(...) reach.
  lua_getfield(L, G, "string");
  push_copy(L);
  lua_remove(L, -2);
  lua_pushnil(L);
  lua_setfield(L, -2, "dump");
  install_budgeted_string_functions(L, -1);
  set_denied(L, -1, "string.", kDeniedString);
  lua_pushliteral(L, "");
  lua_getmetatable(L, -1);
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "__index");
  lua_pushboolean(L, 0);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 2);
  lua_setfield(L, E, "string");

  for (const char* lib : {"table", "math", "bit", "coroutine"}) {
    lua_getfield(L, G, lib);
    push_copy(L);
    lua_remove(L, -2);
    lua_setfield(L, E, lib);
  }

  lua_getfield(L, G, "os");
  lua_createtable(L, 0, 4);
  for (const char* name : kOsAllowed) {
    lua_getfield(L, -2, name);
    lua_setfield(L, -2, name);
  }
  set_denied(L, -1, "os.", kDeniedOs);
  lua_setfield(L, E, "os");
  lua_pop(L, 1);

  lua_pushcfunction(L, l_load);
  lua_setfield(L, E, "load");
  lua_pushlightuserdata(L, state);
  lua_pushcclosure(L, l_require, 1);
  lua_setfield(L, E, "require");
  lua_pushlightuserdata(L, state);
  lua_pushcclosure(L, l_print, 1);
  lua_setfield(L, E, "print");

  // The wrappers (kPrelude).
  if (luaL_loadbuffer(L, kPrelude.data(), kPrelude.size(), kPreludeName) != 0)
    lua_error(L);  // a bug: the prelude is ours
  lua_pushvalue(L, E);
  lua_getfield(L, G, "pcall");
  lua_getfield(L, G, "xpcall");
  lua_getfield(L, G, "coroutine");
  const int co = lua_gettop(L);
  for (const char* f : {"create", "resume", "yield", "status", "running"})
    lua_getfield(L, co, f);
  lua_remove(L, co);
  lua_pushcfunction(L, l_stopped);
  lua_pushcfunction(L, l_rethrow);
  lua_pushcfunction(L, l_is_host_thread);
  lua_pushlightuserdata(L, const_cast<char*>(&kHostYield));
  lua_call(L, 12, 0);

  set_denied(L, E, "", kDeniedGlobals);

  // require() of a library returns the environment's copy.
  lua_createtable(L, 0, 8);
  for (const char* lib : kLibraries) {
    lua_getfield(L, E, lib);
    lua_setfield(L, -2, lib);
  }
  set_registry(L, &kLoadedKey);
  lua_pushvalue(L, E);
  set_registry(L, &kEnvKey);
  lua_settop(L, G - 1);
}

void open_trusted(lua_State* L, SandboxState* state) {
  lua_pushvalue(L, LUA_GLOBALSINDEX);
  const int G = lua_gettop(L);
  lua_getfield(L, G, "package");
  const std::string path = fmt::format("{0}/?.lua;{0}/?/init.lua;", state->folder);
  lua_getfield(L, -1, "path");
  lua_pushfstring(L, "%s%s", path.c_str(), lua_tostring(L, -1));
  lua_setfield(L, -3, "path");
  lua_pop(L, 2);
  lua_pushlightuserdata(L, state);
  lua_getfield(L, G, "require");
  lua_pushcclosure(L, l_require, 2);
  lua_setfield(L, G, "require");
  lua_pushlightuserdata(L, state);
  lua_pushcclosure(L, l_print, 1);
  lua_setfield(L, G, "print");
  lua_newtable(L);
  set_registry(L, &kLoadedKey);
  lua_pushvalue(L, G);
  set_registry(L, &kEnvKey);
  lua_settop(L, G - 1);
}

}  // namespace

void open_sandbox(lua_State* L, SandboxState* state) {
  LuaVm::of(L).open_standard_libraries();
  lua_newtable(L);  // the invocations' coroutines, weak keys
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "k");
  lua_setfield(L, -2, "__mode");
  lua_setmetatable(L, -2);
  set_registry(L, &kHostThreadsKey);
  if (state->trust == Trust::kTrusted) {
    open_trusted(L, state);
  } else {
    open_sandboxed(L, state);
  }
}

void SandboxState::add_module(const std::string& real_path) {
  std::lock_guard lock(modules_mu_);
  for (const auto& m : modules_)
    if (m == real_path) return;
  modules_.push_back(real_path);
}

std::vector<std::string> SandboxState::modules() const {
  std::lock_guard lock(modules_mu_);
  return modules_;
}

void mark_host_thread(lua_State* L, int index) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  push_registry(L, &kHostThreadsKey);
  if (!lua_istable(L, -1)) {
    lua_pop(L, 1);
    return;
  }
  lua_pushvalue(L, index);
  lua_pushboolean(L, 1);
  lua_rawset(L, -3);
  lua_pop(L, 1);
}

void push_environment(lua_State* L) {
  push_registry(L, &kEnvKey);
}

void set_module(lua_State* L, const char* name) {
  push_environment(L);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
  push_registry(L, &kLoadedKey);
  lua_insert(L, -2);
  lua_setfield(L, -2, name);
  lua_pop(L, 1);
}

Status load_text_chunk(lua_State* L, std::string_view source, const std::string& display) {
  if (!source.empty() && source[0] == '\x1b')
    return Status::InvalidArgument(fmt::format(
        "{}: binary (bytecode) chunks are not allowed; scripts are loaded as text", display));
  const std::string chunkname = "@" + display;
  if (luaL_loadbufferx(L, source.data(), source.size(), chunkname.c_str(), "t") != 0) {
    size_t n = 0;
    const char* msg = lua_tolstring(L, -1, &n);
    std::string text = msg ? std::string(msg, n) : std::string("cannot load ") + display;
    lua_pop(L, 1);
    return Status::InvalidArgument(std::move(text));
  }
  push_environment(L);
  lua_setfenv(L, -2);
  return Status::OK();
}

void push_display_string(lua_State* L, int index) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  switch (lua_type(L, index)) {
    case LUA_TSTRING:
      lua_pushvalue(L, index);
      return;
    case LUA_TNUMBER:
      lua_pushvalue(L, index);
      lua_tolstring(L, -1, nullptr);
      return;
    case LUA_TBOOLEAN:
      lua_pushstring(L, lua_toboolean(L, index) ? "true" : "false");
      return;
    case LUA_TNIL:
      lua_pushliteral(L, "nil");
      return;
    default:
      if (luaL_callmeta(L, index, "__tostring") && lua_isstring(L, -1)) return;
      lua_pushfstring(L, "%s: %p", luaL_typename(L, index), lua_topointer(L, index));
  }
}

}  // namespace chorus::lua
