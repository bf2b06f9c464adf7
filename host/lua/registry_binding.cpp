// chorus.registry: capability discovery for scripts (docs/lua.md
// "chorus.registry", chorus.d.lua). THIS FILE IS A STUB: this host has no
// discovery module yet, so every function raises
//   "chorus.registry.<fn>: discovery is not available in this host".
// When discovery (host/discovery) is wired, this file is replaced by the real
// binding; the contract it must keep:
//
//   chorus.registry.discover{capability=, type=, tags=, healthy_only=true}
//       -> list of service records {id, name, agent, capabilities, tags,
//          status, weight, metadata}; synchronous (a read of the registry).
//   chorus.registry.select(capability [, {strategy=}])
//       -> one record | nil, error; synchronous.
//   chorus.registry.request(capability, type, data [, {timeout=, attempts=}])
//       -> reply event | nil, error; waits like chorus.request (begin_wait /
//          yield_to_host / ScriptVersion::resume_later), failing over to
//          another instance on error or timeout.
//   chorus.registry.register{capabilities={...}, tags=, metadata=, weight=}
//       -> nil; only while the script loads: the script is registered as a
//          service with those capabilities while its slot is loaded
//          (kept across reloads, removed when the script is unloaded);
//          it answers requests with chorus.on + chorus.reply.
//
// The host's discovery object reaches the binding through ScriptServices
// (script_version.h), which gets a `discovery::Registry* registry` member.
#include <lua.hpp>

#include "lua/chorus_module.h"

namespace chorus::lua {
namespace {

// Upvalue 1: the function's name.
int l_unavailable(lua_State* L) {
  return luaL_error(L, "chorus.registry.%s: discovery is not available in this host",
                    lua_tostring(L, lua_upvalueindex(1)));
}

}  // namespace

void add_registry_api(lua_State* L, int m) {
  lua_createtable(L, 0, 4);
  for (const char* name : {"discover", "select", "request", "register"}) {
    lua_pushstring(L, name);
    lua_pushcclosure(L, l_unavailable, 1);
    lua_setfield(L, -2, name);
  }
  lua_setfield(L, m, "registry");
}

}  // namespace chorus::lua
