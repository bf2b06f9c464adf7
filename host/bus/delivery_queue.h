// DeliveryQueue: the bounded, priority-ordered mailbox of one async
// subscriber. Publishers push from any thread; the subscriber's drain (on its
// strand) pops batches. Higher priorities are popped first; within a
// priority, publish order.
//
// The queue also tracks whether a drain is scheduled, so that a publisher
// posts a drain only when the subscriber goes from idle to busy (one post per
// burst, not per event).
//
// Thread-safe (one mutex). `block` waits on a condition variable, never
// while holding anything else.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <vector>

#include "bus/bus_options.h"
#include "core/event.h"

namespace chorus::bus {

// One event waiting in a subscriber's queue, or for its retry timer (not to
// be confused with the store's consumer-group deliveries).
struct QueuedEvent {
  EventPtr event;
  int64_t enqueued_ns = 0;  // steady clock, for the latency histogram
  uint32_t attempt = 1;     // 1 for the first delivery
};

// A FIFO that allocates nothing until its first push and grows by doubling:
// an idle subscriber's four priority queues cost a few words, not the
// ~600 bytes each of an empty std::deque.
template <typename T>
class Ring {
 public:
  bool empty() const noexcept { return size_ == 0; }
  size_t size() const noexcept { return size_; }
  T& front() noexcept { return buf_[head_]; }
  void push_back(T v) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = std::move(v);
    ++size_;
  }
  void pop_front() noexcept {
    buf_[head_] = T();
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
  }
  template <typename Fn>
  void drain_into(Fn&& fn) {
    while (size_ > 0) {
      fn(std::move(front()));
      pop_front();
    }
  }

 private:
  void grow() {
    std::vector<T> next(buf_.empty() ? 16 : buf_.size() * 2);
    for (size_t i = 0; i < size_; ++i)
      next[i] = std::move(buf_[(head_ + i) & (buf_.size() - 1)]);
    buf_ = std::move(next);
    head_ = 0;
  }
  std::vector<T> buf_;  // size is zero or a power of two
  size_t head_ = 0, size_ = 0;
};

class DeliveryQueue {
 public:
  enum class PushResult {
    kQueued,         // queued; `schedule` says whether the caller must post a drain
    kDroppedOldest,  // queued after dropping an older event (returned in `dropped`)
    kDroppedNewest,  // not queued (drop_newest, or drop_oldest when it was the lowest)
    kRejected,       // not queued (reject)
    kTimedOut,       // not queued (block, no room before the timeout)
    kClosed,         // not queued: the subscriber is gone
  };

  DeliveryQueue(size_t bound, OverflowPolicy policy, std::chrono::milliseconds block_timeout)
      : bound_(bound), policy_(policy), block_timeout_(block_timeout) {}

  // Adds `d`. `schedule` is set when the queue was idle: the caller then posts
  // exactly one drain. `dropped` receives an event evicted by drop_oldest.
  PushResult push(QueuedEvent d, bool& schedule, QueuedEvent* dropped);

  // What pop_batch does when it finds the queue empty.
  enum class WhenEmpty {
    kGoIdle,         // mark the queue idle: the next push schedules a drain
    kStayScheduled,  // keep it scheduled (a drain that lingers, polling for the next event)
  };
  // Moves up to `max` events of the highest priority present into `out`.
  // Returns 0 when it is empty (then acts per `when_empty`).
  size_t pop_batch(std::vector<QueuedEvent>& out, size_t max,
                   WhenEmpty when_empty = WhenEmpty::kGoIdle);
  // A lock-free peek at the number queued (may be stale by a moment).
  size_t approx_size() const noexcept { return approx_.load(std::memory_order_acquire); }

  // Stops accepting; moves everything queued into `out` (may be null) and
  // wakes blocked publishers.
  void close(std::vector<QueuedEvent>* out);

  size_t size() const;
  size_t bound() const { return bound_; }

 private:
  bool full() const { return count_ >= bound_; }

  const size_t bound_;
  const OverflowPolicy policy_;
  const std::chrono::milliseconds block_timeout_;

  mutable std::mutex mu_;
  std::condition_variable space_;
  Ring<QueuedEvent> q_[kPriorityCount];
  size_t count_ = 0;
  std::atomic<size_t> approx_{0};  // count_, readable without the lock
  bool scheduled_ = false;
  bool closed_ = false;
};

}  // namespace chorus::bus
