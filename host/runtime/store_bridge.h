// The store seen through the bus's interfaces (the bus and the store are
// siblings and know nothing of each other; the runtime joins them here):
//
//  - StoreDurableLog: bus::DurableLog over an EventStore. Persistent types
//    are appended to the event's stream (or the global log); durable
//    subscriptions are the store's consumer groups.
//  - StoreDeadLetters: bus::DeadLetterStore over the `$dead-letters` stream,
//    so the bus's dead letters survive restarts. A dead letter's id is its
//    version in that stream. Taking one out (replay, drop) resolves it in
//    the store (EventStore::resolve_dead_letter, which writes
//    `$dead-letters-resolved` and lets exactly one taker win); resolved
//    ones are skipped by list() and get().
//
// Both are thread-safe and need the EventStore to outlive them.
#pragma once

#include <memory>
#include <mutex>
#include <set>

#include "bus/dead_letters.h"
#include "bus/durable_log.h"
#include "store/event_store.h"

namespace chorus::runtime {

class StoreDurableLog final : public bus::DurableLog {
 public:
  explicit StoreDurableLog(store::EventStore& store) : store_(store) {}
  Status append(const EventPtr& event, bool& duplicate) override;
  void append_async(const EventPtr& event, bus::DurableAppendCallback done) override;
  Result<std::unique_ptr<bus::DurableGroup>> open_group(std::string_view group,
                                                        std::string_view pattern,
                                                        bool from_beginning) override;

 private:
  store::EventStore& store_;
};

class StoreDeadLetters final : public bus::DeadLetterStore {
 public:
  // Reads the store's resolutions. Errors name the store path.
  static Result<std::unique_ptr<StoreDeadLetters>> open(store::EventStore& store);

  Result<uint64_t> add(bus::DeadLetter dl) override;
  std::vector<bus::DeadLetter> list(const bus::DeadLetterQuery& q) const override;
  std::optional<bus::DeadLetter> get(uint64_t id) const override;
  std::optional<bus::DeadLetter> take(uint64_t id) override;
  size_t size() const override;
  uint64_t evicted() const override { return 0; }  // retention rules decide what is kept

 private:
  explicit StoreDeadLetters(store::EventStore& store) : store_(store) {}
  std::optional<bus::DeadLetter> read_one(uint64_t id) const;

  store::EventStore& store_;
  mutable std::mutex mu_;        // resolved_
  std::set<uint64_t> resolved_;  // a cache of the store's resolved versions
};

}  // namespace chorus::runtime
