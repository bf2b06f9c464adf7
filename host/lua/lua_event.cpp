// Event objects in Lua: userdata with lazy fields and a cached decoded body.
#include "lua/lua_event.h"

#include <cstring>
#include <new>
#include <string_view>

#include <lua.hpp>

#include "bus/event_bus.h"
#include "lua/lua_json.h"

namespace chorus::lua {
namespace {

constexpr const char* kEventMeta = "chorus.event";

struct LuaEvent {
  EventPtr owned;               // a normal event object
  const Event* lent = nullptr;  // a lendable object: the event of the current call
  uint64_t seq = 0, version = 0;
  bool lendable = false;
  bool cached = false;  // the environment table holds decoded data / metadata
};

const Event* event_of(lua_State* L, LuaEvent* e) {
  const Event* ev = e->lendable ? e->lent : e->owned.get();
  if (ev == nullptr)
    luaL_error(L,
               "this event was lent to a filter for one call and is gone "
               "(a filter must not keep its event)");
  return ev;
}

void push_view(lua_State* L, std::string_view s) {
  lua_pushlstring(L, s.data(), s.size());
}

// nil for an absent optional field.
void push_optional(lua_State* L, std::string_view s) {
  if (s.empty()) {
    lua_pushnil(L);
  } else {
    push_view(L, s);
  }
}

bool is_json(std::string_view content_type) {
  if (content_type.empty()) return true;
  const std::string_view base = content_type.substr(0, content_type.find(';'));
  return base == "application/json" || base.ends_with("+json") || base == "text/json";
}

// The cache table (the userdata's environment), created on first use.
void push_cache(lua_State* L, LuaEvent* e) {
  if (e->cached) {
    lua_getfenv(L, 1);
    return;
  }
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, -1);
  lua_setfenv(L, 1);
  e->cached = true;
}

int push_data(lua_State* L, LuaEvent* e, const Event& ev) {
  const std::string_view data = ev.data();
  if (data.empty()) {
    lua_pushnil(L);
    return 1;
  }
  push_cache(L, e);
  lua_getfield(L, -1, "data");
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  if (!is_json(ev.content_type())) {
    push_view(L, data);
  } else {
    std::string error;
    if (!push_json(L, data, &error)) {
      const std::string type(ev.type());
      return luaL_error(L, "event %s %s: its data is not valid JSON (%s)", type.c_str(),
                        ev.id().to_string().c_str(), error.c_str());
    }
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "data");
  return 1;
}

int push_metadata(lua_State* L, LuaEvent* e, const Event& ev) {
  push_cache(L, e);
  lua_getfield(L, -1, "metadata");
  if (!lua_isnil(L, -1)) return 1;
  lua_pop(L, 1);
  lua_createtable(L, 0, static_cast<int>(ev.metadata().size()));
  for (auto [k, v] : ev.metadata()) {
    push_view(L, k);
    push_view(L, v);
    lua_rawset(L, -3);
  }
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "metadata");
  return 1;
}

bool key_is(const char* k, size_t n, std::string_view name) {
  return n == name.size() && std::memcmp(k, name.data(), n) == 0;
}

int l_index(lua_State* L) {
  auto* e = static_cast<LuaEvent*>(lua_touserdata(L, 1));
  const Event& ev = *event_of(L, e);
  size_t n = 0;
  const char* k = lua_type(L, 2) == LUA_TSTRING ? lua_tolstring(L, 2, &n) : nullptr;
  if (k == nullptr) return 0;
  switch (k[0]) {
    case 't':
      if (key_is(k, n, "type")) return push_view(L, ev.type()), 1;
      if (key_is(k, n, "time")) {
        lua_pushnumber(L, static_cast<double>(ev.time_ns()) / 1e6);
        return 1;
      }
      if (key_is(k, n, "target")) return push_optional(L, ev.target()), 1;
      break;
    case 'i':
      if (key_is(k, n, "id")) {
        char buf[36];
        ev.id().format_to(buf);
        lua_pushlstring(L, buf, sizeof buf);
        return 1;
      }
      if (key_is(k, n, "is_reply")) {
        lua_pushboolean(L, bus::EventBus::is_reply(ev));
        return 1;
      }
      break;
    case 'd':
      if (key_is(k, n, "data")) return push_data(L, e, ev);
      break;
    case 's':
      if (key_is(k, n, "source")) return push_view(L, ev.source()), 1;
      if (key_is(k, n, "stream")) return push_optional(L, ev.stream()), 1;
      if (key_is(k, n, "seq")) {
        if (e->seq == 0) return 0;
        lua_pushnumber(L, static_cast<double>(e->seq));
        return 1;
      }
      break;
    case 'p':
      if (key_is(k, n, "priority")) return push_view(L, priority_name(ev.priority())), 1;
      break;
    case 'c':
      if (key_is(k, n, "correlation_id")) return push_optional(L, ev.correlation_id()), 1;
      if (key_is(k, n, "causation_id")) return push_optional(L, ev.causation_id()), 1;
      if (key_is(k, n, "content_type")) {
        push_view(L, ev.content_type().empty() ? kDefaultContentType : ev.content_type());
        return 1;
      }
      break;
    case 'r':
      if (key_is(k, n, "raw")) return push_view(L, ev.data()), 1;
      break;
    case 'm':
      if (key_is(k, n, "metadata")) return push_metadata(L, e, ev);
      break;
    case 'v':
      if (key_is(k, n, "version")) {
        if (e->version == 0) return 0;
        lua_pushnumber(L, static_cast<double>(e->version));
        return 1;
      }
      break;
  }
  return 0;
}

int l_newindex(lua_State* L) {
  return luaL_error(L, "event fields are read-only");
}

int l_tostring(lua_State* L) {
  auto* e = static_cast<LuaEvent*>(lua_touserdata(L, 1));
  const Event* ev = e->lendable ? e->lent : e->owned.get();
  if (ev == nullptr) {
    lua_pushliteral(L, "event (gone)");
    return 1;
  }
  const std::string type(ev->type());
  lua_pushfstring(L, "event %s %s", type.c_str(), ev->id().to_string().c_str());
  return 1;
}

int l_eq(lua_State* L) {
  const Event* a = to_event(L, 1);
  const Event* b = to_event(L, 2);
  lua_pushboolean(L, a != nullptr && b != nullptr && a->id() == b->id());
  return 1;
}

int l_gc(lua_State* L) {
  auto* e = static_cast<LuaEvent*>(lua_touserdata(L, 1));
  e->~LuaEvent();
  return 0;
}

LuaEvent* new_event_object(lua_State* L) {
  void* mem = lua_newuserdata(L, sizeof(LuaEvent));
  auto* e = new (mem) LuaEvent();
  luaL_getmetatable(L, kEventMeta);
  lua_setmetatable(L, -2);
  return e;
}

}  // namespace

void open_event_type(lua_State* L) {
  if (!luaL_newmetatable(L, kEventMeta)) {
    lua_pop(L, 1);
    return;
  }
  const luaL_Reg methods[] = {
      {"__index", l_index}, {"__newindex", l_newindex}, {"__tostring", l_tostring}, {"__eq", l_eq},
      {"__gc", l_gc},       {nullptr, nullptr}};
  luaL_register(L, nullptr, methods);
  // getmetatable(ev) answers this string: the real metatable (and its __gc)
  // stays out of reach.
  lua_pushstring(L, kEventMeta);
  lua_setfield(L, -2, "__metatable");
  lua_pop(L, 1);
}

void push_event(lua_State* L, const EventPtr& ev, uint64_t seq, uint64_t version) {
  LuaEvent* e = new_event_object(L);
  e->owned = ev;
  e->seq = seq;
  e->version = version;
}

const Event* to_event(lua_State* L, int index) {
  auto* e = static_cast<LuaEvent*>(luaL_testudata(L, index, kEventMeta));
  if (e == nullptr) return nullptr;
  return e->lendable ? e->lent : e->owned.get();
}

EventPtr to_event_ptr(lua_State* L, int index) {
  auto* e = static_cast<LuaEvent*>(luaL_testudata(L, index, kEventMeta));
  if (e == nullptr || e->lendable) return nullptr;
  return e->owned;
}

struct LentEvent : LuaEvent {};

LentEvent* push_lendable_event(lua_State* L) {
  LuaEvent* e = new_event_object(L);
  e->lendable = true;
  return static_cast<LentEvent*>(e);
}

void lend_event(LentEvent* e, const Event* ev) noexcept {
  e->lent = ev;
  e->cached = false;  // a new cache table on first data access
}

void give_back_event(LentEvent* e) noexcept {
  e->lent = nullptr;
  e->cached = false;
}

}  // namespace chorus::lua
