// Value types of the store's public API: expected versions, stored events,
// append results, read pages, stream information, commit notifications,
// snapshots and retention reports. Nothing here needs LMDB or the store's
// internals (host/store/README.md "Public and private headers").
// Positions follow docs/store-format.md "Conventions": global sequence
// numbers and stream versions both start at 1; 0 means "none / before the
// first".
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"

namespace chorus::store {

// The optimistic-concurrency check of an append (docs/store.md "Appends").
struct ExpectedVersion {
  enum class Kind : uint8_t { kAny, kNoStream, kStreamExists, kExact };
  Kind kind = Kind::kAny;
  uint64_t version = 0;  // for kExact

  static ExpectedVersion any() { return {}; }
  static ExpectedVersion no_stream() { return {Kind::kNoStream, 0}; }
  static ExpectedVersion stream_exists() { return {Kind::kStreamExists, 0}; }
  // The stream's last event has version `v` (0: the stream has no events).
  static ExpectedVersion exact(uint64_t v) { return {Kind::kExact, v}; }

  // "any", "no_stream", "stream_exists" or the number.
  std::string to_string() const;
};

// An event as stored: its global position, its version in its stream (0 when
// it has none) and the event itself.
struct StoredEvent {
  uint64_t seq = 0;
  uint64_t stream_version = 0;
  EventPtr event;
};

// The outcome of one append.
struct AppendResult {
  Status status;  // OK, Conflict, AlreadyExists, InvalidArgument, ResourceExhausted, ...
  // Positions of the batch: of the events written, or of the stored events
  // when the whole batch was already stored (an idempotent retry).
  uint64_t first_seq = 0, last_seq = 0;
  // The stream's version after the append (0 for the global log).
  uint64_t stream_version = 0;
  // On Conflict: the stream's actual current version (also in the message).
  uint64_t actual_version = 0;
  uint32_t written = 0;     // events newly written
  uint32_t duplicates = 0;  // events skipped because their id was already stored

  bool ok() const noexcept { return status.ok(); }
};
// One part of a multi-stream append (EventStore::append_multi): `events`
// for `stream` (empty: the global log) if it meets `expected`.
struct StreamAppend {
  std::string_view stream;
  std::span<const EventPtr> events;
  ExpectedVersion expected;
};

// The outcome of a multi-stream append: `status` is OK when every part was
// written (or was an idempotent retry), else the first failure, naming the
// part's stream, and nothing of any part was written. `parts[i]` is part
// i's own result (positions, versions; on failure only the failing part's
// status and actual_version are set).
struct MultiAppendResult {
  Status status;
  std::vector<AppendResult> parts;
  bool ok() const noexcept { return status.ok(); }
};
using MultiAppendCallback = std::function<void(const MultiAppendResult&)>;

// Runs on the store's completion thread (internal/writer.h) once the append's commit met the
// durability policy (or failed). It must be quick and must not call
// blocking store functions: post real work elsewhere.
using AppendCallback = std::function<void(const AppendResult&)>;

enum class Direction : uint8_t { kForward, kBackward };

// "Read from the end": the `from` of a backward read that starts at the last event.
inline constexpr uint64_t kEnd = std::numeric_limits<uint64_t>::max();

// Pages larger than this are cut (ReadPage::end stays false).
inline constexpr size_t kMaxReadLimit = 100'000;

// One page of a read. Continue with `from = next` (and, for time reads,
// `from_time_ns = next_time_ns`) until `end`.
struct ReadPage {
  std::vector<StoredEvent> events;
  bool end = false;          // nothing more in this direction at the time of the read
  uint64_t next = 0;         // a version for stream reads, a seq otherwise
  int64_t next_time_ns = 0;  // time reads only
};

struct StreamInfo {
  std::string name;
  uint64_t stream_id = 0;
  bool deleted = false;          // soft-deleted and not appended to since
  uint64_t version = 0;          // current version (continues after a delete)
  uint64_t first_version = 0;    // first readable version (0: none)
  uint64_t event_count = 0;      // readable events
  uint64_t truncate_before = 0;  // versions below are deleted
  int64_t created_ns = 0;
  int64_t first_time_ns = 0, last_time_ns = 0;  // of the readable events (0: none)
};

// Events made durable by one group commit, in sequence order.
struct CommittedBatch {
  uint64_t first_seq = 0, last_seq = 0;
  std::vector<StoredEvent> events;
};
// Called on the store's completion thread, in commit order, after the commit met the
// durability policy. Must be quick and must not call blocking store
// functions (it holds up every later commit).
using CommitListener = std::function<void(const std::shared_ptr<const CommittedBatch>&)>;

// ---- snapshots (docs/store.md "Snapshots") ----

struct Snapshot {
  uint64_t version = 0;
  int64_t saved_ns = 0;
  std::string state;
};

// Applies one event to the state. A non-OK status stops the rebuild and is
// returned by EventStore::state_as_of().
using Fold = std::function<Status(std::string& state, const StoredEvent& event)>;

struct RebuiltState {
  std::string state;
  uint64_t version = 0;           // the version the state is as of
  uint64_t snapshot_version = 0;  // the snapshot it started from (0: none)
  uint64_t events_folded = 0;
};

// ---- retention (docs/store.md "Retention and deletes") ----

struct RetentionReport {
  uint64_t events_deleted = 0;
  uint64_t streams_truncated = 0;
  uint64_t transactions = 0;
};

}  // namespace chorus::store
