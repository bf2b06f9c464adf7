// MatchResult and the per-thread match cache (private to host/bus).
//
// A publish looks the event type up in its own thread's cache: a 4-way
// set-associative table of (type hash, type, generation) -> result, with
// least-recently-used replacement within a set. The bus bumps one
// generation counter on every subscribe/unsubscribe, so a cache hit costs one
// atomic load and a string compare and takes no lock; a stale entry is simply
// recomputed from the trie. Each thread's cache is owned by the bus (freed
// with it) and used only by its thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bus/subscriber.h"

namespace chorus::bus {

struct TopicCounters {
  explicit TopicCounters(std::string t) : topic(std::move(t)) {}
  const std::string topic;
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> no_subscribers{0};
};

// Keeps subscribers alive while match results point at them. A match result
// holds the set as of its generation, so a publish can use plain pointers
// (one reference count per result, not one per matched subscriber) and an
// unsubscribe can never free a subscriber a publish is still using.
//
// Immutable; made of chunks of up to 64 subscribers, so a subscribe copies
// the chunk pointers and one chunk, not every subscriber. An unsubscribed
// subscriber stays in the set (its handler already released) until the dead
// outnumber the living, then the set is rebuilt: amortised O(1).
struct SubscriberSet {
  static constexpr size_t kChunk = 64;
  using Chunk = std::vector<SubscriberPtr>;
  std::vector<std::shared_ptr<const Chunk>> chunks;
};

struct MatchResult {
  struct Group {
    std::string name;
    std::vector<Subscriber*> members;
    std::atomic<uint64_t>* next = nullptr;  // the group's round-robin counter (bus-owned)
  };
  std::shared_ptr<const SubscriberSet> keep;  // owns everything below
  std::vector<Subscriber*> subs;              // not in a group; each once
  std::vector<Group> groups;
  TopicCounters* topic = nullptr;  // bus-owned, stable
  bool persistent = false;         // the type matches a `store.persist` pattern
};

class ThreadMatchCache {
 public:
  static constexpr size_t kWays = 4;
  // `slots` is rounded up to a power of two, at least kWays.
  explicit ThreadMatchCache(size_t slots);

  // The cached result for `type`, or nullptr.
  const MatchResult* find(uint64_t hash, std::string_view type, uint64_t generation) noexcept {
    Slot* set = &slots_[(hash & set_mask_) * kWays];
    for (size_t i = 0; i < kWays; ++i) {
      Slot& s = set[i];
      if (s.hash == hash && s.generation == generation && s.result && s.type == type) {
        s.used = ++tick_;
        return s.result.get();
      }
    }
    return nullptr;
  }
  // Stores `result`; the result it displaces (if any) is moved to `evicted`
  // so the caller can recycle it.
  const MatchResult* store(uint64_t hash, std::string_view type, uint64_t generation,
                           std::shared_ptr<const MatchResult> result,
                           std::shared_ptr<const MatchResult>& evicted);

  // Nesting depth of publishes on this thread: inner publishes (from inline
  // handlers) must not overwrite slots an outer publish is iterating.
  int depth = 0;
  std::atomic<uint64_t> hits{0}, misses{0};

 private:
  struct Slot {
    uint64_t hash = 0;
    uint64_t generation = 0;
    uint64_t used = 0;
    std::string type;
    std::shared_ptr<const MatchResult> result;
  };
  std::vector<Slot> slots_;
  uint64_t set_mask_;
  uint64_t tick_ = 0;
};

}  // namespace chorus::bus
