// RequestTable: requests waiting for their first reply (private to host/bus).
// Each entry completes exactly once: by a reply, by its timeout, or by
// shutdown, whichever removes it from the table first.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/asio/steady_timer.hpp>

#include "bus/event_bus.h"
#include "core/uuid.h"

namespace chorus::bus {

class RequestTable {
 public:
  // Registers a request; false when its id is already waiting.
  bool add(const Uuid& id, const ReplyCallback& done,
           std::shared_ptr<boost::asio::steady_timer> timer);
  // Removes the entry and runs its callback with `result` (outside the lock).
  // False when it was not waiting (already completed, or never sent).
  bool complete(const Uuid& id, Result<EventPtr> result);
  // Completes every entry with `status`.
  void fail_all(const Status& status);
  size_t size() const noexcept { return count_.load(std::memory_order_acquire); }

 private:
  struct Pending {
    ReplyCallback done;
    std::shared_ptr<boost::asio::steady_timer> timer;
  };
  std::mutex mu_;
  std::unordered_map<Uuid, Pending, UuidHash> pending_;
  std::atomic<size_t> count_{0};
};

}  // namespace chorus::bus
