// The asynchronous side of delivery, on each subscriber's strand: drains that
// empty its queue in batches (taking turns with other subscribers), and
// retry timers that bring a failed event back after its backoff.
#include <boost/asio/post.hpp>

#include "bus/bus_impl.h"
#include "bus/retry.h"

namespace chorus::bus {

namespace {

constexpr size_t kDrainBatch = 32;    // events popped per lock of the queue
constexpr size_t kDrainSlice = 1024;  // events per drain before yielding the thread

}  // namespace

void EventBus::Impl::notify_drained() {
  if (stopping.load(std::memory_order_acquire)) {
    std::lock_guard lock(drain_mu);
    drained.notify_all();
  }
}

void EventBus::Impl::post_drain(const SubscriberPtr& s) {
  boost::asio::post(s->strand, [self = shared_from_this(), s] { self->drain(s); });
}

// Runs on s->strand. Delivers queued events in batches; yields the thread
// after kDrainSlice events (re-posting itself) so subscribers sharing the
// workers take turns. With options.idle_spin, an emptied queue is polled
// that long before the drain ends.
void EventBus::Impl::drain(const SubscriberPtr& s) {
  using WhenEmpty = DeliveryQueue::WhenEmpty;
  const bool linger = options.idle_spin.count() > 0;
  size_t done = 0;
  while (done < kDrainSlice) {
    s->batch.clear();
    size_t n = s->queue.pop_batch(s->batch, kDrainBatch,
                                  linger ? WhenEmpty::kStayScheduled : WhenEmpty::kGoIdle);
    if (n == 0 && linger) {
      const auto deadline = std::chrono::steady_clock::now() + options.idle_spin;
      while (s->queue.approx_size() == 0 && !stopping.load(std::memory_order_relaxed) &&
             std::chrono::steady_clock::now() < deadline) {
#if defined(__x86_64__)
        __builtin_ia32_pause();
#endif
      }
      n = s->queue.pop_batch(s->batch, kDrainBatch, WhenEmpty::kGoIdle);
    }
    if (n == 0) {
      notify_drained();
      return;
    }
    const int64_t now = steady_ns();
    LatencyHistogram& hist = s->latency_histogram();
    for (QueuedEvent& d : s->batch) {
      hist.record(static_cast<uint64_t>(std::max<int64_t>(0, now - d.enqueued_ns)));
      deliver_now(*s, d.event, d.attempt, d.enqueued_ns);
    }
    done += n;
  }
  s->batch.clear();
  post_drain(s);  // more queued: yield to other subscribers, then continue
}

// Arms a timer for the next attempt. Registering the timer, starting its
// wait and checking `stopping` happen under timers_mu, the lock shutdown()
// and close() cancel under: a retry is either cancelled by them or sees that
// the bus is stopping, never missed.
void EventBus::Impl::schedule_retry(const SubscriberPtr& s, QueuedEvent d) {
  const auto delay = retry_delay(s->retry, d.attempt + 1, random01());
  d.attempt += 1;
  {
    std::lock_guard lock(s->timers_mu);
    if (!stopping.load(std::memory_order_acquire)) {
      auto timer = std::make_shared<boost::asio::steady_timer>(s->strand, delay);
      const uint64_t key = s->next_timer++;
      s->timers.emplace(key, timer);
      pending_retries.fetch_add(1, std::memory_order_acq_rel);
      s->retried.fetch_add(1, std::memory_order_relaxed);
      timer->async_wait([self = shared_from_this(), s, key,
                         d = std::move(d)](const boost::system::error_code& ec) {
        self->on_retry_timer(s, key, d, ec);
      });
      return;
    }
  }
  dead_letter(*s, d.event, "shutdown before retry", d.attempt - 1);
}

// Runs on the subscriber's strand when a retry timer fires or is cancelled.
void EventBus::Impl::on_retry_timer(const SubscriberPtr& s, uint64_t key, const QueuedEvent& d,
                                    const boost::system::error_code& ec) {
  {
    std::lock_guard lock(s->timers_mu);
    s->timers.erase(key);
  }
  if (stopping.load(std::memory_order_acquire)) {
    dead_letter(*s, d.event, "shutdown before retry", d.attempt - 1);
  } else if (ec || s->guard.closed()) {  // unsubscribed meanwhile
    s->dropped.fetch_add(1, std::memory_order_relaxed);
  } else {
    deliver_now(*s, d.event, d.attempt, d.enqueued_ns);
  }
  pending_retries.fetch_sub(1, std::memory_order_acq_rel);
  notify_drained();
}

}  // namespace chorus::bus
