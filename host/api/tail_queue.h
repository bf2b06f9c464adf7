// TailQueue: the bounded queue between the bus and one WebSocket tail. The
// bus's inline handler push()es on publisher threads and never waits: a
// full queue drops the event (counted) and marks the tail overflowed, after
// which the connection closes it with a reason (a client that cannot keep
// up is cut off; the bus and its other subscribers are not slowed).
// The connection's writer take()s everything queued at once.
//
// Wake-ups: push() calls `wake` when it queues into a queue the writer has
// emptied, and once on overflow. The writer takes again after every write
// before it waits, so no wake-up is lost.
//
// Threading: push() from any thread; take() from the writer only; wake
// runs on the pushing thread (it should post, not work).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "core/event.h"

namespace chorus::api {

class TailQueue {
 public:
  TailQueue(size_t bound, std::function<void()> wake) : bound_(bound), wake_(std::move(wake)) {}

  void push(const EventPtr& event);
  // Moves every queued event into `out` (appending).
  void take(std::vector<EventPtr>& out);
  // No more pushes are queued or woken for (the tail is closing).
  void close();

  bool overflowed() const noexcept { return overflowed_.load(std::memory_order_acquire); }
  uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  size_t bound() const noexcept { return bound_; }

 private:
  const size_t bound_;
  const std::function<void()> wake_;
  std::mutex mu_;
  std::vector<EventPtr> queue_;  // under mu_
  bool notified_ = false;        // under mu_: a wake is pending since the last take()
  bool closed_ = false;          // under mu_
  std::atomic<bool> overflowed_{false};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace chorus::api
