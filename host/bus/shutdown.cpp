// Shutdown: stop accepting, retire durable subscribers, fire pending retries
// (they dead-letter), let queues drain until the deadline, then close every
// subscriber (what is left is dead-lettered) and fail pending requests. The
// destructor then waits for handlers that outlived the deadline.
#include "bus/bus_impl.h"
#include "bus/logger.h"

namespace chorus::bus {

Status EventBus::Impl::shutdown(std::chrono::milliseconds timeout) {
  if (stopping.exchange(true, std::memory_order_acq_rel)) return Status::OK();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Durable subscribers first: what they have not acked comes back after a
  // restart (at least once), so there is nothing to drain.
  std::unordered_map<SubscriptionId, std::unique_ptr<DurableSubscriber>> durable_subs;
  {
    std::unique_lock lock(subs_mu);
    durable_subs.swap(durable_subscribers);
    for (const auto& [sid, ds] : durable_subs)
      by_name.erase(ds->id);
  }
  for (auto& [sid, ds] : durable_subs)
    retire(std::move(ds));
  {
    std::lock_guard lock(retired_mu);
    for (auto& ds : retired_durable_subscribers)
      ds->join();
  }
  auto subs = all_subscribers();
  // Retries waiting on a timer are not worth waiting for: fire them now,
  // their handlers dead-letter the events ("shutdown before retry").
  for (auto& s : subs) {
    std::lock_guard lock(s->timers_mu);
    for (auto& [key, timer] : s->timers)
      timer->cancel();
  }
  {
    std::unique_lock lock(drain_mu);
    drained.wait_until(lock, deadline, [&] {
      if (pending_retries.load(std::memory_order_acquire) != 0) return false;
      for (const auto& s : subs)
        if (s->queue.size() != 0) return false;
      return true;
    });
  }
  size_t left = 0, busy = 0;
  for (auto& s : subs)
    left += s->queue.size();
  for (auto& s : subs) {
    // Handlers still running past the deadline are left to finish on their
    // own (the destructor waits for them); nothing new starts.
    if (!close(*s, QueuedOnClose::kDeadLetter, deadline)) {
      ++busy;
      std::lock_guard lock(drain_mu);
      still_running.push_back(s);
    }
  }
  requests.fail_all(Status::Unavailable("request: the bus shut down before a reply"));
  if (left > 0)
    logger().warn("bus shut down with {} undelivered event{} (dead-lettered)", left,
                  left == 1 ? "" : "s");
  if (busy > 0)
    logger().warn("bus shut down with {} handler{} still running past the deadline", busy,
                  busy == 1 ? "" : "s");
  return Status::OK();
}

void EventBus::Impl::wait_for_running_handlers() {
  std::vector<SubscriberPtr> busy;
  {
    std::lock_guard lock(drain_mu);
    busy.swap(still_running);
  }
  for (auto& s : busy) {
    s->guard.wait(own_calls(s.get()));
    s->handler = nullptr;
    s->filter = nullptr;
  }
}

}  // namespace chorus::bus
