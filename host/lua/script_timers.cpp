// TimerTable: chorus.after / chorus.every / chorus.sleep on steady timers.
#include "lua/script_timers.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace chorus::lua {

using Clock = std::chrono::steady_clock;

struct TimerTable::Timer {
  int fn_ref = -1;
  std::chrono::milliseconds delay{0}, interval{0};
  std::optional<WaitTicket> wake;
  Clock::time_point next;
  std::unique_ptr<boost::asio::steady_timer> timer;
  bool armed = false;
};

TimerTable::TimerTable(boost::asio::io_context* io, std::function<void(uint64_t)> expired)
    : io_(io), expired_(std::move(expired)) {}

TimerTable::~TimerTable() {
  destroy();
}

void TimerTable::arm(uint64_t id, Timer& t) {
  if (io_ == nullptr) return;
  if (!t.timer) t.timer = std::make_unique<boost::asio::steady_timer>(*io_);
  t.timer->expires_at(t.next);
  t.armed = true;
  t.timer->async_wait([cb = expired_, id](const boost::system::error_code& ec) {
    if (!ec) cb(id);
  });
}

uint64_t TimerTable::add(int fn_ref, std::chrono::milliseconds delay,
                         std::chrono::milliseconds interval) {
  const uint64_t id = next_id_++;
  auto t = std::make_unique<Timer>();
  t->fn_ref = fn_ref;
  t->delay = delay;
  t->interval = interval;
  Timer& ref = *t;
  timers_.emplace(id, std::move(t));
  if (active_) {
    ref.next = Clock::now() + delay;
    arm(id, ref);
  }
  return id;
}

uint64_t TimerTable::add_wake(WaitTicket ticket, std::chrono::milliseconds delay) {
  const uint64_t id = next_id_++;
  auto t = std::make_unique<Timer>();
  t->wake = ticket;
  t->next = Clock::now() + delay;
  Timer& ref = *t;
  timers_.emplace(id, std::move(t));
  arm(id, ref);
  return id;
}

std::optional<int> TimerTable::cancel(uint64_t id) {
  auto it = timers_.find(id);
  if (it == timers_.end() || it->second->wake) return std::nullopt;
  const int ref = it->second->fn_ref;
  if (it->second->timer) it->second->timer->cancel();
  timers_.erase(it);
  return ref;
}

std::optional<TimerTable::Fired> TimerTable::fire(uint64_t id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return std::nullopt;
  Timer& t = *it->second;
  Fired f;
  if (t.wake) {
    f.wake = t.wake;
    timers_.erase(it);
    return f;
  }
  f.fn_ref = t.fn_ref;
  if (t.interval.count() > 0) {
    // Fixed rate; when the script fell behind, the next run is one interval
    // from now rather than a burst of missed ones.
    t.next += t.interval;
    const auto now = Clock::now();
    if (t.next < now) t.next = now + t.interval;
    arm(id, t);
  } else {
    f.release = true;
    timers_.erase(it);
  }
  return f;
}

void TimerTable::arm_pending() {
  active_ = true;
  const auto now = Clock::now();
  for (auto& [id, t] : timers_) {
    if (t->armed) continue;
    t->next = now + t->delay;
    arm(id, *t);
  }
}

std::vector<int> TimerTable::cancel_timers() {
  std::vector<int> refs;
  for (auto it = timers_.begin(); it != timers_.end();) {
    Timer& t = *it->second;
    if (t.wake) {
      ++it;
      continue;
    }
    if (t.timer) t.timer->cancel();
    refs.push_back(t.fn_ref);
    it = timers_.erase(it);
  }
  active_ = false;
  return refs;
}

void TimerTable::destroy() {
  for (auto& [id, t] : timers_)
    if (t->timer) t->timer->cancel();
  timers_.clear();
  active_ = false;
}

}  // namespace chorus::lua
