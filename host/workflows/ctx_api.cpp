// The ctx commands written in C (docs/workflows.md "Commands"): each takes
// the next seq, returns the recorded result when replaying, and otherwise
// runs live and records. Commands that wait yield to the engine
// (lua::yield_to_host) after arming their wait; the engine resumes them
// with the result. The Lua half (await's match loop, steps, compensation)
// is in prelude.cpp.
#include <cmath>

#include <fmt/core.h>
#include <lua.hpp>

#include "core/clock.h"
#include "core/uuid.h"
#include "lua/lua_json.h"
#include "store/event_store.h"
#include "workflows/engine_impl.h"
#include "workflows/ids.h"

namespace chorus::workflows {
namespace {

EngineImpl& engine(lua_State* L) {
  return *EngineState::of(L).engine();
}

int push_json_or_raise(lua_State* L, const std::string& json) {
  std::string err;
  if (!lua::push_json(L, json, &err)) return luaL_error(L, "workflow record: %s", err.c_str());
  return 1;
}

std::string encode_arg(lua_State* L, int index, const char* fn) {
  if (lua_isnoneornil(L, index)) return "null";
  std::string out, err;
  if (!lua::encode_json(L, index, out, &err)) luaL_error(L, "%s: %s", fn, err.c_str());
  return out;
}

int64_t now_ms(const EngineImpl& e) {
  return e.now_ns() / 1'000'000;
}

// A waiting command's wait: the ticket to resume with.
void hold(Instance& in, const lua::WaitTicket& t) {
  in.ticket = t;
  in.has_ticket = true;
}

int ctx_now(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  uint32_t seq;
  std::string at;
  if (const Recorded* r = e.begin_command(L, in, "now", "", seq, at))
    return push_json_or_raise(L, r->result);
  const int64_t ms = now_ms(e);
  e.record_command(in, seq, "now", "", at, std::to_string(ms));
  lua_pushnumber(L, static_cast<lua_Number>(ms));
  return 1;
}

int ctx_uuid(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  uint32_t seq;
  std::string at;
  if (const Recorded* r = e.begin_command(L, in, "uuid", "", seq, at))
    return push_json_or_raise(L, r->result);
  const std::string id = new_uuid_v7().to_string();
  e.record_command(in, seq, "uuid", "", at, json_string(id));
  lua_pushlstring(L, id.data(), id.size());
  return 1;
}

int ctx_random(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  uint32_t seq;
  std::string at;
  if (const Recorded* r = e.begin_command(L, in, "random", "", seq, at))
    return push_json_or_raise(L, r->result);
  const double v = static_cast<double>(e.rng() >> 11) * 0x1.0p-53;
  e.record_command(in, seq, "random", "", at, fmt::format("{:.17g}", v));
  lua_pushnumber(L, v);
  return 1;
}

int ctx_patched(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  const char* id = luaL_checkstring(L, 2);
  // Temporal's rule: in replay, true only when the history has the marker
  // here; an old history without it replays as false without taking a seq.
  if (in.replaying()) {
    auto it = in.history.find(in.next_seq);
    if (it == in.history.end() || it->second.kind != "patched" || it->second.key != id) {
      lua_pushboolean(L, 0);
      return 1;
    }
  }
  uint32_t seq;
  std::string at;
  if (e.begin_command(L, in, "patched", id, seq, at)) {
    lua_pushboolean(L, 1);
    return 1;
  }
  e.record_command(in, seq, "patched", id, at, "true");
  lua_pushboolean(L, 1);
  return 1;
}

int ctx_history_size(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  uint32_t seq;
  std::string at;
  if (const Recorded* r = e.begin_command(L, in, "history_size", "", seq, at))
    return push_json_or_raise(L, r->result);
  const uint64_t n = in.records;
  e.record_command(in, seq, "history_size", "", at, std::to_string(n));
  lua_pushnumber(L, static_cast<lua_Number>(n));
  return 1;
}

int ctx_set_status(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  const std::string json = encode_arg(L, 2, "ctx:set_status");
  if (json.size() > e.options.max_status_bytes)
    return luaL_error(L, "ctx:set_status: the status is %d bytes as JSON (at most %d)",
                      static_cast<int>(json.size()), static_cast<int>(e.options.max_status_bytes));
  uint32_t seq;
  std::string at;
  if (e.begin_command(L, in, "set_status", "", seq, at)) {
    in.status_table = json;
    return 0;
  }
  in.status_table = json;
  e.record_command(in, seq, "set_status", "", at, json);
  return 0;
}

int ctx_publish(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  const char* type = luaL_checkstring(L, 2);
  const std::string data = encode_arg(L, 3, "ctx:publish");
  std::string stream, target;
  if (!lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, 4) != 0) {
      lua_pop(L, 1);
      const char* k = lua_tostring(L, -1);
      if (!k || (std::string_view(k) != "stream" && std::string_view(k) != "target"))
        return luaL_error(L, "ctx:publish: unknown option '%s' (expected stream or target)",
                          k ? k : "?");
    }
    lua_getfield(L, 4, "stream");
    if (lua_isstring(L, -1)) stream = lua_tostring(L, -1);
    lua_getfield(L, 4, "target");
    if (lua_isstring(L, -1)) target = lua_tostring(L, -1);
    lua_pop(L, 2);
  }
  uint32_t seq;
  std::string at;
  if (const Recorded* r = e.begin_command(L, in, "publish", type, seq, at)) {
    const std::string id = json_string_field(r->result, "id");
    in.cause_id = id;
    lua_pushlstring(L, id.data(), id.size());
    return 1;
  }
  EventBuilder b(type);
  b.id(command_event_id(in.id, seq))
      .source(in.started.workflow)
      .correlation_id(in.started.correlation)
      .data(data, "application/json");
  if (!in.cause_id.empty()) b.causation_id(in.cause_id);
  if (!stream.empty()) b.stream(stream);
  if (!target.empty()) b.target(target);
  auto ev = b.build();
  if (!ev.ok()) return luaL_error(L, "ctx:publish: %s", ev.error().message().c_str());
  const std::string id = (*ev)->id().to_string();
  e.publish_live(in, seq, at, type, publish_result_json(id, type), *ev);
  in.cause_id = id;
  lua_pushlstring(L, id.data(), id.size());
  return 1;
}

int ctx_sleep(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  const lua_Number ms = luaL_checknumber(L, 2);
  if (!(ms >= 0) || ms > 1e13) return luaL_error(L, "ctx:sleep: ms must be a number >= 0");
  const lua::WaitTicket t = in.state->invoker().begin_wait(L, "ctx:sleep");
  const std::string key = fmt::format("{}", static_cast<int64_t>(ms));
  uint32_t seq;
  std::string at;
  const Recorded* r = e.begin_command(L, in, "sleep", key, seq, at);
  if (r && r->completed) return 0;
  int64_t deadline = r ? r->deadline_ns : e.now_ns() + static_cast<int64_t>(ms * 1e6);
  if (!r) e.record_scheduled(in, seq, "sleep", key, at, deadline, 0);
  in.wait.kind = "sleep";
  in.wait.seq = seq;
  e.arm_timer(in, deadline);
  hold(in, t);
  return lua::yield_to_host(L);
}

int request_common(lua_State* L, bool capability) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  const char* fn = capability ? "ctx:request_capability" : "ctx:request";
  const char* target = luaL_checkstring(L, 2);
  const std::string data = encode_arg(L, 3, fn);
  int64_t timeout_ms = e.options.request_timeout.count();
  std::string type = capability ? fmt::format("{}.request", target) : target;
  if (!lua_isnoneornil(L, 4)) {
    luaL_checktype(L, 4, LUA_TTABLE);
    lua_getfield(L, 4, "timeout");
    if (!lua_isnil(L, -1)) timeout_ms = static_cast<int64_t>(luaL_checknumber(L, -1));
    lua_getfield(L, 4, "type");
    if (capability && lua_isstring(L, -1)) type = lua_tostring(L, -1);
    lua_pop(L, 2);
  }
  if (timeout_ms <= 0) return luaL_error(L, "%s: timeout must be > 0 ms", fn);
  const lua::WaitTicket t = in.state->invoker().begin_wait(L, fn);
  const char* kind = capability ? "request_capability" : "request";
  uint32_t seq;
  std::string at;
  const Recorded* r = e.begin_command(L, in, kind, target, seq, at);
  if (r && r->completed) {
    if (!r->error.empty()) {
      lua_pushnil(L);
      lua_pushlstring(L, r->error.data(), r->error.size());
      return 2;
    }
    in.cause_id = json_string_field(r->result, "id");
    return push_json_or_raise(L, r->result);
  }
  const int64_t deadline = r ? r->deadline_ns : e.now_ns() + timeout_ms * 1'000'000;
  if (!r) e.record_scheduled(in, seq, kind, target, at, deadline, 0);
  e.send_request(in, seq, capability ? target : "", type, data, deadline);
  hold(in, t);
  return lua::yield_to_host(L);
}

int ctx_request(lua_State* L) {
  return request_common(L, false);
}
int ctx_request_capability(lua_State* L) {
  return request_common(L, true);
}

int ctx_continue_as_new(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  in.continue_input = encode_arg(L, 2, "ctx:continue_as_new");
  in.continuing = true;
  Finish f;
  f.status = "continued";
  in.terminal = f;
  in.stopped = true;
  return luaL_error(L, "workflow instance %s continues as new", in.id.c_str());
}

// ---- internals of prelude.cpp ----

int ctx_await_begin(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  const std::string pattern = luaL_checkstring(L, 2);
  int64_t timeout_ms = 0;
  if (!lua_isnoneornil(L, 3)) {
    const lua_Number t = luaL_checknumber(L, 3);
    if (!(t > 0)) return luaL_error(L, "ctx:await: timeout must be > 0 ms");
    timeout_ms = static_cast<int64_t>(t);
  }
  uint32_t seq;
  std::string at;
  const Recorded* r = e.begin_command(L, in, "await", pattern, seq, at);
  if (r && r->completed) {
    lua_pushboolean(L, 1);
    if (r->timeout) {
      lua_pushnil(L);
      lua_pushstring(L, "timeout");
      return 3;
    }
    in.cause_id = json_string_field(r->result, "id");
    push_json_or_raise(L, r->result);
    return 2;
  }
  if (r) {
    e.arm_await(in, seq, pattern, r->deadline_ns, r->from_seq);
  } else {
    const int64_t deadline = timeout_ms ? e.now_ns() + timeout_ms * 1'000'000 : 0;
    const uint64_t from = e.services.store->durable_seq() + 1;
    e.record_scheduled(in, seq, "await", pattern, at, deadline, from);
    e.arm_await(in, seq, pattern, deadline, 0);
  }
  lua_pushboolean(L, 0);
  lua_pushinteger(L, seq);
  return 2;
}

int ctx_await_next(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  const auto seq = static_cast<uint32_t>(luaL_checkinteger(L, 2));
  if (in.wait.kind != "await" || in.wait.seq != seq)
    return luaL_error(L, "ctx:await: no await %d is pending", static_cast<int>(seq));
  if (!in.wait.candidates.empty()) {
    in.wait.current = std::move(in.wait.candidates.front());
    in.wait.candidates.pop_front();
    return push_json_or_raise(L, in.wait.current->json);
  }
  const lua::WaitTicket t = in.state->invoker().begin_wait(L, "ctx:await");
  in.wait.in_next = true;
  hold(in, t);
  return lua::yield_to_host(L);
}

int ctx_await_done(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  const auto seq = static_cast<uint32_t>(luaL_checkinteger(L, 2));
  if (in.wait.kind != "await" || in.wait.seq != seq) return 0;
  Completion c;
  if (in.wait.current) {
    c.result = in.wait.current->json;
    in.cause_id = in.wait.current->id;
  }
  e.record_completed(in, seq, c);
  e.disarm(in);
  return 0;
}

// _step_begin(kind, name) -> done, seq, ok, result
int ctx_step_begin(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  const std::string kind = luaL_checkstring(L, 2);
  const std::string name = luaL_checkstring(L, 3);
  uint32_t seq;
  std::string at;
  const Recorded* r = e.begin_command(L, in, kind, name, seq, at);
  if (r && r->completed) {
    if (r->end_seq > in.next_seq) in.next_seq = r->end_seq;
    lua_pushboolean(L, 1);
    lua_pushinteger(L, seq);
    const bool ok = r->error.empty();
    lua_pushboolean(L, ok);
    if (ok)
      push_json_or_raise(L, r->result);
    else
      lua_pushlstring(L, r->error.data(), r->error.size());
    return 4;
  }
  if (!r) e.record_scheduled(in, seq, kind, name, at, 0, 0);
  lua_pushboolean(L, 0);
  lua_pushinteger(L, seq);
  return 2;
}

// _step_end(seq, ok, result, attempts)
int ctx_step_end(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  const auto seq = static_cast<uint32_t>(luaL_checkinteger(L, 2));
  Completion c;
  if (lua_toboolean(L, 3)) {
    c.result = encode_arg(L, 4, "ctx:step: the action's result");
  } else {
    c.is_error = true;
    c.error = lua_isstring(L, 4) ? lua_tostring(L, 4) : "error";
  }
  c.attempts = static_cast<uint32_t>(luaL_optinteger(L, 5, 1));
  c.end_seq = in.next_seq;
  e.record_completed(in, seq, c);
  return 0;
}

// _end_saga(status, failed_step, err, failed_compensation, done_names, comp_err)
int ctx_end_saga(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  Finish f;
  f.status = luaL_checkstring(L, 2);
  const std::string step = luaL_checkstring(L, 3);
  const std::string err = lua_isstring(L, 4) ? lua_tostring(L, 4) : "error";
  f.error = fmt::format("step '{}' failed: {}", step, err);
  if (lua_isstring(L, 5)) {
    f.failed_compensation = lua_tostring(L, 5);
    f.status = "failed";
    f.error += fmt::format("; the compensation of step '{}' failed: {}", f.failed_compensation,
                           lua_isstring(L, 7) ? lua_tostring(L, 7) : "error");
  }
  if (lua_istable(L, 6)) {
    const int n = static_cast<int>(lua_objlen(L, 6));
    for (int i = 1; i <= n; ++i) {
      lua_rawgeti(L, 6, i);
      if (lua_isstring(L, -1)) f.compensated.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
  }
  in.terminal = f;
  in.stopped = true;
  return luaL_error(L, "workflow instance %s ended %s: %s", in.id.c_str(), f.status.c_str(),
                    f.error.c_str());
}

// _end_cancel(done_names, failed_name|nil, err): the end of a cancelled
// instance's compensation (prelude.cpp M:_cancel).
int ctx_end_cancel(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1);
  Finish f;
  f.status = "cancelled";
  f.reason = in.cancel_reason;
  if (lua_isstring(L, 3)) {
    f.status = "failed";
    f.failed_compensation = lua_tostring(L, 3);
    f.error =
        fmt::format("cancelled ({}); the compensation of step '{}' failed: {}", in.cancel_reason,
                    f.failed_compensation, lua_isstring(L, 4) ? lua_tostring(L, 4) : "error");
  }
  if (lua_istable(L, 2)) {
    const int n = static_cast<int>(lua_objlen(L, 2));
    for (int i = 1; i <= n; ++i) {
      lua_rawgeti(L, 2, i);
      if (lua_isstring(L, -1)) f.compensated.emplace_back(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
  }
  in.terminal = f;
  in.stopped = true;
  return luaL_error(L, "workflow instance %s ended %s", in.id.c_str(), f.status.c_str());
}

int ctx_finish(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1, EngineImpl::kAllowStopped);
  if (lua_isnoneornil(L, 2)) {
    in.result = "null";
  } else {
    std::string out, err;
    if (lua::encode_json(L, 2, out, &err)) {
      in.result = std::move(out);
    } else {
      lua::push_display_string(L, 2);
      in.result = json_string(lua_tostring(L, -1));
      lua_pop(L, 1);
    }
  }
  return 0;
}

int ctx_key(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1, EngineImpl::kAllowStopped);
  const std::string k = idempotency_key(in.id, static_cast<uint32_t>(luaL_checkinteger(L, 2)));
  lua_pushlstring(L, k.data(), k.size());
  return 1;
}

int ctx_stopped(lua_State* L) {
  EngineImpl& e = engine(L);
  Instance& in = e.instance_of(L, 1, EngineImpl::kAllowStopped);
  lua_pushboolean(L, in.stopped);
  return 1;
}

}  // namespace

void register_ctx_functions(lua_State* L) {
  const luaL_Reg fns[] = {
      {"now", ctx_now},
      {"uuid", ctx_uuid},
      {"random", ctx_random},
      {"patched", ctx_patched},
      {"history_size", ctx_history_size},
      {"set_status", ctx_set_status},
      {"publish", ctx_publish},
      {"sleep", ctx_sleep},
      {"request", ctx_request},
      {"request_capability", ctx_request_capability},
      {"continue_as_new", ctx_continue_as_new},
      {"_await_begin", ctx_await_begin},
      {"_await_next", ctx_await_next},
      {"_await_done", ctx_await_done},
      {"_step_begin", ctx_step_begin},
      {"_step_end", ctx_step_end},
      {"_end_saga", ctx_end_saga},
      {"_end_cancel", ctx_end_cancel},
      {"_finish", ctx_finish},
      {"_key", ctx_key},
      {"_stopped", ctx_stopped},
      {nullptr, nullptr},
  };
  for (const luaL_Reg* f = fns; f->name; ++f) {
    lua_pushcfunction(L, f->func);
    lua_setfield(L, -2, f->name);
  }
}

}  // namespace chorus::workflows
