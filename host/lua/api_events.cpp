// chorus.publish, chorus.request, chorus.reply.
#include <lua.hpp>

#include "bus/event_bus.h"
#include "lua/chorus_module.h"
#include "lua/invoker.h"
#include "lua/lua_event.h"
#include "lua/lua_log.h"
#include "lua/script_version.h"

namespace chorus::lua {
namespace {

void push_id(lua_State* L, const Event& ev) {
  char buf[36];
  ev.id().format_to(buf);
  lua_pushlstring(L, buf, sizeof buf);
}

EventPtr built(lua_State* L, const char* fn, const EventBuilder& b) {
  auto ev = b.build();
  if (!ev.ok()) luaL_error(L, "%s: %s", fn, ev.error().message().c_str());
  return *ev;
}

// chorus.publish(type [, data [, opts]]) -> id
int l_publish(lua_State* L) {
  constexpr const char* fn = "chorus.publish";
  ScriptVersion& v = ScriptVersion::of(L);
  check_options(L, 3, fn, {CHORUS_EVENT_OPTIONS, "wait"});
  EventPtr ev = built(L, fn, build_event(L, fn, 1, 2, 3));
  bool wait = false;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "wait");
    wait = lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  if (!v.live()) {
    push_id(L, *ev);
    return 1;
  }
  if (wait) {
    refuse_while_loading(L, fn);
    const WaitTicket t = v.invoker().begin_wait(L, fn);
    v.services().bus->publish_async(ev, [w = v.weak_from_this(), t, ev](const Status& s) {
      auto self = w.lock();
      if (!self) return;
      self->resume_later(t, [s, ev](lua_State* co) {
        if (!s.ok()) return push_failure(co, s);
        push_id(co, *ev);
        return 1;
      });
    });
    return yield_to_host(L);
  }
  v.services().bus->publish_async(ev, [ev](const Status& s) {
    if (!s.ok())
      lua_log().warn("{}: publishing {} {} failed: {}", ev->source(), ev->type(),
                     ev->id().to_string(), s.to_string());
  });
  push_id(L, *ev);
  return 1;
}

// chorus.request(type [, data [, opts]]) -> reply | nil, error
int l_request(lua_State* L) {
  constexpr const char* fn = "chorus.request";
  ScriptVersion& v = ScriptVersion::of(L);
  check_options(L, 3, fn, {CHORUS_EVENT_OPTIONS, "timeout"});
  refuse_while_loading(L, fn);
  if (!v.live()) return luaL_error(L, "%s is not available here (check or filter mode)", fn);
  EventPtr ev = built(L, fn, build_event(L, fn, 1, 2, 3));
  std::chrono::milliseconds timeout = v.spec().request_timeout;
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "timeout");
    if (!lua_isnil(L, -1)) timeout = check_millis(L, lua_gettop(L), fn, 1);
    lua_pop(L, 1);
  }
  const WaitTicket t = v.invoker().begin_wait(L, fn);
  v.services().bus->request(ev, timeout, [w = v.weak_from_this(), t](Result<EventPtr> r) {
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

// chorus.reply(request, data [, opts]) -> id
int l_reply(lua_State* L) {
  constexpr const char* fn = "chorus.reply";
  ScriptVersion& v = ScriptVersion::of(L);
  const Event* req = to_event(L, 1);
  if (req == nullptr)
    return luaL_error(L, "%s: argument 1 must be the request event (got a %s)", fn,
                      luaL_typename(L, 1));
  check_options(L, 3, fn, {"type", "priority", "metadata", "content_type"});
  std::string type = opt_string(L, 3, fn, "type");
  if (type.empty()) type = std::string(req->type()) + ".reply";
  // build_event reads the type from the stack: put it there.
  lua_pushlstring(L, type.data(), type.size());
  const int type_index = lua_gettop(L);
  EventBuilder b = build_event(L, fn, type_index, 2, 3);
  // The reply's id is needed before the bus builds it: set one.
  const Uuid id = new_uuid_v7();
  b.id(id);
  if (!v.live()) {
    lua_pushstring(L, id.to_string().c_str());
    return 1;
  }
  if (Status s = v.services().bus->reply(*req, std::move(b)); !s.ok()) return push_failure(L, s);
  lua_pushstring(L, id.to_string().c_str());
  return 1;
}

}  // namespace

void add_event_api(lua_State* L, int m) {
  lua_pushcfunction(L, l_publish);
  lua_setfield(L, m, "publish");
  lua_pushcfunction(L, l_request);
  lua_setfield(L, m, "request");
  lua_pushcfunction(L, l_reply);
  lua_setfield(L, m, "reply");
}

}  // namespace chorus::lua
