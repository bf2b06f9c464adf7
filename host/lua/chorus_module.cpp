// The `chorus` module: assembly and the helpers its functions share.
#include "lua/chorus_module.h"

#include <cmath>

#include <fmt/core.h>
#include <lua.hpp>

#include "lua/lua_event.h"
#include "lua/lua_json.h"
#include "lua/sandbox.h"
#include "lua/script_version.h"

namespace chorus::lua {

void open_chorus_module(lua_State* L) {
  lua_newtable(L);
  const int m = lua_gettop(L);
  add_core_api(L, m);
  add_event_api(L, m);
  add_store_api(L, m);
  add_registry_api(L, m);
  set_module(L, "chorus");
}

void check_options(lua_State* L, int index, const char* fn,
                   std::initializer_list<const char*> known) {
  if (lua_isnoneornil(L, index)) return;
  if (!lua_istable(L, index))
    luaL_error(L, "%s: options must be a table (got a %s)", fn, luaL_typename(L, index));
  lua_pushnil(L);
  while (lua_next(L, index) != 0) {
    lua_pop(L, 1);
    bool ok = false;
    if (lua_type(L, -1) == LUA_TSTRING) {
      const char* k = lua_tostring(L, -1);
      for (const char* name : known)
        ok = ok || std::string_view(k) == name;
    }
    if (!ok) {
      std::string list;
      size_t i = 0;
      for (const char* name : known) {
        if (i++) list += i == known.size() ? " or " : ", ";
        list += name;
      }
      push_display_string(L, -1);
      const std::string key = lua_tostring(L, -1);
      luaL_error(L, "%s: unknown option '%s' (expected %s)", fn, key.c_str(), list.c_str());
    }
  }
}

std::string opt_string(lua_State* L, int index, const char* fn, const char* key) {
  if (!lua_istable(L, index)) return {};
  lua_getfield(L, index, key);
  std::string out;
  if (lua_type(L, -1) == LUA_TSTRING) {
    size_t n = 0;
    const char* s = lua_tolstring(L, -1, &n);
    out.assign(s, n);
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "%s: option '%s' must be a string (got a %s)", fn, key, luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return out;
}

std::chrono::milliseconds check_millis(lua_State* L, int index, const char* fn, double min) {
  const double ms = lua_tonumber(L, index);
  if (lua_type(L, index) != LUA_TNUMBER || !(ms >= min) || ms > 1e12)
    luaL_error(
        L, "%s: argument %d must be a duration in milliseconds, at least %d (got %s)", fn, index,
        static_cast<int>(min),
        lua_type(L, index) == LUA_TNUMBER ? lua_tostring(L, index) : luaL_typename(L, index));
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(ms)));
}

int push_failure(lua_State* L, const Status& s) {
  lua_pushnil(L);
  const std::string text = s.to_string();
  lua_pushlstring(L, text.data(), text.size());
  return 2;
}

void refuse_while_loading(lua_State* L, const char* fn) {
  if (ScriptVersion::of(L).loading())
    luaL_error(L,
               "%s cannot wait while the script loads (call it from a handler, or from "
               "chorus.after(0, function() ... end))",
               fn);
}

EventBuilder build_event(lua_State* L, const char* fn, int type_index, int data_index,
                         int opts_index) {
  ScriptVersion& v = ScriptVersion::of(L);
  size_t tn = 0;
  const char* type = luaL_checklstring(L, type_index, &tn);
  EventBuilder b(std::string_view(type, tn));
  b.source(v.name());

  // Caused by the event being handled, unless told otherwise.
  const bool has_opts = lua_istable(L, opts_index);
  const Event* cause = nullptr;
  bool cause_given = false;
  if (has_opts) {
    lua_getfield(L, opts_index, "cause");
    if (!lua_isnil(L, -1)) {
      cause_given = true;
      if (lua_type(L, -1) == LUA_TBOOLEAN && !lua_toboolean(L, -1)) {
        cause = nullptr;
      } else if ((cause = to_event(L, -1)) == nullptr) {
        luaL_error(L, "%s: option 'cause' must be an event or false (got a %s)", fn,
                   luaL_typename(L, -1));
      }
    }
    lua_pop(L, 1);
  }
  if (!cause_given && v.invoker().current() && v.invoker().current()->cause)
    cause = v.invoker().current()->cause.get();
  if (cause) b.caused_by(*cause);

  const std::string content_type = opt_string(L, opts_index, fn, "content_type");
  switch (lua_type(L, data_index)) {
    case LUA_TNONE:
    case LUA_TNIL:
      break;
    case LUA_TSTRING: {
      size_t n = 0;
      const char* s = lua_tolstring(L, data_index, &n);
      b.data(std::string_view(s, n), content_type.empty()
                                         ? std::string_view("text/plain; charset=utf-8")
                                         : std::string_view(content_type));
      break;
    }
    case LUA_TTABLE:
    case LUA_TNUMBER:
    case LUA_TBOOLEAN:
    case LUA_TLIGHTUSERDATA: {
      std::string json, error;
      if (!encode_json(L, data_index, json, &error))
        luaL_error(L, "%s: data cannot be sent as JSON: %s", fn, error.c_str());
      b.data(json, content_type);
      break;
    }
    default:
      luaL_error(L, "%s: data must be a table, string, number or boolean (got a %s)", fn,
                 luaL_typename(L, data_index));
  }
  if (!has_opts) return b;

  if (auto s = opt_string(L, opts_index, fn, "target"); !s.empty()) b.target(s);
  if (auto s = opt_string(L, opts_index, fn, "correlation_id"); !s.empty()) b.correlation_id(s);
  if (auto s = opt_string(L, opts_index, fn, "causation_id"); !s.empty()) b.causation_id(s);
  if (auto s = opt_string(L, opts_index, fn, "stream"); !s.empty()) b.stream(s);
  lua_getfield(L, opts_index, "priority");
  if (!lua_isnil(L, -1)) {
    auto p = parse_priority(lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
    if (!p.ok()) luaL_error(L, "%s: option 'priority': %s", fn, p.error().message().c_str());
    b.priority(*p);
  }
  lua_pop(L, 1);
  lua_getfield(L, opts_index, "metadata");
  if (lua_istable(L, -1)) {
    const int md = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, md) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
        luaL_error(L, "%s: option 'metadata' must map strings to strings", fn);
      size_t kn = 0, vn = 0;
      const char* k = lua_tolstring(L, -2, &kn);
      lua_pushvalue(L, -1);
      const char* val = lua_tolstring(L, -1, &vn);
      b.metadata(std::string_view(k, kn), std::string_view(val, vn));
      lua_pop(L, 2);
    }
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "%s: option 'metadata' must be a table (got a %s)", fn, luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return b;
}

}  // namespace chorus::lua
