// Retention: deciding what to remove (on the retention thread, with read
// transactions) and removing it (writer ops of at most retention_batch
// events). Every index entry of an event is derived from its record, so a
// deletion removes exactly what the append wrote (docs/store-format.md
// "Transactions").
#include "store/internal/retention.h"

#include <algorithm>
#include <vector>

#include <fmt/core.h>

#include "core/clock.h"
#include "core/text.h"
#include "store/internal/cursor.h"
#include "store/internal/env.h"
#include "store/internal/event_lookup.h"
#include "store/internal/index_scan.h"
#include "store/internal/log.h"
#include "store/internal/reader.h"
#include "store/internal/records.h"
#include "store/internal/store_format.h"
#include "store/internal/stream_lookup.h"
#include "store/internal/write_txn.h"
#include "store/internal/writer.h"
#include "store/names.h"

namespace chorus::store {
namespace {

constexpr std::string_view kGlobalPattern = "$global";

// Deletes the event at `seq` and every index entry pointing at it.
Status delete_event(WriteTxn& w, uint64_t seq) {
  CHORUS_ASSIGN_OR_RETURN(std::optional<EventPeek> peek, peek_event(w.view(), seq, Crc::kSkip));
  if (!peek) return Status::OK();
  // The peek's views point into the value, which the deletes below may move.
  const std::string stream(peek->record.stream), type(peek->record.type),
      correlation(peek->record.correlation_id);
  const uint64_t stream_version = peek->stream_version;
  const Uuid event_id = peek->record.id;
  const int64_t time_ns = peek->record.time_ns;

  const std::string_view id{reinterpret_cast<const char*>(event_id.bytes.data()), 16};
  bool found = false;
  std::string_view idv;
  CHORUS_RETURN_IF_ERROR(w.get(w.dbs.event_ids, id, idv, found));
  if (found && idv.size() == 8 && get_be64(idv.data()) == seq)
    CHORUS_RETURN_IF_ERROR(w.del(w.dbs.event_ids, id));
  if (auto t = w.st.types.find(type); t != w.st.types.end()) {
    const Key12 tk(t->second, seq);
    CHORUS_RETURN_IF_ERROR(w.del(w.dbs.type_index, tk.view()));
  }
  const Key16 tk(time_key(time_ns), seq);
  CHORUS_RETURN_IF_ERROR(w.del(w.dbs.time_index, tk.view()));
  if (!correlation.empty())
    CHORUS_RETURN_IF_ERROR(w.del(w.dbs.correlation_index, correlation_key(correlation, seq)));
  if (stream_version != 0 && !stream.empty()) {
    CHORUS_ASSIGN_OR_RETURN(StreamState * ss, w.stream_state(stream));
    if (ss->exists) {
      const Key16 sk(ss->stream_id, stream_version);
      CHORUS_RETURN_IF_ERROR(w.del(w.dbs.stream_index, sk.view()));
    }
  }
  const Key8 ek(seq);
  CHORUS_RETURN_IF_ERROR(w.del(w.dbs.events, ek.view()));
  if (seq + 1 == w.st.next_seq) {
    // The newest event went: remember its seq so that numbering goes on.
    char b[8];
    put_be64(b, seq);
    CHORUS_RETURN_IF_ERROR(w.put(w.dbs.meta, meta_key::kLastSeq, {b, 8}));
  }
  return Status::OK();
}

// The first version of `stream` that `rule` keeps (its versions below are
// due for deletion), read in `v`.
Result<uint64_t> first_kept(const TxnView& v, std::string_view stream, const StreamRecord& rec,
                            const RetentionRule& rule, int64_t now_ns) {
  CHORUS_ASSIGN_OR_RETURN(StreamInfo info, read_stream_info(v, stream, EventTimes::kRead));
  uint64_t keep = 0;
  if (rule.max_count > 0 && info.event_count > rule.max_count)
    keep = info.version - rule.max_count + 1;
  const int64_t cutoff = now_ns - rule.max_age.count() * 1'000'000;
  if (rule.max_age.count() <= 0 || info.event_count == 0 || info.first_time_ns >= cutoff)
    return keep;
  // The first version young enough (times follow versions closely).
  uint64_t from = info.first_version, young = info.version + 1;
  for (bool found = false; !found;) {
    Hits hits;
    CHORUS_RETURN_IF_ERROR(stream_hits(v, rec.stream_id, rec.truncate_before, from,
                                       Direction::kForward, 1000, kEnd, hits));
    for (const Hit& h : hits.list) {
      CHORUS_ASSIGN_OR_RETURN(std::optional<EventPeek> p, peek_event(v, h.seq, Crc::kSkip));
      if (p && p->record.time_ns >= cutoff) {
        young = h.version;
        found = true;
        break;
      }
    }
    if (!hits.more || hits.list.empty()) break;
    from = hits.list.back().version + 1;
  }
  return std::max(keep, young);
}

const RetentionRule* rule_for(const std::vector<RetentionRule>& rules, std::string_view stream) {
  for (const RetentionRule& r : rules)
    if (r.pattern != kGlobalPattern && glob_match(r.pattern, stream)) return &r;
  return nullptr;
}

}  // namespace

Retention::Retention(Env& env, Writer& writer, const StoreOptions& options)
    : env_(env), writer_(writer), options_(options) {}

Retention::~Retention() {
  stop();
}

void Retention::start() {
  if (options_.retention_interval.count() <= 0) return;
  thread_ = std::thread([this] { run(); });
}

void Retention::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void Retention::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Retention::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait_for(lock, options_.retention_interval, [&] { return stopping_ || woken_; });
    if (stopping_) return;
    woken_ = false;
    lock.unlock();
    auto r = run_once();
    if (!r.ok()) {
      store_log()->error("retention: {}", r.error().message());
    } else if (r->events_deleted > 0) {
      store_log()->info("retention: deleted {} events from {} streams in {} transactions",
                        r->events_deleted, r->streams_truncated, r->transactions);
    }
    // Stale reader slots of killed `chorus store` processes hold old pages.
    env_.check_readers();
    lock.lock();
  }
}

Status Retention::truncate_stream(const std::string& stream, uint64_t before,
                                  RetentionReport& report) {
  const size_t batch = std::max<size_t>(options_.retention_batch, 1);
  bool counted = false;
  for (;;) {
    size_t deleted = 0;
    FnOp op(
        [&](WriteTxn& w) -> Status {
          CHORUS_ASSIGN_OR_RETURN(StreamState * ss, w.stream_state(stream));
          if (!ss->exists) return Status::OK();
          if (ss->truncate_before < before) {
            ss->truncate_before = before;
            ss->version = std::max(ss->version, before - 1);
            CHORUS_RETURN_IF_ERROR(w.put_stream_record(stream, *ss));
          }
          const uint64_t sid = ss->stream_id, floor = ss->truncate_before;
          // The oldest index entries below the floor.
          std::vector<uint64_t> seqs;
          {
            CHORUS_ASSIGN_OR_RETURN(Cursor * c, w.cursor(w.dbs.stream_index, db::kStreamIndex));
            const Key16 start(sid, 0);
            for (c->seek(start.view()); c->on() && seqs.size() < batch; c->next()) {
              const std::string_view k = c->key(), d = c->value();
              if (k.size() != 16 || get_be64(k.data()) != sid || get_be64(k.data() + 8) >= floor)
                break;
              if (d.size() == 8) seqs.push_back(get_be64(d.data()));
            }
            CHORUS_RETURN_IF_ERROR(c->status());
          }
          for (uint64_t seq : seqs)
            CHORUS_RETURN_IF_ERROR(delete_event(w, seq));
          deleted = seqs.size();
          // Snapshots below the new first version are of no use any more (one
          // at floor-1 still is: it is the state before the first readable event).
          if (seqs.size() < batch && floor > 1) {
            CHORUS_ASSIGN_OR_RETURN(Cursor * c, w.cursor(w.dbs.snapshots, db::kSnapshots));
            const Key16 start(sid, 0);
            std::vector<std::string> old;
            for (c->seek(start.view()); c->on(); c->next()) {
              const std::string_view k = c->key();
              if (k.size() != 16 || get_be64(k.data()) != sid ||
                  get_be64(k.data() + 8) + 1 >= floor)
                break;
              old.emplace_back(k);
            }
            CHORUS_RETURN_IF_ERROR(c->status());
            for (const std::string& key : old)
              CHORUS_RETURN_IF_ERROR(w.del(w.dbs.snapshots, key));
          }
          return Status::OK();
        },
        [&] { deleted = 0; });
    writer_.submit(&op);
    CHORUS_RETURN_IF_ERROR(op.wait());
    ++report.transactions;
    report.events_deleted += deleted;
    if (deleted > 0 && !counted) {
      ++report.streams_truncated;
      counted = true;
    }
    if (deleted < batch) return Status::OK();
  }
}

Status Retention::trim_global(const RetentionRule& rule, int64_t now_ns, RetentionReport& report) {
  const size_t batch = std::max<size_t>(options_.retention_batch, 1);
  const int64_t cutoff =
      rule.max_age.count() > 0 ? now_ns - rule.max_age.count() * 1'000'000 : INT64_MIN;
  uint64_t resume = 1;
  for (;;) {
    size_t deleted = 0;
    bool done = false;
    const uint64_t resume_before = resume;
    FnOp op(
        [&](WriteTxn& w) -> Status {
          MDB_stat all, streamed;  // entry counts of the transaction's snapshot
          mdb_stat(w.txn, w.dbs.events, &all);
          mdb_stat(w.txn, w.dbs.stream_index, &streamed);
          const uint64_t global =
              all.ms_entries > streamed.ms_entries ? all.ms_entries - streamed.ms_entries : 0;
          uint64_t excess =
              rule.max_count > 0 && global > rule.max_count ? global - rule.max_count : 0;
          std::vector<uint64_t> doomed;
          size_t scanned = 0;
          {
            CHORUS_ASSIGN_OR_RETURN(Cursor * c, w.cursor(w.dbs.events, db::kEvents));
            const Key8 start(resume);
            for (c->seek(start.view()); c->on(); c->next()) {
              if (c->key().size() != 8) break;
              const uint64_t seq = get_be64(c->key().data());
              resume = seq + 1;
              if (doomed.size() >= batch || ++scanned > 10 * batch) break;
              CHORUS_ASSIGN_OR_RETURN(EventPeek p,
                                      peek_event_value(w.path(), seq, c->value(), Crc::kSkip));
              if (p.stream_version != 0) continue;
              if (excess > 0) {
                --excess;
              } else if (p.record.time_ns >= cutoff) {
                done = true;  // the rest of the global log is young enough
                break;
              }
              doomed.push_back(seq);
            }
            CHORUS_RETURN_IF_ERROR(c->status());
            if (!c->on()) done = true;  // reached the end of the log
          }
          for (uint64_t seq : doomed)
            CHORUS_RETURN_IF_ERROR(delete_event(w, seq));
          deleted = doomed.size();
          return Status::OK();
        },
        [&] {
          deleted = 0;
          done = false;
          resume = resume_before;
        });
    writer_.submit(&op);
    if (Status s = op.wait(); !s.ok()) {
      resume = resume_before;
      return s;
    }
    ++report.transactions;
    report.events_deleted += deleted;
    if (done) return Status::OK();
  }
}

Result<RetentionReport> Retention::run_once() {
  std::lock_guard run_lock(run_mu_);
  RetentionReport report;
  const int64_t now = wall_clock_ns();
  struct Work {
    std::string stream;
    uint64_t before;
  };
  std::vector<Work> work;
  std::vector<std::pair<std::string, StreamRecord>> streams;
  Reader reader(env_);
  CHORUS_RETURN_IF_ERROR(
      reader.for_each_stream([&](std::string_view name, const StreamRecord& rec) {
        streams.emplace_back(std::string(name), rec);
        return true;
      }));
  for (const auto& [name, rec] : streams) {
    CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
    const TxnView v = txn.view();
    // The oldest stored entry, deleted or not.
    Hits oldest;
    CHORUS_RETURN_IF_ERROR(
        stream_hits(v, rec.stream_id, 0, 1, Direction::kForward, 1, kEnd, oldest));
    if (oldest.list.empty()) continue;
    uint64_t before = rec.truncate_before;
    if (const RetentionRule* rule = rule_for(options_.retention, name)) {
      CHORUS_ASSIGN_OR_RETURN(uint64_t keep, first_kept(v, name, rec, *rule, now));
      before = std::max(before, keep);
    }
    if (before > oldest.list[0].version) work.push_back(Work{name, before});
  }
  for (const Work& w : work)
    CHORUS_RETURN_IF_ERROR(truncate_stream(w.stream, w.before, report));
  for (const RetentionRule& r : options_.retention)
    if (r.pattern == kGlobalPattern && (r.max_count > 0 || r.max_age.count() > 0)) {
      CHORUS_RETURN_IF_ERROR(trim_global(r, now, report));
      break;
    }
  return report;
}

}  // namespace chorus::store
