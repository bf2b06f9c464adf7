// TailHub: the bus subscriptions behind WebSocket tails. A tail is an
// inline, observe_all subscription whose handler only queues into the
// tail's TailQueue (so the bus never waits for a tail's client), with the
// subscriber id "tail-<n>" (visible in bus stats and /metrics).
//
// Lifetime: close_all() runs when the API stops, before the bus stops;
// afterwards open() refuses and close() does nothing, so a connection that
// ends late never touches the bus.
//
// Threading: every member is thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/status.h"

namespace chorus::bus {
class EventBus;
}

namespace chorus::api {

class TailQueue;

class TailHub {
 public:
  explicit TailHub(bus::EventBus& bus) : bus_(bus) {}

  // Subscribes a tap of `patterns` that pushes into `queue`. Returns the
  // tail's id; Unavailable after close_all(), or the bus's error.
  Result<uint64_t> open(const std::vector<std::string>& patterns,
                        const std::shared_ptr<TailQueue>& queue);
  // When this returns the queue gets no more events. Idempotent.
  void close(uint64_t id);
  void close_all();
  size_t size() const;

 private:
  bus::EventBus& bus_;
  mutable std::mutex mu_;
  bool closed_ = false;
  uint64_t next_ = 1;
  std::unordered_map<uint64_t, uint64_t> subs_;  // tail id -> bus subscription id
};

}  // namespace chorus::api
