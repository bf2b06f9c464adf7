// An instance's timers (instance.h): Asio steady timers on the host's
// workers. A timer asked for before start is armed by start(); every timer
// is cancelled by unload() before the plugin's stop(). A periodic timer is
// re-armed from its previous due time (no drift); when a callback overran
// whole periods, the missed ticks are skipped rather than run back to back.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/core.h>

#include "plugins/callback_scope.h"
#include "plugins/instance.h"

namespace chorus::plugins {

struct TimerRecord {
  uint64_t id = 0;
  chorus_timer_fn fn = nullptr;
  void* ctx = nullptr;
  std::chrono::milliseconds delay{0}, period{0};  // period 0: once

  std::atomic<bool> cancelled{false};  // read under the callback mutex before a call
  std::mutex mu;                       // guards the Asio timer object and `next`
  std::unique_ptr<boost::asio::steady_timer> timer;
  std::chrono::steady_clock::time_point next;
};

namespace {

void wait_on(const std::shared_ptr<TimerRecord>& t, std::weak_ptr<Instance> owner,
             void (Instance::*fire)(const std::shared_ptr<TimerRecord>&)) {
  t->timer->expires_at(t->next);
  t->timer->async_wait([t, owner = std::move(owner), fire](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled
    if (auto self = owner.lock()) ((*self).*fire)(t);
  });
}

}  // namespace

Result<uint64_t> Instance::add_timer(std::chrono::milliseconds delay,
                                     std::chrono::milliseconds period, chorus_timer_fn fn,
                                     void* ctx) {
  CHORUS_RETURN_IF_ERROR(allow(Op::kTimer, "a timer"));
  if (!fn) return Status::InvalidArgument(fmt::format("{}: timer callback is NULL", name()));
  auto t = std::make_shared<TimerRecord>();
  t->fn = fn;
  t->ctx = ctx;
  t->delay = delay;
  t->period = period;
  {
    std::lock_guard l(table_mu_);
    if (subs_closed_)
      return Status::FailedPrecondition(
          fmt::format("{}: timer: the plugin is being unloaded", name()));
    t->id = next_id_++;
    timers_.emplace(t->id, t);
  }
  if (phase() == Phase::kRunning) arm(t);
  return t->id;
}

void Instance::arm(const std::shared_ptr<TimerRecord>& t) {
  std::lock_guard l(t->mu);
  if (t->cancelled.load(std::memory_order_acquire) || t->timer) return;
  t->timer = std::make_unique<boost::asio::steady_timer>(*links_.io);
  t->next = std::chrono::steady_clock::now() + t->delay;
  wait_on(t, weak_from_this(), &Instance::fire);
}

void Instance::fire(const std::shared_ptr<TimerRecord>& t) {
  {
    std::lock_guard lock(callback_mu_);
    if (t->cancelled.load(std::memory_order_acquire) || phase() != Phase::kRunning) return;
    CallbackScope scope(this);
    timer_calls_.fetch_add(1, std::memory_order_relaxed);
    t->fn(t->ctx, t->id);
  }
  if (t->period.count() == 0) {
    std::lock_guard l(table_mu_);
    timers_.erase(t->id);
    return;
  }
  std::lock_guard l(t->mu);
  if (t->cancelled.load(std::memory_order_acquire)) return;
  const auto now = std::chrono::steady_clock::now();
  t->next += t->period;
  if (t->next <= now) {  // overran: skip the missed ticks
    const auto behind = (now - t->next) / t->period + 1;
    t->next += behind * t->period;
  }
  wait_on(t, weak_from_this(), &Instance::fire);
}

Status Instance::cancel_timer(uint64_t id) {
  std::shared_ptr<TimerRecord> t;
  {
    std::lock_guard l(table_mu_);
    auto it = timers_.find(id);
    if (it == timers_.end())
      return Status::NotFound(fmt::format("{}: no timer {} (or it already fired)", name(), id));
    t = std::move(it->second);
    timers_.erase(it);
  }
  t->cancelled.store(true, std::memory_order_release);
  {
    std::lock_guard l(t->mu);
    if (t->timer) t->timer->cancel();
  }
  quiesce();  // a call already running has returned (unless it is this thread's)
  return Status::OK();
}

void Instance::cancel_all_timers() {
  std::unordered_map<uint64_t, std::shared_ptr<TimerRecord>> all;
  {
    std::lock_guard l(table_mu_);
    all.swap(timers_);
  }
  for (auto& [id, t] : all) {
    t->cancelled.store(true, std::memory_order_release);
    std::lock_guard l(t->mu);
    if (t->timer) t->timer->cancel();
  }
}

}  // namespace chorus::plugins
