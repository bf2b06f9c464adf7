// Snapshot save/load and the state as of a version (docs/store-format.md
// "snapshot value").
#include "store/internal/snapshots.h"

#include <algorithm>

#include <fmt/core.h>

#include "core/text.h"
#include "store/internal/cursor.h"
#include "store/internal/env.h"
#include "store/internal/event_lookup.h"
#include "store/internal/index_scan.h"
#include "store/internal/records.h"
#include "store/internal/store_format.h"
#include "store/internal/stream_lookup.h"
#include "store/internal/write_txn.h"

namespace chorus::store {
namespace {

constexpr size_t kFoldPage = 1000;

}  // namespace

SaveSnapshotOp::SaveSnapshotOp(std::string stream, uint64_t version, std::string state)
    : stream_(std::move(stream)), state_(std::move(state)), version_(version) {}

Status SaveSnapshotOp::apply(WriteTxn& w) {
  auto ss = w.stream_state(stream_);
  if (!ss.ok()) {
    if (w.rc() != 0) return ss.error();
    result_ = ss.error();
    return Status::OK();
  }
  const StreamState& s = **ss;
  if (!s.exists) {
    result_ =
        Status::NotFound(fmt::format("snapshot: stream '{}' does not exist", printable(stream_)));
    return Status::OK();
  }
  if (version_ == 0 || version_ > s.version) {
    result_ = Status::InvalidArgument(fmt::format(
        "snapshot: version {} of stream '{}' is out of range (its current version is {})", version_,
        printable(stream_), s.version));
    return Status::OK();
  }
  Key16 key(s.stream_id, version_);
  return w.put(w.dbs.snapshots, key.view(), encode_snapshot_value(w.now_ns, state_));
}

void SaveSnapshotOp::complete(const Status& txn_status) {
  if (!txn_status.ok()) result_ = txn_status;
  done_.signal();
}

Status SaveSnapshotOp::wait() {
  done_.wait();
  return result_;
}

namespace {

// The snapshot of stream `stream_id` at or before `version` (in `v`).
Result<std::optional<Snapshot>> find_snapshot(const TxnView& v, std::string_view stream,
                                              uint64_t stream_id, uint64_t version) {
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.snapshots, db::kSnapshots));
  const Key16 start(stream_id, version);
  if (!c.seek(start.view(), Direction::kBackward)) {
    CHORUS_RETURN_IF_ERROR(c.status());
    return std::optional<Snapshot>();
  }
  const std::string_view key = c.key();
  if (key.size() != 16 || get_be64(key.data()) != stream_id) return std::optional<Snapshot>();
  const uint64_t ver = get_be64(key.data() + 8);
  auto val = decode_snapshot_value(c.value(), stream, ver);
  if (!val.ok()) return val.error().with_context(fmt::format("store {}", v.path));
  return std::optional<Snapshot>(Snapshot{ver, val->saved_ns, std::string(val->state)});
}

}  // namespace

Result<std::optional<Snapshot>> load_snapshot(Env& env, std::string_view stream, uint64_t version) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env.begin_read());
  const TxnView v = txn.view();
  CHORUS_ASSIGN_OR_RETURN(std::optional<StreamRecord> rec, find_stream_record(v, stream));
  if (!rec) return no_such_stream(v, stream);
  return find_snapshot(v, stream, rec->stream_id, version);
}

Result<RebuiltState> state_as_of(Env& env, std::string_view stream, uint64_t version,
                                 const Fold& fold) {
  RebuiltState out;
  uint64_t stream_id = 0, floor = 1, next = 0;
  {
    CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env.begin_read());
    const TxnView v = txn.view();
    CHORUS_ASSIGN_OR_RETURN(StreamInfo info, read_stream_info(v, stream, EventTimes::kSkip));
    if (version == kEnd) version = info.version;
    if (version > info.version)
      return Status::InvalidArgument(
          fmt::format("store {}: stream '{}' has version {}; no state as of version {}", env.path(),
                      printable(stream), info.version, version));
    stream_id = info.stream_id;
    floor = std::max<uint64_t>(info.truncate_before, 1);
    CHORUS_ASSIGN_OR_RETURN(std::optional<Snapshot> snap,
                            find_snapshot(v, stream, stream_id, version));
    if (snap) {
      out.state = std::move(snap->state);
      out.snapshot_version = snap->version;
    }
    next = out.snapshot_version + 1;
    if (next <= version && next < floor)
      return Status::FailedPrecondition(fmt::format(
          "store {}: stream '{}': versions below {} were deleted and no snapshot at or after "
          "version {} covers them",
          env.path(), printable(stream), floor, next - 1));
  }
  out.version = version;
  // Fold page by page, each page read in its own short transaction.
  while (next <= version) {
    std::vector<StoredEvent> events;
    {
      CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env.begin_read());
      const TxnView v = txn.view();
      Hits hits;
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kFoldPage, version - next + 1));
      CHORUS_RETURN_IF_ERROR(
          stream_hits(v, stream_id, floor, next, Direction::kForward, want, kEnd, hits));
      if (hits.list.empty() || hits.list.front().version != next)
        return Status::FailedPrecondition(fmt::format(
            "store {}: stream '{}': version {} is missing (deleted while the state was rebuilt)",
            env.path(), printable(stream), next));
      for (const Hit& h : hits.list) {
        CHORUS_ASSIGN_OR_RETURN(StoredEvent se, load_event(v, h.seq));
        events.push_back(std::move(se));
      }
    }
    for (const StoredEvent& e : events) {
      if (Status s = fold(out.state, e); !s.ok())
        return s.with_context(
            fmt::format("fold of stream '{}' at version {}", printable(stream), e.stream_version));
      ++out.events_folded;
    }
    next = events.back().stream_version + 1;
  }
  return out;
}

}  // namespace chorus::store
