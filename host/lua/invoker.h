// Invoker: runs a script's Lua functions as coroutines under the script's
// limits, and keeps the ones that wait for the host (docs/lua.md "How
// waiting works"; issue 11's workflows build on this).
//
// Every invocation (a handler call, a timer, a filter, the script's loading)
// runs in a coroutine of its own, so that a host function may wait without
// blocking a thread: chorus.request, chorus.sleep, chorus.store.append, ...
// call begin_wait() (which names the running invocation and checks that it
// can yield), start the host operation with a completion that calls
// ScriptVersion::resume_later(id, push), and return yield_to_host(L). The
// coroutine then sits in the invocation table until the completion, posted
// to the script's executor, resumes it with what `push` puts on its stack
// (those become the host function's return values). Lua never waits inside
// C, and a waiting invocation holds no thread.
//
// CPU time is counted per invocation over all its resumptions; memory is
// the state's. An error (including a limit) ends the invocation with a
// message that starts with script:line and a traceback. Finished coroutines
// are reused.
//
// Threading: only on the script's executor (the state is single-threaded).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"
#include "core/status.h"

struct lua_State;

namespace chorus::lua {

class LuaVm;

// Pushes values onto a coroutine's stack and returns how many.
using Pusher = std::function<int(lua_State* co)>;

struct CallResult {
  enum class Kind { kDone, kWaiting, kFailed };
  Kind kind = Kind::kDone;
  bool truthy = false;  // kDone: the first result is neither nil nor false
  Status error;         // kFailed: the message, starting with script:line
  std::string traceback;
  std::string_view what;  // the invocation's description (Invocation::what)
  bool ok() const { return kind != Kind::kFailed; }
};

struct Invocation {
  uint64_t id = 0;
  lua_State* co = nullptr;
  int ref = 0;     // registry reference keeping the coroutine alive
  EventPtr cause;  // the event being handled (publishes are caused by it)
  // What runs: "chorus.on('task.failed') at scripts/x.lua:12", "loading",
  // ...; the text must outlive the invocation (a version's label, a literal).
  std::string_view what;
  std::chrono::nanoseconds used{0};
  std::chrono::nanoseconds budget{0};  // 0: none
  std::string waiting_for;             // "chorus.request", ... while it waits
  uint64_t wait_seq = 0;               // which wait a completion answers
  bool waiting = false;                // yielded to the host, not resumed yet
};

// Names one wait of one invocation: a completion that arrives for a wait
// that is over (the invocation failed or moved on) is ignored.
struct WaitTicket {
  uint64_t invocation = 0;
  uint64_t seq = 0;
};

class Invoker {
 public:
  explicit Invoker(LuaVm& vm) : vm_(vm) {}
  Invoker(const Invoker&) = delete;
  Invoker& operator=(const Invoker&) = delete;

  // Calls the function referenced by `fn_ref` (LUA_REGISTRYINDEX) with the
  // arguments `args` pushes, in a coroutine. `budget` 0: no CPU limit.
  CallResult start(int fn_ref, const EventPtr& cause, std::string_view what,
                   std::chrono::nanoseconds budget, const Pusher& args);
  // Resumes a waiting invocation with what `push` pushes. A ticket whose
  // wait is over (or an invocation dropped at shutdown) is kDone without
  // running anything.
  CallResult resume(const WaitTicket& ticket, const Pusher& push);

  // The invocation running now, or null (host code between invocations).
  Invocation* current() noexcept { return current_; }

  // For host functions that wait: the id of the running invocation, after
  // checking that `L` can yield to it. Raises a Lua error naming `what`
  // otherwise (not in a coroutine, inside a C call such as table.sort's
  // comparator, or in a filter).
  WaitTicket begin_wait(lua_State* L, const char* what);

  size_t waiting() const noexcept { return table_.size(); }
  // Forgets the waiting invocation of `ticket` without resuming it (its
  // coroutine is collected); nothing when its wait is over.
  void drop(const WaitTicket& ticket);
  // Forgets every waiting invocation (the host is closing).
  void drop_all();

 private:
  CallResult run(Invocation& inv, int nargs);
  void finish(uint64_t id, bool reusable);
  lua_State* take_coroutine(int* ref);

  LuaVm& vm_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Invocation> table_;  // started and not finished
  Invocation* current_ = nullptr;
  std::vector<std::pair<lua_State*, int>> spare_;  // finished coroutines to reuse
};

// Ends a host function that waits: `return yield_to_host(L);`.
int yield_to_host(lua_State* L);

}  // namespace chorus::lua
