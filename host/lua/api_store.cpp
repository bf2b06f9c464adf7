// chorus.store: append, read, snapshot, load_snapshot (docs/lua.md "chorus.store").
#include <fmt/core.h>
#include <lua.hpp>

#include "lua/blocking_worker.h"
#include "lua/chorus_module.h"
#include "lua/invoker.h"
#include "lua/lua_event.h"
#include "lua/lua_json.h"
#include "lua/script_version.h"
#include "store/event_store.h"

namespace chorus::lua {
namespace {

constexpr size_t kDefaultReadLimit = 100;
constexpr size_t kMaxReadLimit = 10'000;

store::EventStore& store_of(lua_State* L, ScriptVersion& v, const char* fn) {
  if (v.services().store == nullptr) luaL_error(L, "%s: this host has no event store", fn);
  return *v.services().store;
}

store::ExpectedVersion expected_of(lua_State* L, int opts, const char* fn) {
  if (!lua_istable(L, opts)) return store::ExpectedVersion::any();
  lua_getfield(L, opts, "expected_version");
  store::ExpectedVersion e = store::ExpectedVersion::any();
  if (lua_type(L, -1) == LUA_TNUMBER) {
    const double n = lua_tonumber(L, -1);
    if (n < 0) luaL_error(L, "%s: option 'expected_version' must be >= 0", fn);
    e = store::ExpectedVersion::exact(static_cast<uint64_t>(n));
  } else if (lua_type(L, -1) == LUA_TSTRING) {
    const std::string s = lua_tostring(L, -1);
    if (s == "any") {
      e = store::ExpectedVersion::any();
    } else if (s == "no_stream") {
      e = store::ExpectedVersion::no_stream();
    } else if (s == "exists") {
      e = store::ExpectedVersion::stream_exists();
    } else {
      luaL_error(L,
                 "%s: option 'expected_version' is '%s' (expected a number, 'any', "
                 "'no_stream' or 'exists')",
                 fn, s.c_str());
    }
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "%s: option 'expected_version' must be a number or a string", fn);
  }
  lua_pop(L, 1);
  return e;
}

// chorus.store.append(stream, type, data [, opts]) -> {seq=, version=} | nil, error
int l_append(lua_State* L) {
  constexpr const char* fn = "chorus.store.append";
  ScriptVersion& v = ScriptVersion::of(L);
  const std::string stream = luaL_checkstring(L, 1);
  check_options(L, 4, fn, {CHORUS_EVENT_OPTIONS, "expected_version"});
  EventBuilder b = build_event(L, fn, 2, 3, 4);
  b.stream(stream);
  auto ev = b.build();
  if (!ev.ok()) return luaL_error(L, "%s: %s", fn, ev.error().message().c_str());
  const store::ExpectedVersion expected = expected_of(L, 4, fn);
  refuse_while_loading(L, fn);
  if (!v.live()) return luaL_error(L, "%s is not available here (check or filter mode)", fn);
  store::EventStore& st = store_of(L, v, fn);
  const WaitTicket t = v.invoker().begin_wait(L, fn);
  EventPtr one = *ev;
  st.append_async(stream, std::span<const EventPtr>(&one, 1), expected,
                  [w = v.weak_from_this(), t](const store::AppendResult& r) {
                    auto self = w.lock();
                    if (!self) return;
                    self->resume_later(t, [r](lua_State* co) {
                      if (!r.ok()) return push_failure(co, r.status);
                      lua_createtable(co, 0, 2);
                      lua_pushnumber(co, static_cast<double>(r.last_seq));
                      lua_setfield(co, -2, "seq");
                      lua_pushnumber(co, static_cast<double>(r.stream_version));
                      lua_setfield(co, -2, "version");
                      return 1;
                    });
                  });
  return yield_to_host(L);
}

// chorus.store.read{stream= | type= | correlation=, from=, limit=, backward=}
//   -> events, next (nil at the end)
int l_read(lua_State* L) {
  constexpr const char* fn = "chorus.store.read";
  ScriptVersion& v = ScriptVersion::of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  check_options(L, 1, fn, {"stream", "type", "correlation", "from", "limit", "backward"});
  const std::string stream = opt_string(L, 1, fn, "stream");
  const std::string type = opt_string(L, 1, fn, "type");
  const std::string correlation = opt_string(L, 1, fn, "correlation");
  if (!stream.empty() + !type.empty() + !correlation.empty() > 1)
    return luaL_error(L, "%s: give one of stream, type or correlation", fn);
  lua_getfield(L, 1, "backward");
  const bool backward = lua_toboolean(L, -1);
  lua_getfield(L, 1, "from");
  uint64_t from = backward ? store::kEnd : (stream.empty() ? 0 : 1);
  if (!lua_isnil(L, -1)) from = static_cast<uint64_t>(luaL_checknumber(L, -1));
  lua_getfield(L, 1, "limit");
  size_t limit = kDefaultReadLimit;
  if (!lua_isnil(L, -1)) {
    const double n = luaL_checknumber(L, -1);
    if (n < 1 || n > static_cast<double>(kMaxReadLimit))
      return luaL_error(L, "%s: limit must be 1 to %d", fn, static_cast<int>(kMaxReadLimit));
    limit = static_cast<size_t>(n);
  }
  lua_pop(L, 3);
  if (!v.live()) {
    lua_newtable(L);
    lua_pushnil(L);
    return 2;
  }
  store::EventStore& st = store_of(L, v, fn);
  const auto dir = backward ? store::Direction::kBackward : store::Direction::kForward;
  Result<store::ReadPage> page = Status::Internal("unset");
  if (!stream.empty()) {
    page = st.read_stream(stream, from, dir, limit);
  } else if (!type.empty()) {
    page = st.read_types(type, from, dir, limit);
  } else if (!correlation.empty()) {
    page = st.read_correlation(correlation, from, dir, limit);
  } else {
    page = st.read_all(from, dir, limit);
  }
  if (!page.ok()) return luaL_error(L, "%s: %s", fn, page.error().message().c_str());
  lua_createtable(L, static_cast<int>(page->events.size()), 0);
  int i = 0;
  for (const store::StoredEvent& e : page->events) {
    push_event(L, e.event, e.seq, e.stream_version);
    lua_rawseti(L, -2, ++i);
  }
  if (page->end) {
    lua_pushnil(L);
  } else {
    lua_pushnumber(L, static_cast<double>(page->next));
  }
  return 2;
}

// chorus.store.snapshot(stream, version, state) -> true | nil, error
int l_snapshot(lua_State* L) {
  constexpr const char* fn = "chorus.store.snapshot";
  ScriptVersion& v = ScriptVersion::of(L);
  const std::string stream = luaL_checkstring(L, 1);
  const double version = luaL_checknumber(L, 2);
  if (version < 1) return luaL_error(L, "%s: version must be at least 1", fn);
  luaL_checkany(L, 3);
  std::string state, error;
  if (!encode_json(L, 3, state, &error))
    return luaL_error(L, "%s: the state cannot be stored as JSON: %s", fn, error.c_str());
  refuse_while_loading(L, fn);
  if (!v.live()) return luaL_error(L, "%s is not available here (check or filter mode)", fn);
  store::EventStore* st = &store_of(L, v, fn);
  const WaitTicket t = v.invoker().begin_wait(L, fn);
  v.services().worker->submit([st, stream, version = static_cast<uint64_t>(version),
                               state = std::move(state), w = v.weak_from_this(), t] {
    Status s = st->save_snapshot(stream, version, state);
    if (auto self = w.lock()) {
      self->resume_later(t, [s](lua_State* co) {
        if (!s.ok()) return push_failure(co, s);
        lua_pushboolean(co, 1);
        return 1;
      });
    }
  });
  return yield_to_host(L);
}

// chorus.store.load_snapshot(stream [, at_or_before]) -> state, version | nil
int l_load_snapshot(lua_State* L) {
  constexpr const char* fn = "chorus.store.load_snapshot";
  ScriptVersion& v = ScriptVersion::of(L);
  const std::string stream = luaL_checkstring(L, 1);
  uint64_t at = store::kEnd;
  if (!lua_isnoneornil(L, 2)) at = static_cast<uint64_t>(luaL_checknumber(L, 2));
  if (!v.live()) {
    lua_pushnil(L);
    return 1;
  }
  auto snap = store_of(L, v, fn).load_snapshot(stream, at);
  if (!snap.ok()) {
    if (snap.error().is(StatusCode::kNotFound)) {
      lua_pushnil(L);
      return 1;
    }
    return luaL_error(L, "%s: %s", fn, snap.error().message().c_str());
  }
  if (!snap->has_value()) {
    lua_pushnil(L);
    return 1;
  }
  std::string error;
  if (!push_json(L, (*snap)->state, &error))
    return luaL_error(L, "%s: the snapshot of %s is not JSON: %s", fn, stream.c_str(),
                      error.c_str());
  lua_pushnumber(L, static_cast<double>((*snap)->version));
  return 2;
}

}  // namespace

void add_store_api(lua_State* L, int m) {
  lua_createtable(L, 0, 4);
  const luaL_Reg fns[] = {{"append", l_append},
                          {"read", l_read},
                          {"snapshot", l_snapshot},
                          {"load_snapshot", l_load_snapshot},
                          {nullptr, nullptr}};
  for (const luaL_Reg* f = fns; f->name; ++f) {
    lua_pushcfunction(L, f->func);
    lua_setfield(L, -2, f->name);
  }
  lua_setfield(L, m, "store");
}

}  // namespace chorus::lua
