// chorus.workflow's table: field checks shared by both kinds of state.
#include "workflows/definition_table.h"

#include <lua.hpp>

#include "core/topic.h"
#include "lua/lua_vm.h"

namespace chorus::workflows {
namespace {

bool valid_name(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return false;
  return true;
}

void check_pattern(lua_State* L, const std::string& p) {
  Status s = validate_pattern(p);
  if (!s.ok()) luaL_error(L, "chorus.workflow: on: %s", s.message().c_str());
}

}  // namespace

std::string caller_location(lua_State* L) {
  return lua::LuaVm::where(L, 1);
}

void read_definition_table(lua_State* L, int index, DefinitionFields& out) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  if (!lua_istable(L, index))
    luaL_error(L, "chorus.workflow expects a table {name=, on=, run=, match=, key=}");
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "chorus.workflow: keys must be names");
    const std::string k = lua_tostring(L, -1);
    if (k != "name" && k != "on" && k != "run" && k != "match" && k != "key")
      luaL_error(L, "chorus.workflow: unknown field '%s' (expected name, on, run, match or key)",
                 k.c_str());
  }
  lua_getfield(L, index, "name");
  if (lua_type(L, -1) != LUA_TSTRING) luaL_error(L, "chorus.workflow: 'name' must be a string");
  out.name = lua_tostring(L, -1);
  lua_pop(L, 1);
  if (!valid_name(out.name))
    luaL_error(L, "chorus.workflow: name '%s' must be 1..128 of [A-Za-z0-9._-]", out.name.c_str());
  out.patterns.clear();
  lua_getfield(L, index, "on");
  if (lua_type(L, -1) == LUA_TSTRING) {
    out.patterns.emplace_back(lua_tostring(L, -1));
  } else if (lua_istable(L, -1)) {
    const int n = static_cast<int>(lua_objlen(L, -1));
    for (int i = 1; i <= n; ++i) {
      lua_rawgeti(L, -1, i);
      if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "chorus.workflow: on[%d] must be a pattern string", i);
      out.patterns.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
  if (out.patterns.empty())
    luaL_error(L, "chorus.workflow: 'on' must be a pattern or a list of patterns");
  for (const auto& p : out.patterns)
    check_pattern(L, p);
  lua_getfield(L, index, "run");
  if (!lua_isfunction(L, -1)) luaL_error(L, "chorus.workflow: 'run' must be a function");
  lua_pop(L, 1);
  for (const char* f : {"match", "key"}) {
    lua_getfield(L, index, f);
    if (!lua_isnil(L, -1) && !lua_isfunction(L, -1))
      luaL_error(L, "chorus.workflow: '%s' must be a function", f);
    const bool present = lua_isfunction(L, -1);
    lua_pop(L, 1);
    if (f[0] == 'm')
      out.has_match = present;
    else
      out.has_key = present;
  }
}

}  // namespace chorus::workflows
