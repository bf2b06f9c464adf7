// EventStore: wiring of Env, Writer, Reader, Retention and the automatic
// snapshotter, and the thin API functions on top of them.
#include "store/event_store.h"

#include <algorithm>
#include <sys/stat.h>

#include <fmt/core.h>

#include "core/text.h"
#include "store/internal/append.h"
#include "store/internal/auto_snapshotter.h"
#include "store/internal/env.h"
#include "store/internal/group_ops.h"
#include "store/internal/multi_append.h"
#include "store/internal/reader.h"
#include "store/internal/resolution.h"
#include "store/internal/retention.h"
#include "store/internal/snapshots.h"
#include "store/internal/store_format.h"
#include "store/internal/write_txn.h"
#include "store/internal/writer.h"
#include "store/names.h"

namespace chorus::store {

EventStore::EventStore(StoreOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<EventStore>> EventStore::open(StoreOptions options) {
  if (options.durability == Durability::kInterval && options.sync_interval.count() <= 0)
    return Status::InvalidArgument(
        "store: sync_interval must be positive for durability 'interval'");
  std::unique_ptr<EventStore> s(new EventStore(std::move(options)));
  CHORUS_ASSIGN_OR_RETURN(s->env_, Env::open(s->options_));
  s->reader_ = std::make_unique<Reader>(*s->env_);
  if (!s->options_.read_only) {
    s->writer_ = std::make_unique<Writer>(*s->env_, s->options_);
    CHORUS_RETURN_IF_ERROR(s->writer_->start());
    s->retention_ = std::make_unique<Retention>(*s->env_, *s->writer_, s->options_);
    s->retention_->start();  // also removes soft-deleted streams' events and stale reader slots
  }
  return s;
}

EventStore::~EventStore() {
  close();
}

void EventStore::close() {
  if (closed_) return;
  closed_ = true;
  if (retention_) retention_->stop();
  {
    std::lock_guard lock(snapshotter_mu_);
    if (snapshotter_) snapshotter_->stop();
  }
  if (writer_) writer_->stop();
  snapshotter_.reset();
  retention_.reset();
  writer_.reset();
  reader_.reset();
  env_.reset();
}

Status EventStore::writable(std::string_view what) const {
  CHORUS_RETURN_IF_ERROR(readable());
  if (options_.read_only)
    return Status::FailedPrecondition(
        fmt::format("store {}: opened read-only; cannot {}", options_.path, what));
  return Status::OK();
}

Status EventStore::readable() const {
  if (closed_) return Status::Unavailable(fmt::format("store {}: closed", options_.path));
  return Status::OK();
}

AppendResult EventStore::append(std::string_view stream, std::span<const EventPtr> events,
                                ExpectedVersion expected) {
  AppendOp op;
  if (Status s = writable("append"); !s.ok()) {
    op.result.status = std::move(s);
    return op.result;
  }
  if (Status s = prepare_append(stream, events, expected, SystemStreams::kRefuse, op.spec);
      !s.ok()) {
    op.result.status = std::move(s);
    return op.result;
  }
  Completion done;
  op.waiter = &done;
  writer_->submit(&op);
  done.wait();
  return std::move(op.result);
}

AppendResult EventStore::append(const EventPtr& event) {
  if (!event) {
    AppendResult r;
    r.status = Status::InvalidArgument("append: null event");
    return r;
  }
  return append(event->stream(), std::span<const EventPtr>(&event, 1), ExpectedVersion::any());
}

void EventStore::append_async(std::string_view stream, std::span<const EventPtr> events,
                              ExpectedVersion expected, AppendCallback done) {
  auto* op = new AppendOp();
  op->callback = std::move(done);
  Status s = writable("append");
  if (s.ok()) s = prepare_append(stream, events, expected, SystemStreams::kRefuse, op->spec);
  if (!s.ok()) {
    op->result.status = std::move(s);
    op->complete(Status::OK());  // runs the callback here and deletes the op
    return;
  }
  writer_->submit(op);
}

void EventStore::append_async(const EventPtr& event, AppendCallback done) {
  if (!event) {
    AppendResult r;
    r.status = Status::InvalidArgument("append: null event");
    if (done) done(r);
    return;
  }
  append_async(event->stream(), std::span<const EventPtr>(&event, 1), ExpectedVersion::any(),
               std::move(done));
}

MultiAppendResult EventStore::append_multi(std::span<const StreamAppend> parts) {
  MultiAppendOp op;
  Status s = writable("append");
  if (s.ok()) s = prepare_multi_append(parts, op.specs);
  if (!s.ok()) {
    op.result.status = std::move(s);
    return op.result;
  }
  Completion done;
  op.waiter = &done;
  writer_->submit(&op);
  done.wait();
  return std::move(op.result);
}

void EventStore::append_multi_async(std::span<const StreamAppend> parts, MultiAppendCallback done) {
  auto* op = new MultiAppendOp();
  op->callback = std::move(done);
  Status s = writable("append");
  if (s.ok()) s = prepare_multi_append(parts, op->specs);
  if (!s.ok()) {
    op->result.status = std::move(s);
    op->complete(Status::OK());  // runs the callback here and deletes the op
    return;
  }
  writer_->submit(op);
}

AppendResult EventStore::append_dead_letter(const Event& original, const DeadLetterInfo& info) {
  AppendOp op;
  Status s = writable("append a dead letter");
  if (s.ok()) {
    auto dl = make_dead_letter(original, info);
    s = dl.ok() ? prepare_append(kDeadLetterStream, std::span<const EventPtr>(&*dl, 1),
                                 ExpectedVersion::any(), SystemStreams::kAllow, op.spec)
                : dl.error();
  }
  if (!s.ok()) {
    op.result.status = std::move(s);
    return op.result;
  }
  Completion done;
  op.waiter = &done;
  writer_->submit(&op);
  done.wait();
  return std::move(op.result);
}

Result<ResolveOutcome> EventStore::resolve_dead_letter(uint64_t dead_letter_version, Resolution how,
                                                       std::string_view note) {
  CHORUS_RETURN_IF_ERROR(writable("resolve a dead letter"));
  CHORUS_RETURN_IF_ERROR(check_resolution(dead_letter_version, how, note));
  ResolveOp op(dead_letter_version, how, note);
  writer_->submit(&op);
  return op.wait();
}

Result<ResolutionPage> EventStore::read_dead_letter_resolutions(uint64_t from, size_t limit) {
  CHORUS_RETURN_IF_ERROR(readable());
  ResolutionPage out;
  auto page = reader_->read_stream(kResolvedDeadLetterStream, from, Direction::kForward, limit);
  if (!page.ok()) {
    if (!page.error().is(StatusCode::kNotFound)) return page.error();
    out.end = true;  // nothing was ever resolved
    out.next = from;
    return out;
  }
  out.resolutions.reserve(page->events.size());
  for (const StoredEvent& e : page->events) {
    CHORUS_ASSIGN_OR_RETURN(DeadLetterResolution r, decode_resolution(options_.path, e));
    out.resolutions.push_back(std::move(r));
  }
  out.end = page->end;
  out.next = page->next;
  return out;
}

Status EventStore::delete_stream(std::string_view stream_view, ExpectedVersion expected) {
  CHORUS_RETURN_IF_ERROR(writable("delete a stream"));
  CHORUS_RETURN_IF_ERROR(validate_stream_name(stream_view, SystemStreams::kAllow));
  const std::string stream(stream_view);
  Status outcome;
  FnOp op(
      [&](WriteTxn& w) -> Status {
        CHORUS_ASSIGN_OR_RETURN(StreamState * ss, w.stream_state(stream));
        if (!ss->exists) {
          outcome = Status::NotFound(
              fmt::format("store {}: stream '{}' does not exist", w.path(), printable(stream)));
          return Status::OK();
        }
        outcome = check_expected_version(stream, expected, *ss);
        if (!outcome.ok()) return Status::OK();
        ss->truncate_before = ss->version + 1;
        ss->flags |= kStreamFlagDeleted;
        return w.put_stream_record(stream, *ss);
      },
      [&] { outcome = Status::OK(); });
  writer_->submit(&op);
  CHORUS_RETURN_IF_ERROR(op.wait());
  CHORUS_RETURN_IF_ERROR(outcome);
  if (retention_) retention_->wake();
  return Status::OK();
}

Result<ReadPage> EventStore::read_stream(std::string_view stream, uint64_t from, Direction dir,
                                         size_t limit) {
  CHORUS_RETURN_IF_ERROR(readable());
  return reader_->read_stream(stream, from, dir, limit);
}

Result<ReadPage> EventStore::read_all(uint64_t from, Direction dir, size_t limit) {
  CHORUS_RETURN_IF_ERROR(readable());
  return reader_->read_all(from, dir, limit);
}

Result<ReadPage> EventStore::read_correlation(std::string_view correlation, uint64_t from,
                                              Direction dir, size_t limit) {
  CHORUS_RETURN_IF_ERROR(readable());
  return reader_->read_correlation(correlation, from, dir, limit);
}

Result<ReadPage> EventStore::read_types(std::string_view pattern, uint64_t from, Direction dir,
                                        size_t limit) {
  CHORUS_RETURN_IF_ERROR(readable());
  return reader_->read_types(pattern, from, dir, limit);
}

Result<ReadPage> EventStore::read_time(int64_t from_ns, int64_t to_ns, int64_t start_ns,
                                       uint64_t start_seq, Direction dir, size_t limit) {
  CHORUS_RETURN_IF_ERROR(readable());
  return reader_->read_time(from_ns, to_ns, start_ns, start_seq, dir, limit);
}

Result<StreamInfo> EventStore::stream_info(std::string_view stream) {
  CHORUS_RETURN_IF_ERROR(readable());
  return reader_->stream_info(stream);
}

Result<uint64_t> EventStore::scan_raw(uint64_t from, size_t limit, const RawRecordFn& fn) {
  CHORUS_RETURN_IF_ERROR(readable());
  return reader_->scan_raw(from, limit, fn);
}

Status EventStore::save_snapshot(std::string_view stream, uint64_t version,
                                 std::string_view state) {
  CHORUS_RETURN_IF_ERROR(writable("save a snapshot"));
  SaveSnapshotOp op{std::string(stream), version, std::string(state)};
  writer_->submit(&op);
  return op.wait();
}

Result<std::optional<Snapshot>> EventStore::load_snapshot(std::string_view stream,
                                                          uint64_t at_or_before) {
  CHORUS_RETURN_IF_ERROR(readable());
  return store::load_snapshot(*env_, stream, at_or_before);
}

Result<RebuiltState> EventStore::state_as_of(std::string_view stream, uint64_t version,
                                             const Fold& fold) {
  CHORUS_RETURN_IF_ERROR(readable());
  if (!fold) return Status::InvalidArgument("state_as_of: no fold");
  return store::state_as_of(*env_, stream, version, fold);
}

Status EventStore::set_auto_snapshot(std::string glob, uint64_t every, Fold fold) {
  CHORUS_RETURN_IF_ERROR(writable("take snapshots"));
  if (every == 0 || !fold)
    return Status::InvalidArgument("automatic snapshots need a fold and an interval of at least 1");
  std::lock_guard lock(snapshotter_mu_);
  if (!snapshotter_) snapshotter_ = std::make_unique<AutoSnapshotter>(*env_, *writer_);
  snapshotter_->add_rule(std::move(glob), every, std::move(fold));
  return Status::OK();
}

void EventStore::drain_auto_snapshots() {
  std::lock_guard lock(snapshotter_mu_);
  if (snapshotter_) snapshotter_->drain();
}

Result<std::unique_ptr<CatchUpSubscription>> EventStore::subscribe(CatchUpOptions options) {
  CHORUS_RETURN_IF_ERROR(writable("subscribe (a read-only store sees no live commits)"));
  if (!options.on_event) return Status::InvalidArgument("subscribe: on_event is required");
  if (!options.stream.empty())
    CHORUS_RETURN_IF_ERROR(validate_stream_name(options.stream, SystemStreams::kAllow));
  options.page = std::clamp<size_t>(options.page, 1, kMaxReadLimit);
  auto sub = std::make_unique<CatchUpSubscription>(*env_, *writer_, std::move(options));
  sub->start();
  return sub;
}

Result<std::unique_ptr<ConsumerGroup>> EventStore::consumer_group(const GroupOptions& options) {
  CHORUS_RETURN_IF_ERROR(writable("use consumer groups"));
  CHORUS_ASSIGN_OR_RETURN(auto state, open_group(*writer_, options, options_.group_ack_timeout,
                                                 options_.group_max_deliveries));
  return std::make_unique<ConsumerGroup>(*env_, *writer_, std::move(state));
}

uint64_t EventStore::add_commit_listener(CommitListener listener) {
  return writer_ ? writer_->add_listener(std::move(listener)) : 0;
}

void EventStore::remove_commit_listener(uint64_t id) {
  if (writer_) writer_->remove_listener(id);
}

uint64_t EventStore::durable_seq() const noexcept {
  return writer_ ? writer_->durable_seq() : 0;
}

Result<RetentionReport> EventStore::enforce_retention() {
  CHORUS_RETURN_IF_ERROR(writable("enforce retention"));
  return retention_->run_once();
}

Result<StoreStats> EventStore::stats() {
  CHORUS_RETURN_IF_ERROR(readable());
  StoreStats st;
  st.path = options_.path;
  st.format_version = env_->format_version();
  st.read_only = options_.read_only;
  MDB_envinfo info;
  MDB_stat est;
  env_->info(info, est);
  st.map_size = info.me_mapsize;
  st.page_size = est.ms_psize;
  st.map_used = (static_cast<uint64_t>(info.me_last_pgno) + 1) * est.ms_psize;
  st.readers_used = info.me_numreaders;
  st.readers_max = info.me_maxreaders;
  struct stat fs;
  if (::stat((options_.path + "/data.mdb").c_str(), &fs) == 0)
    st.file_size = static_cast<uint64_t>(fs.st_size);
  {
    CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_->begin_read());
    const Dbs& d = env_->dbs();
    for (const auto& [name, handle] : kDatabases) {
      MDB_stat s;
      const int rc = mdb_stat(txn.get(), d.*handle, &s);
      if (rc != 0) return mdb_status(rc, options_.path, fmt::format("stat '{}'", name));
      st.databases.push_back(
          DatabaseStats{name, s.ms_entries,
                        s.ms_branch_pages + s.ms_leaf_pages + s.ms_overflow_pages, s.ms_depth});
    }
  }
  CHORUS_ASSIGN_OR_RETURN(st.last_seq, reader_->last_seq());
  if (writer_) {
    const WriterStats ws = writer_->stats();
    st.transactions = ws.transactions;
    st.events_appended = ws.events;
    st.syncs = ws.syncs;
    st.map_growths = ws.map_growths;
    st.apply_ns = ws.apply_ns;
    st.commit_ns = ws.commit_ns;
    st.complete_ns = ws.complete_ns;
    st.sync_ns = ws.sync_ns;
  }
  return st;
}

}  // namespace chorus::store
