// Invoker: coroutines, budgets, waits and error reports of one script state.
#include "lua/invoker.h"

#include <fmt/core.h>
#include <lua.hpp>

#include "lua/lua_vm.h"
#include "lua/sandbox.h"

namespace chorus::lua {
namespace {

constexpr size_t kSpareCoroutines = 16;

// True when `msg` starts with "chunk:line: " (Lua's position prefix).
bool has_position(const std::string& msg) {
  const auto colon = msg.find(": ");
  if (colon == std::string::npos || colon == 0) return false;
  size_t i = colon;
  while (i > 0 && msg[i - 1] >= '0' && msg[i - 1] <= '9')
    --i;
  return i < colon && i > 1 && msg[i - 1] == ':';
}

std::string error_text(lua_State* co) {
  if (lua_type(co, -1) == LUA_TSTRING) {
    size_t n = 0;
    const char* s = lua_tolstring(co, -1, &n);
    return std::string(s, n);
  }
  if (luaL_callmeta(co, -1, "__tostring") && lua_isstring(co, -1)) {
    std::string s = lua_tostring(co, -1);
    lua_pop(co, 1);
    return s;
  }
  return fmt::format("(error object is a {} value)", luaL_typename(co, -1));
}

}  // namespace

int yield_to_host(lua_State* L) {
  lua_pushlightuserdata(L, const_cast<char*>(&kHostYield));
  return lua_yield(L, 1);
}

lua_State* Invoker::take_coroutine(int* ref) {
  if (!spare_.empty()) {
    auto [co, r] = spare_.back();
    spare_.pop_back();
    *ref = r;
    return co;
  }
  lua_State* L = vm_.state();
  lua_State* co = lua_newthread(L);
  mark_host_thread(L, -1);
  *ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return co;
}

void Invoker::finish(uint64_t id, bool reusable) {
  auto it = table_.find(id);
  if (it == table_.end()) return;
  Invocation& inv = it->second;
  if (reusable && spare_.size() < kSpareCoroutines) {
    lua_settop(inv.co, 0);
    spare_.emplace_back(inv.co, inv.ref);
  } else {
    luaL_unref(vm_.state(), LUA_REGISTRYINDEX, inv.ref);
  }
  table_.erase(it);
}

CallResult Invoker::start(int fn_ref, const EventPtr& cause, std::string_view what,
                          std::chrono::nanoseconds budget, const Pusher& args) {
  int ref = 0;
  lua_State* co = take_coroutine(&ref);
  const uint64_t id = next_id_++;
  Invocation& inv = table_[id];
  inv.id = id;
  inv.co = co;
  inv.ref = ref;
  inv.cause = cause;
  inv.what = what;
  inv.budget = budget;
  lua_rawgeti(co, LUA_REGISTRYINDEX, fn_ref);
  const int nargs = args ? args(co) : 0;
  return run(inv, nargs);
}

CallResult Invoker::resume(const WaitTicket& ticket, const Pusher& push) {
  auto it = table_.find(ticket.invocation);
  if (it == table_.end() || !it->second.waiting || it->second.wait_seq != ticket.seq) return {};
  Invocation& inv = it->second;
  inv.waiting = false;
  inv.waiting_for.clear();
  const int n = push ? push(inv.co) : 0;
  return run(inv, n);
}

WaitTicket Invoker::begin_wait(lua_State* L, const char* what) {
  if (current_ == nullptr)
    luaL_error(L, "%s cannot wait here: only handlers, timers and coroutines they run can wait",
               what);
  if (!lua_isyieldable(L))
    luaL_error(L,
               "%s cannot wait inside a call made from C (a metamethod, a table.sort comparator, "
               "a string.gsub replacement function, a required module's body)",
               what);
  current_->waiting_for = what;
  return {current_->id, ++current_->wait_seq};
}

CallResult Invoker::run(Invocation& inv, int nargs) {
  using std::chrono::nanoseconds;
  vm_.clear_stop();
  Invocation* const outer = current_;
  current_ = &inv;
  int status;
  {
    const nanoseconds remaining =
        inv.budget.count() > 0 ? inv.budget - inv.used : nanoseconds(INT64_MAX / 2);
    LuaVm::Slice slice(vm_, remaining, inv.co);
    status = lua_resume(inv.co, nargs);
    inv.used += slice.elapsed();
  }
  current_ = outer;
  lua_State* co = inv.co;
  const uint64_t id = inv.id;
  CallResult r;
  r.what = inv.what;

  if (status == LUA_YIELD) {
    if (lua_gettop(co) >= 1 && lua_touserdata(co, -1) == &kHostYield) {
      lua_settop(co, 0);
      inv.waiting = true;
      r.kind = CallResult::Kind::kWaiting;
      vm_.collect_if_needed();
      return r;
    }
    r.kind = CallResult::Kind::kFailed;
    r.error = Status::FailedPrecondition(fmt::format(
        "{}: coroutine.yield() outside a coroutine: a handler cannot yield itself (run the "
        "code in coroutine.wrap, or wait with chorus.sleep or chorus.request)",
        LuaVm::where(co, 0)));
    finish(id, false);
    return r;
  }
  if (status == 0) {
    r.kind = CallResult::Kind::kDone;
    r.truthy = lua_gettop(co) >= 1 && lua_toboolean(co, 1);
    finish(id, true);
    vm_.collect_if_needed();
    return r;
  }

  r.kind = CallResult::Kind::kFailed;
  const StopReason stop = vm_.stop_reason();
  std::string msg;
  if (stop != StopReason::kNone) {
    msg = vm_.stop_message(co);
  } else if (status == LUA_ERRMEM) {
    msg = fmt::format("{}: not enough memory", LuaVm::where(co, 0));
  } else {
    msg = error_text(co);
    // Errors the VM raises itself ("stack overflow") carry no position.
    if (!has_position(msg)) {
      const std::string where = LuaVm::where(co, 0);
      if (where != "?") msg = where + ": " + msg;
    }
  }
  lua_State* L = vm_.state();
  luaL_traceback(L, co, nullptr, 0);
  r.traceback = lua_tostring(L, -1) ? lua_tostring(L, -1) : "";
  lua_pop(L, 1);
  r.error = stop != StopReason::kNone ? Status::ResourceExhausted(std::move(msg))
                                      : Status::FailedPrecondition(std::move(msg));
  finish(id, false);
  vm_.collect_if_needed();
  return r;
}

void Invoker::drop(const WaitTicket& ticket) {
  auto it = table_.find(ticket.invocation);
  if (it == table_.end() || !it->second.waiting || it->second.wait_seq != ticket.seq) return;
  finish(ticket.invocation, /*reusable=*/false);
}

void Invoker::drop_all() {
  lua_State* L = vm_.state();
  for (auto& [id, inv] : table_)
    luaL_unref(L, LUA_REGISTRYINDEX, inv.ref);
  table_.clear();
}

}  // namespace chorus::lua
