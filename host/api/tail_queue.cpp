// The queue of one WebSocket tail (tail_queue.h).
#include "api/tail_queue.h"

namespace chorus::api {

void TailQueue::push(const EventPtr& event) {
  bool wake = false;
  {
    std::lock_guard l(mu_);
    if (closed_) return;
    if (overflowed_.load(std::memory_order_relaxed)) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (queue_.size() >= bound_) {
      overflowed_.store(true, std::memory_order_release);
      dropped_.fetch_add(1, std::memory_order_relaxed);
      wake = true;
    } else {
      queue_.push_back(event);
      wake = !notified_;
      notified_ = true;
    }
  }
  if (wake) wake_();
}

void TailQueue::take(std::vector<EventPtr>& out) {
  std::lock_guard l(mu_);
  if (out.empty()) {
    out.swap(queue_);
  } else {
    for (EventPtr& e : queue_)
      out.push_back(std::move(e));
    queue_.clear();
  }
  notified_ = false;
}

void TailQueue::close() {
  std::lock_guard l(mu_);
  closed_ = true;
  queue_.clear();
}

}  // namespace chorus::api
