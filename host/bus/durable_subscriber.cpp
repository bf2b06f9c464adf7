// DurableSubscriber: ack_and_read loop, handler calls inside the guard,
// nack with the handler's error, back-off after read errors, and a handler
// going away (Cancelled) given its batch back once.
#include "bus/durable_subscriber.h"

#include <fmt/core.h>

#include "bus/handler_call.h"
#include "bus/logger.h"

namespace chorus::bus {

DurableSubscriber::DurableSubscriber(SubscriptionId sid_, std::string id_, std::string group_,
                                     std::string pattern_, Handler handler, DurableOptions options,
                                     std::unique_ptr<DurableGroup> log)
    : sid(sid_),
      id(std::move(id_)),
      group(std::move(group_)),
      pattern(std::move(pattern_)),
      handler_(std::move(handler)),
      options_(std::move(options)),
      log_(std::move(log)) {}

DurableSubscriber::~DurableSubscriber() {
  stop();
  join();
}

void DurableSubscriber::start() {
  thread_ = std::thread([this] { run(); });
}

void DurableSubscriber::stop() {
  stop_.store(true, std::memory_order_release);
  {
    std::lock_guard lock(mu_);
    wake_.notify_all();
  }
  guard_.close();
  if (thread_.joinable() && !on_own_thread()) join();
}

void DurableSubscriber::join() {
  if (!thread_.joinable() || on_own_thread()) return;
  guard_.wait(0);
  thread_.join();
}

void DurableSubscriber::run() {
  const std::string consumer = options_.consumer.empty() ? id : options_.consumer;
  std::vector<uint64_t> acks;
  std::chrono::milliseconds backoff{50};
  while (!stop_.load(std::memory_order_acquire)) {
    auto batch = log_->ack_and_read(acks, consumer, options_.batch, options_.poll);
    if (!batch.ok()) {
      logger().warn("durable subscriber '{}' (group '{}'): read failed: {}", id, group,
                    batch.error().to_string());
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, backoff, [&] { return stop_.load(); });
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;  // the acks are retried with the next read
    }
    acks.clear();
    backoff = std::chrono::milliseconds(50);
    bool leaving = false;
    for (size_t i = 0; i < batch->size(); ++i) {
      const DurableMessage& m = (*batch)[i];
      if (!guard_.enter()) break;  // stopping: the rest stay pending and come back
      Status st = call_catching([&] { return handler_(m.event); });
      guard_.exit();
      if (st.ok()) {
        delivered.fetch_add(1, std::memory_order_relaxed);
        acks.push_back(m.seq);
      } else if (st.is(StatusCode::kCancelled)) {
        // The handler is going away (a plugin unsubscribed from inside a
        // callback; the detach stops this member next). Give this message
        // and the rest of the batch back at once, and read nothing more
        // until stopped: reading on would hand the same messages to this
        // handler again, and each round counts a delivery toward the
        // group's max_deliveries (they would end dead-lettered).
        std::vector<uint64_t> back;
        for (size_t j = i; j < batch->size(); ++j)
          back.push_back((*batch)[j].seq);
        Status n = log_->nack(back, st.to_string());
        if (!n.ok())
          logger().warn("durable subscriber '{}': giving back {} message(s) failed: {}", id,
                        back.size(), n.to_string());
        leaving = true;
        break;
      } else {
        failed.fetch_add(1, std::memory_order_relaxed);
        const uint64_t seq = m.seq;
        Status n = log_->nack(std::span<const uint64_t>(&seq, 1), st.to_string());
        if (!n.ok())
          logger().warn("durable subscriber '{}': nack of seq {} failed: {}", id, seq,
                        n.to_string());
      }
    }
    if (leaving) {
      // Until stopped; after `poll` without a stop (a handler that returned
      // Cancelled for its own reasons), reading resumes.
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, options_.poll, [&] { return stop_.load(); });
    }
  }
  if (!acks.empty()) {
    auto last = log_->ack_and_read(acks, consumer, 0, std::chrono::milliseconds(0));
    if (!last.ok())
      logger().warn("durable subscriber '{}': final ack failed (the events come back): {}", id,
                    last.error().to_string());
  }
}

}  // namespace chorus::bus
