// DeliveryQueue: push with overflow policies, batch pop by priority.
#include "bus/delivery_queue.h"

namespace chorus::bus {

DeliveryQueue::PushResult DeliveryQueue::push(QueuedEvent d, bool& schedule, QueuedEvent* dropped) {
  schedule = false;
  std::unique_lock lock(mu_);
  if (closed_) return PushResult::kClosed;
  PushResult result = PushResult::kQueued;
  if (full()) {
    switch (policy_) {
      case OverflowPolicy::kReject:
        return PushResult::kRejected;
      case OverflowPolicy::kDropNewest:
        return PushResult::kDroppedNewest;
      case OverflowPolicy::kDropOldest: {
        // The oldest event of the lowest priority present, the new one
        // included: a flood of low-priority events never evicts a critical one.
        const int incoming = static_cast<int>(d.event->priority());
        int lowest = -1;
        for (int p = kPriorityCount - 1; p >= 0; --p) {
          if (!q_[p].empty()) {
            lowest = p;
            break;
          }
        }
        if (lowest < incoming) return PushResult::kDroppedNewest;
        if (dropped) *dropped = std::move(q_[lowest].front());
        q_[lowest].pop_front();
        --count_;  // approx_ is refreshed by the push below
        result = PushResult::kDroppedOldest;
        break;
      }
      case OverflowPolicy::kBlock: {
        const bool room = space_.wait_for(lock, block_timeout_, [&] { return closed_ || !full(); });
        if (closed_) return PushResult::kClosed;
        if (!room) return PushResult::kTimedOut;
        break;
      }
    }
  }
  q_[static_cast<int>(d.event->priority())].push_back(std::move(d));
  ++count_;
  approx_.store(count_, std::memory_order_release);
  if (!scheduled_) {
    scheduled_ = true;
    schedule = true;
  }
  return result;
}

size_t DeliveryQueue::pop_batch(std::vector<QueuedEvent>& out, size_t max, WhenEmpty when_empty) {
  size_t n = 0;
  bool freed = false;
  {
    std::lock_guard lock(mu_);
    for (auto& q : q_) {
      if (q.empty()) continue;
      while (n < max && !q.empty()) {
        out.push_back(std::move(q.front()));
        q.pop_front();
        ++n;
      }
      break;
    }
    if (n == 0) {
      if (when_empty == WhenEmpty::kGoIdle) scheduled_ = false;
      return 0;
    }
    freed = count_ >= bound_;
    count_ -= n;
    approx_.store(count_, std::memory_order_release);
  }
  if (freed && policy_ == OverflowPolicy::kBlock) space_.notify_all();
  return n;
}

void DeliveryQueue::close(std::vector<QueuedEvent>* out) {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    for (auto& q : q_) {
      q.drain_into([&](QueuedEvent&& d) {
        if (out) out->push_back(std::move(d));
      });
    }
    count_ = 0;
    approx_.store(0, std::memory_order_release);
  }
  space_.notify_all();
}

size_t DeliveryQueue::size() const {
  std::lock_guard lock(mu_);
  return count_;
}

}  // namespace chorus::bus
