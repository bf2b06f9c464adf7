// SeqTracker: the global sequence numbers of events the API publishes to
// persistent types, so POST /v1/events can answer with them. The bus's
// publish reports only a Status; the store's commit listener sees every
// committed event with its seq. The tracker listens, and keeps the seq of
// the ids it was told to expect until the publisher takes it.
//
// Order: the store runs commit listeners before it completes the commit's
// appends (store/writer.cpp finish()), and the bus completes a persistent
// publish only after its append completed, so by the time publish_async's
// callback runs the seq is recorded. take() returns 0 for an id whose
// commit was not seen: an id already stored (an idempotent retry is not
// written again).
//
// Threading: thread-safe. The listener costs one atomic load per commit
// while nothing is expected.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "core/uuid.h"

namespace chorus::store {
class EventStore;
}

namespace chorus::api {

class SeqTracker {
 public:
  // Registers the commit listener. REQUIRES: `store` outlives the tracker.
  explicit SeqTracker(store::EventStore& store);
  ~SeqTracker();  // stop()
  // Removes the listener; take() then returns 0. Call before the store
  // closes (the tracker may outlive it). Idempotent.
  void stop();
  SeqTracker(const SeqTracker&) = delete;
  SeqTracker& operator=(const SeqTracker&) = delete;

  // Before publishing an event with this id.
  void expect(const Uuid& id);
  // After its publish completed: its seq (0 when no commit of it was seen);
  // forgets it.
  uint64_t take(const Uuid& id);

 private:
  struct Slot {
    uint32_t waiters = 0;
    uint64_t seq = 0;
  };
  std::mutex stop_mu_;
  store::EventStore* store_;  // null after stop()
  uint64_t listener_ = 0;
  std::atomic<size_t> expected_{0};
  std::mutex mu_;
  std::unordered_map<Uuid, Slot, UuidHash> slots_;
};

}  // namespace chorus::api
