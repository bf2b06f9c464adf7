// ScriptExecutor: what makes one script's handlers, timers and resumed
// coroutines run one at a time (a script's lua_State is single-threaded).
// It plays the role of a strand, with one difference the bus needs: a bus
// handler runs the script *synchronously* on the bus's delivery thread
// (run()), so the handler's outcome (OK or the script's error) goes back to
// the bus, and the bus's retries, dead letters, circuit breaker and bounded
// queues apply to scripts like to any subscriber. Work that has no caller
// waiting for it (a timer, a reply that resumes a coroutine) is queued with
// post() and never blocks anybody.
//
//   run(fn)   waits until no other task of this executor runs, then runs fn
//             on the calling thread. The wait is bounded by the task that
//             holds the executor (one handler call, itself bounded by the
//             script's CPU limit for sandboxed scripts).
//   post(fn)  queues fn. Queued tasks run on an io thread of `io`, or on the
//             thread leaving run() (so a steady stream of bus deliveries
//             cannot starve timers): never inline in post(), never
//             concurrently with another task.
//
// Threading: every member is thread-safe. A task must not call run() on its
// own executor (that would wait for itself): run() from inside a task of the
// same executor returns FailedPrecondition without running fn.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "core/status.h"

namespace boost::asio {
class io_context;
}

namespace chorus::lua {

class ScriptExecutor : public std::enable_shared_from_this<ScriptExecutor> {
 public:
  // `io` runs queued tasks; it must outlive every post(). Null: queued tasks
  // run only when a run() leaves (for check mode and tests).
  explicit ScriptExecutor(boost::asio::io_context* io) : io_(io) {}

  template <typename Fn>
  Status run(Fn&& fn) {
    if (!enter()) return reentry();
    Status s = call(fn);
    leave();
    return s;
  }
  void post(std::function<void()> fn);
  // True on the thread that is running a task of this executor.
  bool running_here() const;
  // Tasks queued and not yet run (for tests and stats).
  size_t queued() const;
  // Drops every queued task (the host is closing).
  void discard();

 private:
  bool enter();  // false: re-entry from the owning thread
  void leave();
  static Status reentry();
  template <typename Fn>
  static Status call(Fn& fn) noexcept {
    try {
      return fn();
    } catch (...) {
      return thrown();
    }
  }
  static Status thrown() noexcept;
  void schedule_locked();
  void drain();
  static void run_task(std::function<void()>& fn);

  boost::asio::io_context* io_;
  mutable std::mutex mu_;
  std::condition_variable free_;
  bool busy_ = false;
  bool scheduled_ = false;
  std::thread::id owner_;
  std::deque<std::function<void()>> queue_;
};

}  // namespace chorus::lua
