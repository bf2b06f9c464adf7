// Subscriber: the bus's record of one subscription (private to host/bus).
// Holds the handler, its queue and strand, breaker, retry timers and counters.
//
// Lifetime: shared_ptr, held by the bus's table and by match results (which
// per-thread caches may keep after unsubscribe); the guard makes sure a
// closed subscriber's handler is never called, and close() releases the
// handler's captured state.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "bus/call_guard.h"
#include "bus/circuit_breaker.h"
#include "bus/delivery_queue.h"
#include "bus/event_bus.h"
#include "bus/latency_histogram.h"

namespace chorus::bus {

using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

struct Subscriber : std::enable_shared_from_this<Subscriber> {
  Subscriber(boost::asio::io_context& io, SubscriptionId sid_, std::string id_,
             std::vector<std::string> patterns_, Handler handler_, SubscribeOptions& o,
             const BusOptions& defaults)
      : sid(sid_),
        id(std::move(id_)),
        patterns(std::move(patterns_)),
        group(std::move(o.queue_group)),
        mode(o.mode),
        observe_all(o.observe_all),
        retry(o.retry.value_or(defaults.retry)),
        handler(std::move(handler_)),
        filter(std::move(o.filter)),
        breaker(o.breaker.value_or(defaults.breaker)),
        queue(o.queue_bound.value_or(defaults.queue_bound), o.overflow.value_or(defaults.overflow),
              o.block_timeout.value_or(defaults.block_timeout)),
        strand(boost::asio::make_strand(io)) {}

  // True when this subscriber should see `e` given its target.
  bool accepts_target(const Event& e) const noexcept {
    return observe_all || e.target().empty() || e.target() == id;
  }

  const SubscriptionId sid;
  const std::string id;
  const std::vector<std::string> patterns;
  const std::string group;
  const DeliveryMode mode;
  const bool observe_all;
  const RetryPolicy retry;

  Handler handler;  // released by close(); read only inside guard.enter()/exit()
  Filter filter;
  CircuitBreaker breaker;
  DeliveryQueue queue;
  Strand strand;
  CallGuard guard;
  std::vector<QueuedEvent> batch;  // the drain's buffer; touched only on the strand

  // Retry timers waiting to fire, so shutdown/unsubscribe can cancel them.
  std::mutex timers_mu;
  std::unordered_map<uint64_t, std::shared_ptr<boost::asio::steady_timer>> timers;
  uint64_t next_timer = 0;

  std::atomic<uint64_t> delivered{0}, filtered{0}, failed{0}, retried{0}, dead_lettered{0},
      dropped{0}, rejected{0};
  // Publish-to-handler latency of async deliveries: ~3 KB, so made on the
  // first one (touched only on the strand; read by stats()).
  std::atomic<LatencyHistogram*> latency{nullptr};
  LatencyHistogram& latency_histogram() {
    LatencyHistogram* h = latency.load(std::memory_order_acquire);
    if (!h) {
      h = new LatencyHistogram();
      latency.store(h, std::memory_order_release);
    }
    return *h;
  }
  ~Subscriber() { delete latency.load(); }
};

using SubscriberPtr = std::shared_ptr<Subscriber>;

}  // namespace chorus::bus
