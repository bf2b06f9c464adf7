// EventStore: the public face of host/store, a durable event log on LMDB
// with versioned streams, indexes, snapshots, catch-up subscriptions,
// consumer groups, dead letters and retention. docs/store.md describes the
// guarantees; docs/store-format.md the bytes on disk.
//
//   auto store = EventStore::open({.path = data_dir + "/store"});
//   AppendResult r = (*store)->append("order-42", events, ExpectedVersion::no_stream());
//   auto page = (*store)->read_stream("order-42", 1, Direction::kForward, 100);
//
// Ownership: open() returns the only owner. Subscriptions and consumer
// groups it hands out must be destroyed (or stopped) before it is closed.
//
// Threading: every function may be called from any thread, concurrently.
// Appends, snapshot saves, group operations, deletes and retention are
// applied by one writer thread with group commit (internal/writer.h); reads run in
// short read-only transactions on the calling thread. Callbacks
// (AppendCallback, CommitListener) run on the completion thread (internal/writer.h:
// the syncer with `always`, else the writer) and must not
// block or call blocking store functions; subscription handlers run on the
// subscription's thread and may.
//
// Errors are Status values naming the store path and what was involved
// (stream, sequence number); nothing throws.
//
// This header and the ones it includes are the store's public surface: they
// need neither <lmdb.h> nor the store's internals (store/internal/, see
// host/store/README.md); tests/store/public_header_test.cpp proves it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "store/catch_up.h"
#include "store/consumer_group.h"
#include "store/dead_letter.h"
#include "store/store_options.h"
#include "store/types.h"

namespace chorus::store {

class AutoSnapshotter;
class Env;
class Reader;
class Retention;
class Writer;

struct DatabaseStats {
  std::string name;
  uint64_t entries = 0;
  uint64_t pages = 0;  // branch + leaf + overflow
  uint32_t depth = 0;
};

struct StoreStats {
  std::string path;
  uint32_t format_version = 0;
  bool read_only = false;
  uint64_t map_size = 0, map_used = 0, file_size = 0;
  uint32_t page_size = 0;
  uint64_t last_seq = 0;  // the newest seq in the log (0: none)
  uint32_t readers_used = 0, readers_max = 0;
  std::vector<DatabaseStats> databases;
  // Writer counters since open (zero when read-only).
  uint64_t transactions = 0, events_appended = 0, syncs = 0, map_growths = 0;
  // Where the writer's time went (ns): running ops and inserting index
  // entries; commits; completing ops and notifying listeners; syncs.
  uint64_t apply_ns = 0, commit_ns = 0, complete_ns = 0, sync_ns = 0;
};

class EventStore {
 public:
  // Opens or (unless read_only) creates the store at options.path. A
  // writable store starts its writer and, when rules are set, retention.
  // Errors name the path: NotFound (read-only and no store),
  // PermissionDenied, NotSupported (a newer store format), Corruption (not
  // an LMDB environment or not a chorus store), FailedPrecondition (already
  // open in this process), InvalidArgument (bad options).
  static Result<std::unique_ptr<EventStore>> open(StoreOptions options);
  ~EventStore();  // close()
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Stops retention and automatic snapshots, completes every queued write,
  // syncs and closes the environment. Later calls fail with Unavailable.
  // REQUIRES: subscriptions and consumer groups from this store are gone.
  void close();

  const StoreOptions& options() const noexcept { return options_; }
  const std::string& path() const noexcept { return options_.path; }
  bool read_only() const noexcept { return options_.read_only; }

  // ---- appends (docs/store.md "Appends") ----

  // Appends `events` to `stream` (empty: the global log only) if the stream
  // matches `expected`; blocks until the commit met the durability policy.
  // All or nothing. Ids already stored in that stream are skipped (a whole
  // batch of them succeeds at once: an idempotent retry).
  AppendResult append(std::string_view stream, std::span<const EventPtr> events,
                      ExpectedVersion expected = ExpectedVersion::any());
  // One event, to the stream it names (or the global log), any version.
  AppendResult append(const EventPtr& event);
  // The same without blocking: `done` runs on the completion thread.
  void append_async(std::string_view stream, std::span<const EventPtr> events,
                    ExpectedVersion expected, AppendCallback done);
  void append_async(const EventPtr& event, AppendCallback done);
  // Appends several parts, each to its own stream with its own expected
  // version, in ONE writer transaction: all parts are written or none
  // (docs/store.md "Multi-stream appends"). For the host's own engines (the
  // workflow engine writes a published event and its history record
  // together): a part may name a system stream ('$' names) other than the
  // store's own ($dead-letters, $dead-letters-resolved). Each part follows
  // append()'s rules (idempotency by id, expected version); a stream may
  // appear in one part only and an id once in all. Blocks until the commit
  // met the durability policy.
  MultiAppendResult append_multi(std::span<const StreamAppend> parts);
  // The same without blocking: `done` runs on the completion thread (quick,
  // no blocking store calls), also for a refusal before anything was queued.
  void append_multi_async(std::span<const StreamAppend> parts, MultiAppendCallback done);
  // Appends the dead letter of `original` to $dead-letters (dead_letter.h).
  AppendResult append_dead_letter(const Event& original, const DeadLetterInfo& info);
  // Resolves the dead letter at `dead_letter_version` of $dead-letters:
  // appends a resolution saying `how` (and `note`: who or why) to
  // $dead-letters-resolved, in one writer transaction with the check that
  // the dead letter exists; blocks until durable. Idempotent and atomic: of
  // any number of calls for one dead letter (from any thread, also across
  // restarts) exactly one returns kResolved; the others write nothing and
  // return kAlreadyResolved, and the first resolution stands.
  // Errors: NotFound (no such version in $dead-letters: never written, or
  // removed by retention), InvalidArgument (version 0 or >= 2^62, an
  // unknown `how`, a note over kMaxResolutionNoteBytes or not printable
  // UTF-8), FailedPrecondition (read-only), and the append's.
  Result<ResolveOutcome> resolve_dead_letter(uint64_t dead_letter_version, Resolution how,
                                             std::string_view note = {});
  // The resolutions from version `from` of $dead-letters-resolved, oldest
  // first (an empty page with `end` when none were ever written). A stored
  // resolution that does not decode is Corruption naming the store, the
  // stream and its version.
  Result<ResolutionPage> read_dead_letter_resolutions(uint64_t from = 1, size_t limit = 1000);

  // Soft delete: reads of the stream return nothing from now on; its version
  // continues with the next append; the events are removed by retention.
  Status delete_stream(std::string_view stream, ExpectedVersion expected = ExpectedVersion::any());

  // ---- reads (docs/store.md "Reads") ----
  // Each read returns one page of at most `limit` (<= kMaxReadLimit)
  // events, read in one short transaction; continue with `from =
  // page.next` until `page.end`. Stored bytes that do not decode are
  // Corruption naming the path and the seq.

  // `from` is a version (inclusive): forward from it, backward from it down
  // (kEnd: from the last). NotFound for a stream that never existed; an
  // empty page for a deleted one.
  Result<ReadPage> read_stream(std::string_view stream, uint64_t from,
                               Direction dir = Direction::kForward, size_t limit = 1000);
  // The global log; `from` is a seq (inclusive): forward from 1 reads everything.
  Result<ReadPage> read_all(uint64_t from, Direction dir = Direction::kForward,
                            size_t limit = 1000);
  // The events with this correlation id (the operation's timeline), by seq.
  Result<ReadPage> read_correlation(std::string_view correlation, uint64_t from = 0,
                                    Direction dir = Direction::kForward, size_t limit = 1000);
  // The events whose type is `pattern` or matches it ("order.*",
  // "order.**"), by seq.
  Result<ReadPage> read_types(std::string_view pattern, uint64_t from = 0,
                              Direction dir = Direction::kForward, size_t limit = 1000);
  // The events with from_ns <= time < to_ns, by (time, seq), from
  // (start_ns, start_seq); continue with start_ns = page.next_time_ns,
  // start_seq = page.next.
  Result<ReadPage> read_time(int64_t from_ns, int64_t to_ns, int64_t start_ns, uint64_t start_seq,
                             Direction dir = Direction::kForward, size_t limit = 1000);
  // NotFound for a stream that never existed.
  Result<StreamInfo> stream_info(std::string_view stream);
  // The global log from seq `from` without decoding: fn(seq, stream version,
  // binary record v1) for up to `limit` events (docs/event-format.md; the
  // record bytes are valid only during the call, and fn must not call the
  // store: it runs inside a read transaction). Returns the seq to continue
  // from (== from when there was nothing). For export and bulk scans.
  using RawRecordFn =
      std::function<void(uint64_t seq, uint64_t stream_version, std::string_view record)>;
  Result<uint64_t> scan_raw(uint64_t from, size_t limit, const RawRecordFn& fn);

  // ---- snapshots (types.h Snapshot, Fold, RebuiltState) ----

  Status save_snapshot(std::string_view stream, uint64_t version, std::string_view state);
  Result<std::optional<Snapshot>> load_snapshot(std::string_view stream,
                                                uint64_t at_or_before = kEnd);
  Result<RebuiltState> state_as_of(std::string_view stream, uint64_t version, const Fold& fold);
  // Snapshot every `every` versions of streams matching `glob`, with `fold`.
  Status set_auto_snapshot(std::string glob, uint64_t every, Fold fold);
  // Waits until automatic snapshots due so far are saved (for tests).
  void drain_auto_snapshots();

  // ---- subscriptions and consumer groups ----

  Result<std::unique_ptr<CatchUpSubscription>> subscribe(CatchUpOptions options);
  // Creates the group or opens the existing one.
  Result<std::unique_ptr<ConsumerGroup>> consumer_group(const GroupOptions& options);

  // ---- commit notifications (types.h CommitListener) ----

  uint64_t add_commit_listener(CommitListener listener);
  void remove_commit_listener(uint64_t id);
  // The last seq whose commit met the durability policy.
  uint64_t durable_seq() const noexcept;

  // ---- retention ----

  Result<RetentionReport> enforce_retention();

  Result<StoreStats> stats();

 private:
  explicit EventStore(StoreOptions options);
  // Unavailable once closed; FailedPrecondition naming `what` when read-only.
  Status writable(std::string_view what) const;
  // Unavailable once closed.
  Status readable() const;

  StoreOptions options_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<Reader> reader_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<Retention> retention_;
  std::unique_ptr<AutoSnapshotter> snapshotter_;
  std::mutex snapshotter_mu_;
  bool closed_ = false;
};

}  // namespace chorus::store
