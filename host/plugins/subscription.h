// Subscription: one subscription of a plugin instance (private to
// host/plugins). The plugin sees `id`; the bus sees `subscriber_id` and
// `bus_id` once the subscription is attached (at start, or at once when the
// instance runs). `closed` is set by unsubscribe and read under the
// instance's callback mutex; `dead` (under bus_mu) stops a late attach.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>

#include "chorus/plugin.h"

namespace chorus::plugins {

// Events a durable subscription reads at a time: few, so that an unload
// leaves few read-but-unhandled events pending until the group's ack timeout.
inline constexpr size_t kDurableBatch = 32;

struct Subscription {
  uint64_t id = 0;
  std::string pattern, queue_group, durable_group, subscriber_id;
  uint32_t flags = 0;
  bool requests = false;
  chorus_filter_fn filter = nullptr;
  void* filter_ctx = nullptr;
  chorus_event_fn handler = nullptr;  // null: the descriptor's on_event/on_request
  void* handler_ctx = nullptr;

  std::atomic<bool> closed{false};
  // Filter calls in progress (they run on publishers' threads, outside the
  // callback mutex): unsubscribe waits for them after setting `closed`.
  std::atomic<uint32_t> filters_inside{0};

  std::mutex bus_mu;
  bool attached = false;  // under bus_mu
  bool dead = false;      // under bus_mu: detached for good
  uint64_t bus_id = 0;    // under bus_mu

  // Set (under detach_mu) when a detach begins: a durable delivery that
  // found the subscription closed waits for it (instance_delivery.cpp).
  std::mutex detach_mu;
  std::condition_variable detach_cv;
  bool detaching = false;
};

}  // namespace chorus::plugins
