// Consumer groups: durable subscriptions shared by the members of a named
// group, in the model of Redis Streams (XREADGROUP / XACK / XPENDING /
// XCLAIM), described in docs/store.md "Consumer groups".
//
// A group reads either one stream or the events whose type matches a
// pattern. read() hands a member events nobody in the group has seen yet,
// after first re-delivering entries whose ack timeout passed or that were
// nacked (to whichever member reads next). Every handed-out event is pending
// until acked; each delivery counts; an entry that reaches max_deliveries is
// removed and appended to `$dead-letters` with the reason. The group's
// cursor and pending entries are in the store (docs/store-format.md "group
// record", "pending value") and survive a restart; every change goes through
// the writer, so it is as durable as an append (store.durability).
//
// Threading: a ConsumerGroup may be used from any thread by any number of
// members at once. Its in-memory state (GroupState,
// store/internal/group_state.h) belongs to the writer thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/types.h"

namespace chorus::store {

class Env;
class Writer;
struct GroupState;

struct GroupOptions {
  std::string name;  // [A-Za-z0-9._:-], 1..128 bytes
  // Exactly one source: a stream, or an event-type pattern ("order.*";
  // "**" alone is not allowed: use "a.**").
  std::string stream;
  std::string type_pattern;
  // Where a new group starts: at the first event, or after the last one.
  enum class Start : uint8_t { kBeginning, kEnd };
  Start start = Start::kBeginning;
  // Unset: the store's defaults (StoreOptions::group_*). For an existing
  // group, set values replace the stored ones.
  std::optional<std::chrono::milliseconds> ack_timeout;
  std::optional<uint32_t> max_deliveries;  // 0: unlimited
};

// One event handed to a member by read() or claim(); pending until acked.
struct GroupMessage {
  StoredEvent event;
  uint32_t deliveries = 0;  // 1 on the first delivery
};

struct PendingEntry {
  uint64_t seq = 0;
  std::string consumer;
  uint32_t deliveries = 0;
  int64_t delivered_ms = 0;  // wall clock of the last delivery (0 after a nack)
};

struct GroupInfo {
  std::string name;
  bool stream_source = false;
  std::string source;
  uint64_t cursor = 0;  // last version (stream) or seq (types) handed out
  uint64_t pending = 0;
  std::chrono::milliseconds ack_timeout{0};
  uint32_t max_deliveries = 0;
};

class ConsumerGroup {
 public:
  // Use EventStore::consumer_group().
  ConsumerGroup(Env& env, Writer& writer, std::shared_ptr<GroupState> state);
  ~ConsumerGroup();

  const std::string& name() const noexcept { return name_; }

  // Up to `max` events for `consumer`, waiting up to `wait` when there are
  // none (an empty result at the deadline is not an error).
  Result<std::vector<GroupMessage>> read(
      std::string_view consumer, size_t max,
      std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  // Acks and then reads, in one transaction (one commit instead of two).
  Result<std::vector<GroupMessage>> ack_and_read(
      std::span<const uint64_t> acks, std::string_view consumer, size_t max,
      std::chrono::milliseconds wait = std::chrono::milliseconds(0));
  // Returns how many of `seqs` were pending (and are not any more).
  Result<size_t> ack(std::span<const uint64_t> seqs);
  // Re-delivers at once (to any member); an entry already delivered
  // max_deliveries times goes to $dead-letters with `reason`.
  Result<size_t> nack(std::span<const uint64_t> seqs, std::string_view reason = {});
  // Takes over pending entries idle for at least `min_idle` (counts a delivery).
  Result<std::vector<GroupMessage>> claim(std::string_view consumer,
                                          std::chrono::milliseconds min_idle,
                                          std::span<const uint64_t> seqs);
  // Forgets pending entries without a dead letter.
  Result<size_t> drop(std::span<const uint64_t> seqs);
  // Pending entries from seq `from`, of one consumer (or all when empty).
  Result<std::vector<PendingEntry>> pending(std::string_view consumer = {}, uint64_t from = 0,
                                            size_t limit = 1000);
  Result<GroupInfo> info();

 private:
  Result<std::vector<GroupMessage>> read_impl(std::span<const uint64_t> acks,
                                              std::string_view consumer, size_t max,
                                              std::chrono::milliseconds wait);
  Env& env_;
  Writer& writer_;
  std::shared_ptr<GroupState> state_;
  std::string name_;
};

}  // namespace chorus::store
