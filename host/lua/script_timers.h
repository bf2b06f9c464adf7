// TimerTable: the timers of one script version (chorus.after, chorus.every
// and the wake-ups of chorus.sleep), on Asio steady timers.
//
// An expiry only reports the timer's id through `expired` (on an io thread);
// the version then runs the timer under its executor and asks fire() what
// to do, which re-arms a periodic timer. Timers added while the script loads
// wait for arm_pending() (the version becoming current), so an old and a new
// version never both run timers; cancel_timers() at retirement cancels them.
//
// Threading: every member except the expiry callback runs on the script's
// executor. destroy() (and the destructor) must run while the io_context
// is alive.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "lua/invoker.h"

namespace boost::asio {
class io_context;
}

namespace chorus::lua {

class TimerTable {
 public:
  // `io` null: timers are recorded but never armed (check and filter mode).
  TimerTable(boost::asio::io_context* io, std::function<void(uint64_t id)> expired);
  ~TimerTable();
  TimerTable(const TimerTable&) = delete;
  TimerTable& operator=(const TimerTable&) = delete;

  // A timer that calls the function `fn_ref` after `delay`, then every
  // `interval` when that is not zero. Armed now if the table is active.
  uint64_t add(int fn_ref, std::chrono::milliseconds delay, std::chrono::milliseconds interval);
  // A wake-up for a waiting invocation (chorus.sleep); armed at once.
  uint64_t add_wake(WaitTicket ticket, std::chrono::milliseconds delay);
  // Cancels the timer; returns its function reference (to release), or
  // nothing for an unknown id or a wake-up.
  std::optional<int> cancel(uint64_t id);

  struct Fired {
    int fn_ref = -1;                 // the function to call (chorus.after/every)
    bool release = false;            // one-shot: release fn_ref after the call
    std::optional<WaitTicket> wake;  // chorus.sleep: resume this wait
  };
  // The timer `id` expired: what to run (nothing if it was cancelled).
  std::optional<Fired> fire(uint64_t id);

  void arm_pending();  // the version became current
  // Cancels the chorus.after/every timers (not the wake-ups of calls that
  // wait: those calls finish) and returns the function references to release.
  std::vector<int> cancel_timers();
  // Cancels everything, wake-ups included, and frees the Asio timers.
  void destroy();
  size_t size() const noexcept { return timers_.size(); }

 private:
  struct Timer;
  void arm(uint64_t id, Timer& t);

  boost::asio::io_context* io_;
  std::function<void(uint64_t)> expired_;
  bool active_ = false;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Timer>> timers_;
};

}  // namespace chorus::lua
