// Dead letters: events the bus accepted but a subscriber could not take,
// with the subscriber, the reason, the attempts and the time. Reasons:
// retries exhausted (the last error's text), "circuit open", "shutdown: not
// delivered within the shutdown timeout" and "shutdown before retry". An
// overflow reject or block timeout is not a dead letter: the publisher gets
// the error. Durable subscriptions' failures are not either: their consumer
// group dead-letters them in the durable log.
//
// The bus writes dead letters through the DeadLetterStore interface and
// depends on nothing else: MemoryDeadLetterStore (bounded, here) is the
// default, and the runtime implements the interface over the store (the
// `$dead-letters` stream, see docs/store.md) so that they survive restarts.
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"

namespace chorus::bus {

struct DeadLetter {
  uint64_t id = 0;  // assigned by the store, increasing
  EventPtr event;
  std::string subscriber_id;  // who could not take it
  std::string reason;         // the last error text, "circuit open", "shutdown", ...
  uint32_t attempts = 0;      // handler calls made (0: never handed over)
  int64_t time_ns = 0;        // wall clock when it was dead-lettered
};

struct DeadLetterQuery {
  std::string subscriber_id;  // empty: all
  uint64_t after_id = 0;      // paging: ids greater than this
  size_t limit = 100;
};

// Thread-safe: the bus adds from publishers' threads (inline subscribers)
// and io threads (strands, retry timers, shutdown); list/get/take come from
// whoever manages dead letters (the admin API, replay).
class DeadLetterStore {
 public:
  virtual ~DeadLetterStore() = default;
  // Stores `dl` and returns its id.
  virtual Result<uint64_t> add(DeadLetter dl) = 0;
  // Oldest first.
  virtual std::vector<DeadLetter> list(const DeadLetterQuery& q) const = 0;
  virtual std::optional<DeadLetter> get(uint64_t id) const = 0;
  // Removes and returns it; nullopt when there is no such id.
  virtual std::optional<DeadLetter> take(uint64_t id) = 0;
  virtual size_t size() const = 0;
  // Dead letters discarded because the store was full (oldest first).
  virtual uint64_t evicted() const = 0;
};

// Bounded in-memory store: when full, the oldest dead letter is discarded and
// counted in evicted().
class MemoryDeadLetterStore final : public DeadLetterStore {
 public:
  explicit MemoryDeadLetterStore(size_t capacity) : capacity_(capacity) {}
  Result<uint64_t> add(DeadLetter dl) override;
  std::vector<DeadLetter> list(const DeadLetterQuery& q) const override;
  std::optional<DeadLetter> get(uint64_t id) const override;
  std::optional<DeadLetter> take(uint64_t id) override;
  size_t size() const override;
  uint64_t evicted() const override;

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::deque<DeadLetter> items_;  // ids ascending
  uint64_t next_id_ = 1;
  uint64_t evicted_ = 0;
};

}  // namespace chorus::bus
