// chorus.name, config, on, after, every, cancel, sleep, now, uuid, log, json.
#include <string>
#include <vector>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <lua.hpp>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/topic.h"
#include "core/uuid.h"
#include "lua/chorus_module.h"
#include "lua/lua_json.h"
#include "lua/lua_log.h"
#include "lua/sandbox.h"
#include "lua/script_version.h"

namespace chorus::lua {
namespace {

std::vector<std::string> check_patterns(lua_State* L, int index, const char* fn) {
  std::vector<std::string> out;
  auto add = [&](int i) {
    if (lua_type(L, i) != LUA_TSTRING)
      luaL_error(L, "%s: a pattern must be a string (got a %s)", fn, luaL_typename(L, i));
    std::string p = lua_tostring(L, i);
    if (Status s = validate_pattern(p, "pattern"); !s.ok())
      luaL_error(L, "%s: %s", fn, s.message().c_str());
    out.push_back(std::move(p));
  };
  if (lua_istable(L, index)) {
    const int n = static_cast<int>(lua_objlen(L, index));
    for (int i = 1; i <= n; ++i) {
      lua_rawgeti(L, index, i);
      add(lua_gettop(L));
      lua_pop(L, 1);
    }
    if (out.empty()) luaL_error(L, "%s: the list of patterns is empty", fn);
  } else {
    add(index);
  }
  return out;
}

// chorus.on(patterns, fn [, {filter=, priority=, queue=, durable=}])
int l_on(lua_State* L) {
  constexpr const char* fn = "chorus.on";
  ScriptVersion& v = ScriptVersion::of(L);
  if (!v.loading())
    return luaL_error(L,
                      "%s: subscriptions are declared while the script loads (at its top level), "
                      "not from a handler or a timer",
                      fn);
  Declared d;
  d.patterns = check_patterns(L, 1, fn);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  check_options(L, 3, fn, {"filter", "priority", "queue", "durable"});
  bool has_filter = false;
  std::string priority;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "filter");
    if (!lua_isnil(L, -1) && !lua_isfunction(L, -1))
      return luaL_error(L, "%s: option 'filter' must be a function (got a %s)", fn,
                        luaL_typename(L, -1));
    has_filter = lua_isfunction(L, -1);
    if (has_filter) {
      d.filter_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    } else {
      lua_pop(L, 1);
    }
    priority = opt_string(L, 3, fn, "priority");
    if (!priority.empty()) {
      auto p = parse_priority(priority);
      if (!p.ok())
        return luaL_error(L, "%s: option 'priority': %s", fn, p.error().message().c_str());
      d.min_priority = *p;
    }
    d.queue_group = opt_string(L, 3, fn, "queue");
    d.durable_group = opt_string(L, 3, fn, "durable");
    if (!d.queue_group.empty() && !d.durable_group.empty())
      return luaL_error(L, "%s: a subscription is either in a queue group or durable, not both",
                        fn);
  }
  lua_pushvalue(L, 2);
  d.fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  const std::string base =
      fmt::format("on:{}|q={}|d={}|f={}|p={}", fmt::join(d.patterns, ","), d.queue_group,
                  d.durable_group, has_filter ? 1 : 0, priority);
  int same = 0;
  for (const Declared& other : v.declared())
    same += other.key.starts_with(base + "#") ? 1 : 0;
  d.key = fmt::format("{}#{}", base, same);
  d.label = fmt::format("chorus.on('{}') at {}", fmt::join(d.patterns, "', '"), LuaVm::where(L, 1));
  d.filter_label = "the filter of " + d.label;
  v.declare(std::move(d));
  return 0;
}

int add_timer(lua_State* L, const char* fn, bool periodic) {
  ScriptVersion& v = ScriptVersion::of(L);
  const auto ms = check_millis(L, 1, fn, periodic ? 1 : 0);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  lua_pushvalue(L, 2);
  const int ref = luaL_ref(L, LUA_REGISTRYINDEX);
  const uint64_t id = v.add_timer(ref, ms, periodic ? ms : std::chrono::milliseconds(0));
  lua_pushnumber(L, static_cast<double>(id));
  return 1;
}

int l_after(lua_State* L) {
  return add_timer(L, "chorus.after", false);
}

int l_every(lua_State* L) {
  return add_timer(L, "chorus.every", true);
}

int l_cancel(lua_State* L) {
  const double id = luaL_checknumber(L, 1);
  lua_pushboolean(L, id >= 1 && ScriptVersion::of(L).cancel_timer(static_cast<uint64_t>(id)));
  return 1;
}

int l_sleep(lua_State* L) {
  constexpr const char* fn = "chorus.sleep";
  ScriptVersion& v = ScriptVersion::of(L);
  const auto ms = check_millis(L, 1, fn, 0);
  refuse_while_loading(L, fn);
  const WaitTicket t = v.invoker().begin_wait(L, fn);
  v.add_wake(t, ms);
  return yield_to_host(L);
}

int l_now(lua_State* L) {
  lua_pushnumber(L, static_cast<double>(wall_clock_ns()) / 1e6);
  return 1;
}

int l_uuid(lua_State* L) {
  char buf[36];
  new_uuid_v7().format_to(buf);
  lua_pushlstring(L, buf, sizeof buf);
  return 1;
}

// Upvalue 1: the spdlog level.
int l_log(lua_State* L) {
  const auto level = static_cast<spdlog::level::level_enum>(lua_tointeger(L, lua_upvalueindex(1)));
  if (!lua_log().should_log(level)) return 0;
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
  ScriptVersion::of(L).log(level, line);
  return 0;
}

}  // namespace

void add_core_api(lua_State* L, int m) {
  ScriptVersion& v = ScriptVersion::of(L);
  lua_pushstring(L, v.name().c_str());
  lua_setfield(L, m, "name");
  std::string error;
  if (!push_json(L, v.spec().config_json, &error)) lua_newtable(L);
  lua_setfield(L, m, "config");
  push_json_module(L);
  lua_setfield(L, m, "json");

  const luaL_Reg fns[] = {{"on", l_on},         {"after", l_after}, {"every", l_every},
                          {"cancel", l_cancel}, {"sleep", l_sleep}, {"now", l_now},
                          {"uuid", l_uuid},     {nullptr, nullptr}};
  for (const luaL_Reg* f = fns; f->name; ++f) {
    lua_pushcfunction(L, f->func);
    lua_setfield(L, m, f->name);
  }

  lua_createtable(L, 0, 4);
  const std::pair<const char*, spdlog::level::level_enum> levels[] = {
      {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},
      {"error", spdlog::level::err}};
  for (const auto& [name, level] : levels) {
    lua_pushinteger(L, level);
    lua_pushcclosure(L, l_log, 1);
    lua_setfield(L, -2, name);
  }
  lua_setfield(L, m, "log");
}

}  // namespace chorus::lua
