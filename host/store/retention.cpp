// Retention: deciding what to remove (on the retention thread, with read
// transactions) and removing it (writer ops of at most retention_batch
// events). Every index entry of an event is derived from its record, so a
// deletion removes exactly what the append wrote (docs/store-format.md
// "Transactions").
#include "store/retention.h"

#include <algorithm>
#include <vector>

#include <fmt/core.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/text.h"
#include "store/env.h"
#include "store/names.h"
#include "store/reader.h"
#include "store/records.h"
#include "store/store_format.h"
#include "store/write_txn.h"
#include "store/writer.h"

namespace chorus::store {
namespace {

constexpr std::string_view kGlobalPattern = "$global";

const std::shared_ptr<spdlog::logger>& logger() {
  static auto l = log::get("store");
  return l;
}

// Deletes the event at `seq` and every index entry pointing at it.
Status delete_event(WriteTxn& w, uint64_t seq) {
  Key8 ek(seq);
  std::string_view view;
  bool found = false;
  CHORUS_RETURN_IF_ERROR(w.get(w.dbs.events, ek.view(), view, found));
  if (!found) return Status::OK();
  const std::string value(view);
  auto ev = decode_event_value(value, seq);
  if (!ev.ok()) return ev.error().with_context(fmt::format("store {}", w.env.path()));
  auto p = peek_record(ev->record, seq, false);
  if (!p.ok()) return p.error().with_context(fmt::format("store {}", w.env.path()));
  const RecordPeek& r = *p;

  const std::string_view id{reinterpret_cast<const char*>(r.id.bytes.data()), 16};
  std::string_view idv;
  CHORUS_RETURN_IF_ERROR(w.get(w.dbs.event_ids, id, idv, found));
  if (found && idv.size() == 8 && get_be64(idv.data()) == seq)
    CHORUS_RETURN_IF_ERROR(w.del(w.dbs.event_ids, id));
  if (auto t = w.st.types.find(r.type); t != w.st.types.end()) {
    Key12 tk(t->second, seq);
    CHORUS_RETURN_IF_ERROR(w.del(w.dbs.type_index, tk.view()));
  }
  Key16 tk(time_key(r.time_ns), seq);
  CHORUS_RETURN_IF_ERROR(w.del(w.dbs.time_index, tk.view()));
  if (!r.correlation_id.empty())
    CHORUS_RETURN_IF_ERROR(w.del(w.dbs.correlation_index, correlation_key(r.correlation_id, seq)));
  if (ev->stream_version != 0 && !r.stream.empty()) {
    CHORUS_ASSIGN_OR_RETURN(StreamState * ss, w.stream_state(r.stream));
    if (ss->exists) {
      Key16 sk(ss->stream_id, ev->stream_version);
      CHORUS_RETURN_IF_ERROR(w.del(w.dbs.stream_index, sk.view()));
    }
  }
  CHORUS_RETURN_IF_ERROR(w.del(w.dbs.events, ek.view()));
  if (seq + 1 == w.st.next_seq) {
    // The newest event went: remember its seq so that numbering goes on.
    char b[8];
    put_be64(b, seq);
    CHORUS_RETURN_IF_ERROR(w.put(w.dbs.meta, meta_key::kLastSeq, {b, 8}));
  }
  return Status::OK();
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
      logger()->error("retention: {}", r.error().message());
    } else if (r->events_deleted > 0) {
      logger()->info("retention: deleted {} events from {} streams in {} transactions",
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
            CHORUS_ASSIGN_OR_RETURN(MDB_cursor * c, w.cursor(w.dbs.stream_index));
            Key16 start(sid, 0);
            MDB_val k = to_val(start.view()), d;
            int rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
            for (; rc == 0 && seqs.size() < batch; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
              const char* kp = static_cast<const char*>(k.mv_data);
              if (k.mv_size != 16 || get_be64(kp) != sid || get_be64(kp + 8) >= floor) break;
              if (d.mv_size == 8) seqs.push_back(get_be64(static_cast<const char*>(d.mv_data)));
            }
            if (rc != 0 && rc != MDB_NOTFOUND) return w.fail(rc, "scan 'stream_index'");
          }
          for (uint64_t seq : seqs)
            CHORUS_RETURN_IF_ERROR(delete_event(w, seq));
          deleted = seqs.size();
          // Snapshots below the new first version are of no use any more (one
          // at floor-1 still is: it is the state before the first readable event).
          if (seqs.size() < batch && floor > 1) {
            CHORUS_ASSIGN_OR_RETURN(MDB_cursor * c, w.cursor(w.dbs.snapshots));
            Key16 start(sid, 0);
            MDB_val k = to_val(start.view()), d;
            std::vector<std::string> old;
            int rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
            for (; rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
              const char* kp = static_cast<const char*>(k.mv_data);
              if (k.mv_size != 16 || get_be64(kp) != sid || get_be64(kp + 8) + 1 >= floor) break;
              old.emplace_back(kp, 16);
            }
            if (rc != 0 && rc != MDB_NOTFOUND) return w.fail(rc, "scan 'snapshots'");
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
          MDB_stat all, streamed;
          mdb_stat(w.txn, w.dbs.events, &all);
          mdb_stat(w.txn, w.dbs.stream_index, &streamed);
          const uint64_t global =
              all.ms_entries > streamed.ms_entries ? all.ms_entries - streamed.ms_entries : 0;
          uint64_t excess =
              rule.max_count > 0 && global > rule.max_count ? global - rule.max_count : 0;
          std::vector<uint64_t> doomed;
          size_t scanned = 0;
          {
            CHORUS_ASSIGN_OR_RETURN(MDB_cursor * c, w.cursor(w.dbs.events));
            Key8 start(resume);
            MDB_val k = to_val(start.view()), d;
            int rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
            for (; rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
              if (k.mv_size != 8) break;
              const uint64_t seq = get_be64(static_cast<const char*>(k.mv_data));
              resume = seq + 1;
              if (doomed.size() >= batch || ++scanned > 10 * batch) break;
              auto ev = decode_event_value(to_view(d), seq);
              if (!ev.ok()) return ev.error().with_context(fmt::format("store {}", w.env.path()));
              if (ev->stream_version != 0) continue;
              auto p = peek_record(ev->record, seq, false);
              if (!p.ok()) return p.error().with_context(fmt::format("store {}", w.env.path()));
              if (excess > 0) {
                --excess;
              } else if (p->time_ns >= cutoff) {
                done = true;  // the rest of the global log is young enough
                break;
              }
              doomed.push_back(seq);
            }
            if (rc == MDB_NOTFOUND)
              done = true;
            else if (rc != 0)
              return w.fail(rc, "scan 'events'");
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
    rd::View v{txn.get(), env_.dbs(), env_.path()};
    // The oldest stored entry, deleted or not.
    std::vector<rd::Hit> oldest;
    bool more = false;
    CHORUS_RETURN_IF_ERROR(
        rd::stream_hits(v, rec.stream_id, 0, 1, Direction::kForward, 1, kEnd, oldest, more));
    if (oldest.empty()) continue;
    uint64_t before = rec.truncate_before;
    if (const RetentionRule* rule = rule_for(options_.retention, name)) {
      CHORUS_ASSIGN_OR_RETURN(StreamInfo info, rd::stream_info(v, name));
      if (rule->max_count > 0 && info.event_count > rule->max_count)
        before = std::max(before, info.version - rule->max_count + 1);
      if (rule->max_age.count() > 0 && info.event_count > 0 &&
          info.first_time_ns < now - rule->max_age.count() * 1'000'000) {
        // The first version young enough (times follow versions closely).
        const int64_t cutoff = now - rule->max_age.count() * 1'000'000;
        uint64_t from = info.first_version, keep = info.version + 1;
        for (bool found = false; !found;) {
          std::vector<rd::Hit> hits;
          CHORUS_RETURN_IF_ERROR(rd::stream_hits(v, rec.stream_id, rec.truncate_before, from,
                                                 Direction::kForward, 1000, kEnd, hits, more));
          for (const rd::Hit& h : hits) {
            std::string_view value;
            bool ok = false;
            CHORUS_RETURN_IF_ERROR(rd::load_value(v, h.seq, value, ok));
            if (!ok) continue;
            auto ev = decode_event_value(value, h.seq);
            if (!ev.ok()) return ev.error().with_context(fmt::format("store {}", env_.path()));
            auto p = peek_record(ev->record, h.seq, false);
            if (!p.ok()) return p.error().with_context(fmt::format("store {}", env_.path()));
            if (p->time_ns >= cutoff) {
              keep = h.version;
              found = true;
              break;
            }
          }
          if (!more || hits.empty()) break;
          from = hits.back().version + 1;
        }
        before = std::max(before, keep);
      }
    }
    if (before > oldest[0].version) work.push_back(Work{name, before});
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
