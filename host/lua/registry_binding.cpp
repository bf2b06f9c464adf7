// chorus.registry: service discovery for scripts (docs/lua.md
// "chorus.registry", chorus.d.lua), over the host's discovery::Registry
// (ScriptServices::registry):
//
//   chorus.registry.discover{capability=, type=, tags=, healthy_only=true}
//       -> list of service records {id, name, agent, type, version,
//          capabilities, tags, status, weight, metadata, address};
//          synchronous (a read of the registry).
//   chorus.registry.select(capability [, {strategy=, tags=}])
//       -> one record | nil, error; synchronous. The pick is not held (a
//          script has no release): balancing by connections counts only
//          registry.request's calls.
//   chorus.registry.request(capability, type, data [, opts])
//       -> reply event | nil, error; waits like chorus.request, failing
//          over to another instance on error or timeout. opts: timeout,
//          attempts, strategy, tags, and chorus.publish's event options.
//   chorus.registry.register{capabilities={...}, tags=, metadata=, weight=}
//       -> nothing; only while the script loads: the script is a service
//          with those capabilities while it is loaded (ScriptService: kept
//          across reloads that keep declaring it, removed when the script
//          is unloaded); requests directed at it run its chorus.on handlers,
//          which answer with chorus.reply.
//
// In check and filter mode: discover returns an empty list, select nil and
// a message, register only validates, request raises. Live without a
// registry every function raises "discovery is not available in this host".
#include <algorithm>

#include <fmt/core.h>
#include <lua.hpp>

#include "discovery/registry.h"
#include "discovery/validate.h"
#include "lua/chorus_module.h"
#include "lua/invoker.h"
#include "lua/lua_event.h"
#include "lua/script_service.h"
#include "lua/script_version.h"

namespace chorus::lua {
namespace {

constexpr uint32_t kMaxWeight = 10'000;

// The registry, or null in check/filter mode; raises live without one.
discovery::Registry* registry_of(lua_State* L, ScriptVersion& v, const char* fn) {
  if (!v.live()) return nullptr;
  if (v.services().registry == nullptr)
    luaL_error(L, "%s: discovery is not available in this host", fn);
  return v.services().registry;
}

// The list of strings at field `key` of the table at `index` (nil: empty).
std::vector<std::string> string_list(lua_State* L, int index, const char* fn, const char* key) {
  std::vector<std::string> out;
  if (!lua_istable(L, index)) return out;
  lua_getfield(L, index, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return out;
  }
  if (!lua_istable(L, -1))
    luaL_error(L, "%s: '%s' must be a list of strings (got a %s)", fn, key, luaL_typename(L, -1));
  const int list = lua_gettop(L);
  const size_t n = lua_objlen(L, list);
  for (size_t i = 1; i <= n; ++i) {
    lua_rawgeti(L, list, static_cast<int>(i));
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "%s: %s[%d] must be a string (got a %s)", fn, key, static_cast<int>(i),
                 luaL_typename(L, -1));
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    out.emplace_back(s, len);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return out;
}

std::optional<discovery::Strategy> strategy_opt(lua_State* L, int index, const char* fn) {
  const std::string name = opt_string(L, index, fn, "strategy");
  if (name.empty()) return std::nullopt;
  auto s = discovery::parse_strategy(name);
  if (!s.ok()) luaL_error(L, "%s: option 'strategy': %s", fn, s.error().message().c_str());
  return *s;
}

void set_string(lua_State* L, const char* key, std::string_view value) {
  lua_pushlstring(L, value.data(), value.size());
  lua_setfield(L, -2, key);
}

void set_list(lua_State* L, const char* key, const std::vector<std::string>& values) {
  lua_createtable(L, static_cast<int>(values.size()), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    lua_pushlstring(L, values[i].data(), values[i].size());
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
  lua_setfield(L, -2, key);
}

void push_record(lua_State* L, const discovery::ServiceInfo& s) {
  const discovery::ServiceSpec& spec = *s.spec;
  lua_createtable(L, 0, 11);
  set_string(L, "id", spec.id);
  set_string(L, "name", spec.name);
  set_string(L, "agent", spec.agent_id);
  set_string(L, "type", spec.type);
  set_string(L, "version", spec.version);
  set_string(L, "status", discovery::status_name(s.status));
  lua_pushnumber(L, spec.weight);
  lua_setfield(L, -2, "weight");
  if (!spec.host.empty()) set_string(L, "address", fmt::format("{}:{}", spec.host, spec.port));
  set_list(L, "capabilities", spec.capabilities);
  set_list(L, "tags", spec.tags);
  lua_createtable(L, 0, static_cast<int>(spec.metadata.size()));
  for (const auto& [k, val] : spec.metadata)
    set_string(L, k.c_str(), val);
  lua_setfield(L, -2, "metadata");
}

// chorus.registry.discover([query]) -> list of records
int l_discover(lua_State* L) {
  constexpr const char* fn = "chorus.registry.discover";
  ScriptVersion& v = ScriptVersion::of(L);
  if (!lua_isnoneornil(L, 1) && !lua_istable(L, 1))
    return luaL_error(L, "%s: the query must be a table (got a %s)", fn, luaL_typename(L, 1));
  check_options(L, 1, fn, {"capability", "type", "tags", "healthy_only"});
  discovery::Query q;
  q.capability = opt_string(L, 1, fn, "capability");
  q.type = opt_string(L, 1, fn, "type");
  q.tags = string_list(L, 1, fn, "tags");
  if (lua_istable(L, 1)) {
    lua_getfield(L, 1, "healthy_only");
    if (!lua_isnil(L, -1) && !lua_isboolean(L, -1))
      return luaL_error(L, "%s: 'healthy_only' must be a boolean (got a %s)", fn,
                        luaL_typename(L, -1));
    if (lua_isboolean(L, -1) && !lua_toboolean(L, -1)) q.health = discovery::HealthFilter::kAny;
    lua_pop(L, 1);
  }
  discovery::Registry* registry = registry_of(L, v, fn);
  std::vector<discovery::ServiceInfo> found;
  if (registry) found = registry->discover(q);
  lua_createtable(L, static_cast<int>(found.size()), 0);
  for (size_t i = 0; i < found.size(); ++i) {
    push_record(L, found[i]);
    lua_rawseti(L, -2, static_cast<int>(i + 1));
  }
  return 1;
}

// chorus.registry.select(capability [, opts]) -> record | nil, error
int l_select(lua_State* L) {
  constexpr const char* fn = "chorus.registry.select";
  ScriptVersion& v = ScriptVersion::of(L);
  size_t len = 0;
  const char* cap = luaL_checklstring(L, 1, &len);
  check_options(L, 2, fn, {"strategy", "tags"});
  discovery::SelectOptions o;
  o.strategy = strategy_opt(L, 2, fn);
  o.tags = string_list(L, 2, fn, "tags");
  discovery::Registry* registry = registry_of(L, v, fn);
  if (!registry) return push_failure(L, Status::Unavailable(fmt::format("{}: check mode", fn)));
  auto picked = registry->select(std::string_view(cap, len), o);
  if (!picked.ok()) return push_failure(L, picked.error());
  registry->release(*picked);  // not held: see the file comment
  push_record(L, *picked);
  return 1;
}

// chorus.registry.request(capability, type [, data [, opts]]) -> reply | nil, error
int l_request(lua_State* L) {
  constexpr const char* fn = "chorus.registry.request";
  ScriptVersion& v = ScriptVersion::of(L);
  size_t len = 0;
  const char* cap = luaL_checklstring(L, 1, &len);
  check_options(L, 4, fn, {CHORUS_EVENT_OPTIONS, "timeout", "attempts", "strategy", "tags"});
  refuse_while_loading(L, fn);
  if (!v.live()) return luaL_error(L, "%s is not available here (check or filter mode)", fn);
  discovery::Registry* registry = registry_of(L, v, fn);
  auto ev = build_event(L, fn, 2, 3, 4).build();
  if (!ev.ok()) return luaL_error(L, "%s: %s", fn, ev.error().message().c_str());
  discovery::RequestOptions o;
  o.strategy = strategy_opt(L, 4, fn);
  o.tags = string_list(L, 4, fn, "tags");
  o.timeout = v.spec().request_timeout;
  if (lua_istable(L, 4)) {
    lua_getfield(L, 4, "timeout");
    if (!lua_isnil(L, -1)) o.timeout = check_millis(L, lua_gettop(L), fn, 1);
    lua_pop(L, 1);
    lua_getfield(L, 4, "attempts");
    if (!lua_isnil(L, -1)) {
      const double n = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : -1;
      if (n < 1 || n > 100 || n != static_cast<double>(static_cast<uint32_t>(n)))
        return luaL_error(L, "%s: option 'attempts' must be a whole number from 1 to 100", fn);
      o.attempts = static_cast<uint32_t>(n);
    }
    lua_pop(L, 1);
  }
  const WaitTicket t = v.invoker().begin_wait(L, fn);
  registry->request_by_capability(std::string_view(cap, len), std::move(*ev), std::move(o),
                                  [w = v.weak_from_this(), t](Result<EventPtr> r) {
                                    auto self = w.lock();
                                    if (!self) return;
                                    self->resume_later(t, [r = std::move(r)](lua_State* co) {
                                      if (!r.ok()) return push_failure(co, r.error());
                                      push_event(co, *r);
                                      return 1;
                                    });
                                  });
  return yield_to_host(L);
}

// chorus.registry.register{capabilities=, tags=, metadata=, weight=}
int l_register(lua_State* L) {
  constexpr const char* fn = "chorus.registry.register";
  ScriptVersion& v = ScriptVersion::of(L);
  if (!lua_istable(L, 1))
    return luaL_error(L, "%s: expects a table {capabilities = {...}, ...} (got a %s)", fn,
                      luaL_typename(L, 1));
  check_options(L, 1, fn, {"capabilities", "tags", "metadata", "weight"});
  if (!v.loading())
    return luaL_error(L, "%s: only while the script loads (call it at the top level of the script)",
                      fn);
  if (v.live() && v.services().registry == nullptr)
    return luaL_error(L, "%s: discovery is not available in this host", fn);
  ServiceDeclaration d;
  d.capabilities = string_list(L, 1, fn, "capabilities");
  if (d.capabilities.empty())
    return luaL_error(L, "%s: 'capabilities' must list at least one capability", fn);
  d.tags = string_list(L, 1, fn, "tags");
  lua_getfield(L, 1, "metadata");
  if (lua_istable(L, -1)) {
    const int m = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, m) != 0) {
      if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
        return luaL_error(L, "%s: 'metadata' must map strings to strings", fn);
      d.metadata.emplace_back(lua_tostring(L, -2), lua_tostring(L, -1));
      lua_pop(L, 1);
    }
    std::sort(d.metadata.begin(), d.metadata.end());
  } else if (!lua_isnil(L, -1)) {
    return luaL_error(L, "%s: 'metadata' must be a table (got a %s)", fn, luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  lua_getfield(L, 1, "weight");
  if (!lua_isnil(L, -1)) {
    const double w = lua_isnumber(L, -1) ? lua_tonumber(L, -1) : -1;
    if (w < 1 || w > kMaxWeight || w != static_cast<double>(static_cast<uint32_t>(w)))
      return luaL_error(L, "%s: 'weight' must be a whole number from 1 to %d", fn,
                        static_cast<int>(kMaxWeight));
    d.weight = static_cast<uint32_t>(w);
  }
  lua_pop(L, 1);
  // The registry's own rules, now, so the error names the script's line.
  discovery::ServiceSpec trial;
  trial.id = script_agent_id(v.name());
  trial.capabilities = d.capabilities;
  trial.tags = d.tags;
  trial.metadata = d.metadata;
  trial.weight = d.weight;
  trial.ttl = std::chrono::milliseconds(0);
  if (Status s = discovery::normalize_spec(trial); !s.ok())
    return luaL_error(L, "%s: %s", fn, s.message().c_str());
  v.declare_service(std::move(d));
  return 0;
}

}  // namespace

void add_registry_api(lua_State* L, int m) {
  lua_createtable(L, 0, 4);
  lua_pushcfunction(L, l_discover);
  lua_setfield(L, -2, "discover");
  lua_pushcfunction(L, l_select);
  lua_setfield(L, -2, "select");
  lua_pushcfunction(L, l_request);
  lua_setfield(L, -2, "request");
  lua_pushcfunction(L, l_register);
  lua_setfield(L, -2, "register");
  lua_setfield(L, m, "registry");
}

}  // namespace chorus::lua
