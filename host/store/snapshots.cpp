// Snapshot save/load, state as of a version, and automatic snapshots
// (docs/store-format.md "snapshot value").
#include "store/snapshots.h"

#include <algorithm>

#include <fmt/core.h>

#include "core/log.h"
#include "core/text.h"
#include "store/names.h"
#include "store/reader.h"
#include "store/records.h"
#include "store/store_format.h"
#include "store/writer.h"

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

// Inside a read transaction: the snapshot at or before `version`.
Status find_snapshot(const rd::View& v, std::string_view stream, uint64_t stream_id,
                     uint64_t version, std::optional<Snapshot>& out) {
  out.reset();
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(v.txn, v.dbs.snapshots, &c);
  if (rc != 0) return mdb_status(rc, v.path, "open a cursor on 'snapshots'");
  Key16 start(stream_id, version);
  MDB_val k = to_val(start.view()), d;
  rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
  if (rc == 0 && to_view(k) != start.view())
    rc = mdb_cursor_get(c, &k, &d, MDB_PREV);
  else if (rc == MDB_NOTFOUND)
    rc = mdb_cursor_get(c, &k, &d, MDB_LAST);
  Status s;
  if (rc == 0 && k.mv_size == 16 && get_be64(static_cast<const char*>(k.mv_data)) == stream_id) {
    const uint64_t ver = get_be64(static_cast<const char*>(k.mv_data) + 8);
    auto val = decode_snapshot_value(to_view(d), stream, ver);
    if (!val.ok()) {
      s = val.error().with_context(fmt::format("store {}", v.path));
    } else {
      out = Snapshot{ver, val->saved_ns, std::string(val->state)};
    }
  } else if (rc != 0 && rc != MDB_NOTFOUND) {
    s = mdb_status(rc, v.path, "read 'snapshots'");
  }
  mdb_cursor_close(c);
  return s;
}

}  // namespace

Result<std::optional<Snapshot>> load_snapshot(Env& env, std::string_view stream, uint64_t version) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env.begin_read());
  rd::View v{txn.get(), env.dbs(), env.path()};
  StreamRecord rec;
  bool found = false;
  CHORUS_RETURN_IF_ERROR(rd::stream_record(v, stream, rec, found));
  if (!found)
    return Status::NotFound(
        fmt::format("store {}: stream '{}' does not exist", env.path(), printable(stream)));
  std::optional<Snapshot> snap;
  CHORUS_RETURN_IF_ERROR(find_snapshot(v, stream, rec.stream_id, version, snap));
  return snap;
}

Result<RebuiltState> state_as_of(Env& env, std::string_view stream, uint64_t version,
                                 const Fold& fold) {
  RebuiltState out;
  uint64_t stream_id = 0, floor = 1, next = 0;
  {
    CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env.begin_read());
    rd::View v{txn.get(), env.dbs(), env.path()};
    CHORUS_ASSIGN_OR_RETURN(StreamInfo info, rd::stream_info(v, stream));
    if (version == kEnd) version = info.version;
    if (version > info.version)
      return Status::InvalidArgument(
          fmt::format("store {}: stream '{}' has version {}; no state as of version {}", env.path(),
                      printable(stream), info.version, version));
    stream_id = info.stream_id;
    floor = std::max<uint64_t>(info.truncate_before, 1);
    std::optional<Snapshot> snap;
    CHORUS_RETURN_IF_ERROR(find_snapshot(v, stream, stream_id, version, snap));
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
      rd::View v{txn.get(), env.dbs(), env.path()};
      std::vector<rd::Hit> hits;
      bool more = false;
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kFoldPage, version - next + 1));
      CHORUS_RETURN_IF_ERROR(
          rd::stream_hits(v, stream_id, floor, next, Direction::kForward, want, kEnd, hits, more));
      if (hits.empty() || hits.front().version != next)
        return Status::FailedPrecondition(fmt::format(
            "store {}: stream '{}': version {} is missing (deleted while the state was rebuilt)",
            env.path(), printable(stream), next));
      for (const rd::Hit& h : hits) {
        CHORUS_ASSIGN_OR_RETURN(StoredEvent se, rd::load_event(v, h.seq));
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

// ---- AutoSnapshotter ----

AutoSnapshotter::AutoSnapshotter(Env& env, Writer& writer) : env_(env), writer_(writer) {
  listener_ = writer_.add_listener(
      [this](const std::shared_ptr<const CommittedBatch>& b) { on_commit(b); });
  thread_ = std::thread([this] { run(); });
}

AutoSnapshotter::~AutoSnapshotter() {
  stop();
}

void AutoSnapshotter::add_rule(std::string glob, uint64_t every, Fold fold) {
  std::lock_guard lock(mu_);
  rules_.push_back(Rule{std::move(glob), std::max<uint64_t>(every, 1), std::move(fold)});
}

void AutoSnapshotter::stop() {
  if (listener_) {
    writer_.remove_listener(listener_);
    listener_ = 0;
  }
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AutoSnapshotter::drain() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return (jobs_.empty() && !busy_) || stopping_; });
}

void AutoSnapshotter::on_commit(const std::shared_ptr<const CommittedBatch>& batch) {
  std::lock_guard lock(mu_);
  if (rules_.empty()) return;
  bool added = false;
  for (const StoredEvent& e : batch->events) {
    if (e.stream_version == 0) continue;
    for (size_t r = 0; r < rules_.size(); ++r) {
      if (e.stream_version % rules_[r].every != 0) continue;
      if (!glob_match(rules_[r].glob, e.event->stream())) continue;
      jobs_.push_back(Job{std::string(e.event->stream()), e.stream_version, r});
      added = true;
      break;
    }
  }
  if (added) cv_.notify_all();
}

void AutoSnapshotter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    Fold fold = rules_[job.rule].fold;
    busy_ = true;
    lock.unlock();
    Status s;
    auto state = state_as_of(env_, job.stream, job.version, fold);
    if (!state.ok()) {
      s = state.error();
    } else if (state->events_folded > 0) {
      SaveSnapshotOp op(job.stream, job.version, std::move(state->state));
      writer_.submit(&op);
      s = op.wait();
    }
    if (!s.ok())
      log::get("store")->warn("automatic snapshot of '{}' at version {}: {}", printable(job.stream),
                              job.version, s.message());
    lock.lock();
    busy_ = false;
    cv_.notify_all();
  }
}

}  // namespace chorus::store
