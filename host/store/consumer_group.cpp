// Consumer groups: the writer-side operations (open, read with
// re-delivery and dead-lettering, ack, nack, claim, drop) and the
// member-facing ConsumerGroup. Layouts: docs/store-format.md "group record",
// "pending value".
#include "store/consumer_group.h"

#include <algorithm>

#include <fmt/core.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/text.h"
#include "core/topic.h"
#include "store/append.h"
#include "store/dead_letter.h"
#include "store/env.h"
#include "store/names.h"
#include "store/reader.h"
#include "store/store_format.h"
#include "store/writer.h"

namespace chorus::store {
namespace {

using std::chrono::milliseconds;

const std::shared_ptr<spdlog::logger>& logger() {
  static auto l = log::get("store");
  return l;
}

// An event handed out by a read, copied out of the transaction.
struct RawDelivery {
  uint64_t seq = 0;
  uint32_t deliveries = 0;
  std::string value;  // the `events` value
};

rd::View view_of(WriteTxn& w) {
  return rd::View{w.txn, w.dbs, w.env.path()};
}

// Tracks the seqs given a new deadline in one operation.
struct Range {
  uint64_t first = UINT64_MAX, last = 0;
  void add(uint64_t s) {
    first = std::min(first, s);
    last = std::max(last, s);
  }
  bool empty() const { return last == 0; }
};

void publish_deadline(GroupState& g, int64_t now_ms) {
  int64_t next = g.expiry.empty() ? 0 : g.expiry.front().deadline_ms;
  if (!g.nacked.empty()) next = now_ms;
  g.next_deadline_ms.store(next, std::memory_order_release);
}

void push_expiry(GroupState& g, const Range& r, int64_t now_ms) {
  if (r.empty() || g.record.ack_timeout_ms == 0) return;
  g.expiry.push_back(
      GroupState::Expiry{now_ms + static_cast<int64_t>(g.record.ack_timeout_ms), r.first, r.last});
}

Status put_group_record(WriteTxn& w, const GroupState& g) {
  return w.put(w.dbs.groups, g.name, encode_group_record(g.record));
}

// Reads the pending entry of `seq`; found=false when it is not pending.
Status get_pending(WriteTxn& w, const GroupState& g, uint64_t seq, uint32_t& deliveries,
                   int64_t& delivered_ms, std::string& consumer, bool& found) {
  Key16 key(g.record.group_id, seq);
  std::string_view value;
  CHORUS_RETURN_IF_ERROR(w.get(w.dbs.group_pending, key.view(), value, found));
  if (!found) return Status::OK();
  auto pv = decode_pending_value(value, g.name, seq);
  if (!pv.ok()) return pv.error().with_context(fmt::format("store {}", w.env.path()));
  deliveries = pv->deliveries;
  delivered_ms = pv->delivered_ms;
  consumer.assign(pv->consumer);
  return Status::OK();
}

Status delete_pending(WriteTxn& w, GroupState& g, uint64_t seq) {
  Key16 key(g.record.group_id, seq);
  CHORUS_RETURN_IF_ERROR(w.del(w.dbs.group_pending, key.view()));
  if (g.pending.load() > 0) g.pending.fetch_sub(1);
  return Status::OK();
}

// Moves a pending entry to $dead-letters (in this transaction).
Status dead_letter(WriteTxn& w, GroupState& g, uint64_t seq, std::string_view event_value,
                   uint32_t deliveries, std::string_view consumer, std::string_view reason) {
  rd::View v = view_of(w);
  auto se = rd::decode_stored(v, seq, event_value);
  if (se.ok()) {
    DeadLetterInfo info;
    info.reason = fmt::format("max deliveries ({}) reached: {}", g.record.max_deliveries, reason);
    info.subscriber = fmt::format("group:{}/consumer:{}", g.name, consumer);
    info.attempts = deliveries;
    info.original_seq = seq;
    auto dl = make_dead_letter(*se->event, info);
    AppendSpec spec;
    Status s = dl.ok() ? prepare_append(kDeadLetterStream, std::span<const EventPtr>(&*dl, 1),
                                        ExpectedVersion::any(), true, spec)
                       : dl.error();
    if (s.ok()) {
      AppendResult r;
      CHORUS_RETURN_IF_ERROR(apply_append(w, spec, r));
      s = r.status;
    }
    if (!s.ok())
      logger()->error("group '{}': seq {} could not be dead-lettered ({}); dropping it", g.name,
                      seq, s.message());
  } else {
    logger()->error("group '{}': {}; dropping the pending entry", g.name, se.error().message());
  }
  return delete_pending(w, g, seq);
}

// One pending entry whose time has come (expired or nacked): re-deliver it
// to `consumer`, or dead-letter it at max deliveries.
Status redeliver(WriteTxn& w, GroupState& g, uint64_t seq, uint32_t deliveries,
                 std::string_view old_consumer, std::string_view consumer, int64_t now_ms,
                 std::string_view reason, std::vector<RawDelivery>& out, Range& range) {
  std::string_view value;
  bool found = false;
  Key8 ek(seq);
  CHORUS_RETURN_IF_ERROR(w.get(w.dbs.events, ek.view(), value, found));
  if (!found) {  // deleted by retention meanwhile
    logger()->warn("group '{}': pending seq {} no longer exists (retention); dropping it", g.name,
                   seq);
    return delete_pending(w, g, seq);
  }
  std::string copy(value);
  if (g.record.max_deliveries != 0 && deliveries >= g.record.max_deliveries)
    return dead_letter(w, g, seq, copy, deliveries, old_consumer, reason);
  Key16 key(g.record.group_id, seq);
  CHORUS_RETURN_IF_ERROR(w.put(w.dbs.group_pending, key.view(),
                               encode_pending_value(deliveries + 1, now_ms, consumer)));
  out.push_back(RawDelivery{seq, deliveries + 1, std::move(copy)});
  range.add(seq);
  return Status::OK();
}

// Re-delivery first: nacked entries, then ranges whose deadline passed.
Status take_due(WriteTxn& w, GroupState& g, std::string_view consumer, size_t max, int64_t now_ms,
                std::vector<RawDelivery>& out) {
  Range range;
  std::string old_consumer;
  while (out.size() < max && !g.nacked.empty()) {
    const uint64_t seq = g.nacked.front();
    g.nacked.pop_front();
    uint32_t deliveries = 0;
    int64_t delivered_ms = 0;
    bool found = false;
    CHORUS_RETURN_IF_ERROR(get_pending(w, g, seq, deliveries, delivered_ms, old_consumer, found));
    if (!found || delivered_ms != 0) continue;  // acked, or re-delivered since
    CHORUS_RETURN_IF_ERROR(
        redeliver(w, g, seq, deliveries, old_consumer, consumer, now_ms, "nacked", out, range));
  }
  const int64_t timeout = static_cast<int64_t>(g.record.ack_timeout_ms);
  while (out.size() < max && !g.expiry.empty() && g.expiry.front().deadline_ms <= now_ms) {
    GroupState::Expiry& front = g.expiry.front();
    // Collect the expired entries of the range first, then change them.
    struct Due {
      uint64_t seq;
      uint32_t deliveries;
      std::string consumer;
    };
    std::vector<Due> due;
    bool cut = false;
    uint64_t resume = 0;
    {
      CHORUS_ASSIGN_OR_RETURN(MDB_cursor * c, w.cursor(w.dbs.group_pending));
      Key16 start(g.record.group_id, front.first_seq);
      MDB_val k = to_val(start.view()), d;
      int rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
      for (; rc == 0; rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
        if (k.mv_size != 16) break;
        const char* kp = static_cast<const char*>(k.mv_data);
        if (get_be64(kp) != g.record.group_id) break;
        const uint64_t seq = get_be64(kp + 8);
        if (seq > front.last_seq) break;
        auto pv = decode_pending_value(to_view(d), g.name, seq);
        if (!pv.ok()) return pv.error().with_context(fmt::format("store {}", w.env.path()));
        if (timeout == 0 || pv->delivered_ms == 0 || pv->delivered_ms + timeout > now_ms) continue;
        if (out.size() + due.size() >= max) {
          cut = true;
          resume = seq;
          break;
        }
        due.push_back(Due{seq, pv->deliveries, std::string(pv->consumer)});
      }
      if (rc != 0 && rc != MDB_NOTFOUND) return w.fail(rc, "scan 'group_pending'");
    }
    if (cut) {
      front.first_seq = resume;
    } else {
      g.expiry.pop_front();
    }
    for (const Due& d : due)
      CHORUS_RETURN_IF_ERROR(redeliver(w, g, d.seq, d.deliveries, d.consumer, consumer, now_ms,
                                       "ack timeout", out, range));
  }
  push_expiry(g, range, now_ms);
  return Status::OK();
}

// New events after the group's cursor.
Status take_new(WriteTxn& w, GroupState& g, std::string_view consumer, size_t max, int64_t now_ms,
                std::vector<RawDelivery>& out) {
  if (out.size() >= max) return Status::OK();
  const size_t want = max - out.size();
  rd::View v = view_of(w);
  std::vector<rd::Hit> hits;
  bool more = false;
  uint64_t new_cursor = g.record.cursor;
  if (g.record.source_kind == kGroupSourceStream) {
    CHORUS_ASSIGN_OR_RETURN(StreamState * ss, w.stream_state(g.record.source));
    if (!ss->exists) return Status::OK();
    CHORUS_RETURN_IF_ERROR(rd::stream_hits(v, ss->stream_id, ss->truncate_before,
                                           g.record.cursor + 1, Direction::kForward, want, kEnd,
                                           hits, more));
    if (!hits.empty()) new_cursor = hits.back().version;
  } else {
    CHORUS_RETURN_IF_ERROR(rd::type_hits(v, g.record.source, g.record.cursor + 1,
                                         Direction::kForward, want, kEnd, hits, more));
    // Without more hits, everything up to the end of the log was examined.
    new_cursor = more ? hits.back().seq : std::max(g.record.cursor, w.st.next_seq - 1);
  }
  Range range;
  for (const rd::Hit& h : hits) {
    std::string_view value;
    bool found = false;
    Key8 ek(h.seq);
    CHORUS_RETURN_IF_ERROR(w.get(w.dbs.events, ek.view(), value, found));
    if (!found) continue;
    std::string copy(value);
    Key16 key(g.record.group_id, h.seq);
    CHORUS_RETURN_IF_ERROR(
        w.put(w.dbs.group_pending, key.view(), encode_pending_value(1, now_ms, consumer)));
    g.pending.fetch_add(1);
    out.push_back(RawDelivery{h.seq, 1, std::move(copy)});
    range.add(h.seq);
  }
  push_expiry(g, range, now_ms);
  if (new_cursor != g.record.cursor) {
    g.record.cursor = new_cursor;
    CHORUS_RETURN_IF_ERROR(put_group_record(w, g));
  }
  return Status::OK();
}

Status do_ack(WriteTxn& w, GroupState& g, std::span<const uint64_t> seqs, size_t& acked) {
  CHORUS_ASSIGN_OR_RETURN(MDB_cursor * c, w.cursor(w.dbs.group_pending));
  for (uint64_t seq : seqs) {
    Key16 key(g.record.group_id, seq);
    MDB_val k = to_val(key.view()), d;
    int rc = mdb_cursor_get(c, &k, &d, MDB_SET);
    if (rc == MDB_NOTFOUND) continue;
    if (rc == 0) rc = mdb_cursor_del(c, 0);
    if (rc != 0) return w.fail(rc, "ack");
    ++acked;
    if (g.pending.load() > 0) g.pending.fetch_sub(1);
  }
  return Status::OK();
}

// Builds the expiry list and pending count of a group from disk.
Status rebuild_state(const rd::View& v, GroupState& g) {
  g.expiry.clear();
  g.nacked.clear();
  uint64_t count = 0, first = 0, last = 0;
  int64_t oldest = INT64_MAX;
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(v.txn, v.dbs.group_pending, &c);
  if (rc != 0) return mdb_status(rc, v.path, "open a cursor on 'group_pending'");
  Key8 prefix(g.record.group_id);
  MDB_val k = to_val(prefix.view()), d;
  Status s;
  for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0;
       rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
    if (k.mv_size != 16 || get_be64(static_cast<const char*>(k.mv_data)) != g.record.group_id)
      break;
    const uint64_t seq = get_be64(static_cast<const char*>(k.mv_data) + 8);
    auto pv = decode_pending_value(to_view(d), g.name, seq);
    if (!pv.ok()) {
      s = pv.error().with_context(fmt::format("store {}", v.path));
      break;
    }
    if (count++ == 0) first = seq;
    last = seq;
    if (pv->delivered_ms == 0) {
      g.nacked.push_back(seq);
    } else {
      oldest = std::min(oldest, pv->delivered_ms);
    }
  }
  mdb_cursor_close(c);
  if (!s.ok()) return s;
  if (rc != 0 && rc != MDB_NOTFOUND) return mdb_status(rc, v.path, "scan 'group_pending'");
  g.pending.store(count);
  if (count > 0 && oldest != INT64_MAX && g.record.ack_timeout_ms > 0)
    g.expiry.push_back(
        GroupState::Expiry{oldest + static_cast<int64_t>(g.record.ack_timeout_ms), first, last});
  return Status::OK();
}

std::vector<Delivery> decode_deliveries(Env& env, const GroupState& g,
                                        std::vector<RawDelivery>& raw) {
  std::vector<Delivery> out;
  out.reserve(raw.size());
  rd::View v{nullptr, env.dbs(), env.path()};
  for (RawDelivery& r : raw) {
    auto se = rd::decode_stored(v, r.seq, r.value);
    if (!se.ok()) {
      // Left pending: it is re-delivered and finally dropped at max deliveries.
      logger()->error("group '{}': {}", g.name, se.error().message());
      continue;
    }
    out.push_back(Delivery{std::move(*se), r.deliveries});
  }
  return out;
}

}  // namespace

Status reload_group_states(Env& env, WriterState& st) {
  if (st.groups.empty()) return Status::OK();
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env.begin_read());
  rd::View v{txn.get(), env.dbs(), env.path()};
  for (auto it = st.groups.begin(); it != st.groups.end();) {
    GroupState& g = *it->second;
    MDB_val k = to_val(g.name), d;
    const int rc = mdb_get(txn.get(), env.dbs().groups, &k, &d);
    if (rc == MDB_NOTFOUND) {  // created by the aborted transaction
      it = st.groups.erase(it);
      continue;
    }
    if (rc != 0) return mdb_status(rc, env.path(), "read 'groups'");
    CHORUS_ASSIGN_OR_RETURN(g.record, decode_group_record(to_view(d), g.name));
    CHORUS_RETURN_IF_ERROR(rebuild_state(v, g));
    ++it;
  }
  return Status::OK();
}

Result<std::shared_ptr<GroupState>> open_group(Writer& writer, const GroupOptions& o,
                                               milliseconds default_ack_timeout,
                                               uint32_t default_max_deliveries) {
  CHORUS_RETURN_IF_ERROR(validate_group_name(o.name));
  if (o.stream.empty() == o.types.empty())
    return Status::InvalidArgument(
        fmt::format("consumer group '{}': give exactly one of a stream or a type pattern", o.name));
  if (!o.stream.empty()) CHORUS_RETURN_IF_ERROR(validate_stream_name(o.stream, true));
  if (!o.types.empty()) {
    CHORUS_RETURN_IF_ERROR(validate_pattern(o.types, "consumer group type pattern"));
    if (o.types.size() > 0xffff) return Status::InvalidArgument("type pattern too long");
  }
  if (o.ack_timeout && o.ack_timeout->count() < 0)
    return Status::InvalidArgument("consumer group ack timeout is negative");
  const uint8_t kind = o.stream.empty() ? kGroupSourceTypes : kGroupSourceStream;
  const std::string& source = o.stream.empty() ? o.types : o.stream;

  Status outcome;
  std::shared_ptr<GroupState> result;
  FnOp op(
      [&](WriteTxn& w) -> Status {
        std::string_view value;
        bool found = false;
        CHORUS_RETURN_IF_ERROR(w.get(w.dbs.groups, o.name, value, found));
        GroupRecord rec;
        bool changed = false;
        if (found) {
          auto r = decode_group_record(value, o.name);
          if (!r.ok()) {
            outcome = r.error().with_context(fmt::format("store {}", w.env.path()));
            return Status::OK();
          }
          rec = std::move(*r);
          if (rec.source_kind != kind || rec.source != source) {
            outcome = Status::Conflict(fmt::format(
                "consumer group '{}' exists and reads {} '{}', not {} '{}'", o.name,
                rec.source_kind == kGroupSourceStream ? "stream" : "types", printable(rec.source),
                kind == kGroupSourceStream ? "stream" : "types", printable(source)));
            return Status::OK();
          }
          if (o.ack_timeout &&
              rec.ack_timeout_ms != static_cast<uint64_t>(o.ack_timeout->count())) {
            rec.ack_timeout_ms = static_cast<uint64_t>(o.ack_timeout->count());
            changed = true;
          }
          if (o.max_deliveries && rec.max_deliveries != *o.max_deliveries) {
            rec.max_deliveries = *o.max_deliveries;
            changed = true;
          }
        } else {
          rec.group_id = w.new_group_id();
          rec.source_kind = kind;
          rec.source = source;
          rec.ack_timeout_ms =
              static_cast<uint64_t>((o.ack_timeout ? *o.ack_timeout : default_ack_timeout).count());
          rec.max_deliveries = o.max_deliveries ? *o.max_deliveries : default_max_deliveries;
          rec.created_ns = w.now_ns;
          if (o.start == GroupOptions::Start::kEnd) {
            if (kind == kGroupSourceStream) {
              CHORUS_ASSIGN_OR_RETURN(StreamState * ss, w.stream_state(source));
              rec.cursor = ss->version;
            } else {
              rec.cursor = w.st.next_seq - 1;
            }
          }
          changed = true;
        }
        if (changed) CHORUS_RETURN_IF_ERROR(w.put(w.dbs.groups, o.name, encode_group_record(rec)));
        auto it = w.st.groups.find(o.name);
        if (it != w.st.groups.end()) {
          it->second->record = rec;
          result = it->second;
        } else {
          result = std::make_shared<GroupState>();
          result->name = o.name;
          result->record = rec;
          CHORUS_RETURN_IF_ERROR(rebuild_state(view_of(w), *result));
          w.st.groups.emplace(o.name, result);
        }
        publish_deadline(*result, w.now_ns / 1'000'000);
        return Status::OK();
      },
      [&] {
        outcome = Status::OK();
        result.reset();
      });
  writer.submit(&op);
  CHORUS_RETURN_IF_ERROR(op.wait());
  CHORUS_RETURN_IF_ERROR(outcome);
  return result;
}

// ---- ConsumerGroup ----

ConsumerGroup::ConsumerGroup(Env& env, Writer& writer, std::shared_ptr<GroupState> state)
    : env_(env), writer_(writer), state_(std::move(state)) {}

Result<std::vector<Delivery>> ConsumerGroup::read(std::string_view consumer, size_t max,
                                                  milliseconds wait) {
  return read_impl({}, consumer, max, wait);
}

Result<std::vector<Delivery>> ConsumerGroup::ack_and_read(std::span<const uint64_t> acks,
                                                          std::string_view consumer, size_t max,
                                                          milliseconds wait) {
  return read_impl(acks, consumer, max, wait);
}

Result<std::vector<Delivery>> ConsumerGroup::read_impl(std::span<const uint64_t> acks,
                                                       std::string_view consumer, size_t max,
                                                       milliseconds wait) {
  CHORUS_RETURN_IF_ERROR(validate_consumer_name(consumer));
  if (max == 0) return std::vector<Delivery>{};
  max = std::min(max, kMaxReadLimit);
  const auto deadline = Writer::Clock::now() + wait;
  GroupState& g = *state_;
  for (bool first = true;; first = false) {
    const uint64_t seen = writer_.durable_seq();
    std::vector<RawDelivery> raw;
    FnOp op(
        [&](WriteTxn& w) -> Status {
          const int64_t now_ms = w.now_ns / 1'000'000;
          if (first && !acks.empty()) {
            size_t n = 0;
            CHORUS_RETURN_IF_ERROR(do_ack(w, g, acks, n));
          }
          CHORUS_RETURN_IF_ERROR(take_due(w, g, consumer, max, now_ms, raw));
          CHORUS_RETURN_IF_ERROR(take_new(w, g, consumer, max, now_ms, raw));
          publish_deadline(g, now_ms);
          return Status::OK();
        },
        [&] { raw.clear(); });
    writer_.submit(&op);
    CHORUS_RETURN_IF_ERROR(op.wait());
    std::vector<Delivery> out = decode_deliveries(env_, g, raw);
    if (!out.empty() || !raw.empty() || Writer::Clock::now() >= deadline) return out;
    // Nothing yet: wait for a commit, a nack, the next ack deadline or ours.
    auto until = deadline;
    const int64_t next_ms = g.next_deadline_ms.load(std::memory_order_acquire);
    if (next_ms > 0) {
      const int64_t wall_ms = wall_clock_ns() / 1'000'000;
      until = std::min(
          until, Writer::Clock::now() + milliseconds(std::max<int64_t>(next_ms - wall_ms, 0)));
    }
    if (until > Writer::Clock::now()) writer_.wait_durable(seen, until);
  }
}

Result<size_t> ConsumerGroup::ack(std::span<const uint64_t> seqs) {
  size_t acked = 0;
  GroupState& g = *state_;
  FnOp op([&](WriteTxn& w) { return do_ack(w, g, seqs, acked); }, [&] { acked = 0; });
  writer_.submit(&op);
  CHORUS_RETURN_IF_ERROR(op.wait());
  return acked;
}

Result<size_t> ConsumerGroup::nack(std::span<const uint64_t> seqs, std::string_view reason) {
  size_t n = 0;
  GroupState& g = *state_;
  const std::string why =
      reason.empty() ? std::string("nacked") : fmt::format("nacked: {}", reason);
  FnOp op(
      [&](WriteTxn& w) -> Status {
        const int64_t now_ms = w.now_ns / 1'000'000;
        std::string consumer;
        for (uint64_t seq : seqs) {
          uint32_t deliveries = 0;
          int64_t delivered_ms = 0;
          bool found = false;
          CHORUS_RETURN_IF_ERROR(get_pending(w, g, seq, deliveries, delivered_ms, consumer, found));
          if (!found) continue;
          ++n;
          if (g.record.max_deliveries != 0 && deliveries >= g.record.max_deliveries) {
            std::string_view value;
            bool have = false;
            Key8 ek(seq);
            CHORUS_RETURN_IF_ERROR(w.get(w.dbs.events, ek.view(), value, have));
            if (!have) {
              CHORUS_RETURN_IF_ERROR(delete_pending(w, g, seq));
              continue;
            }
            const std::string copy(value);
            CHORUS_RETURN_IF_ERROR(dead_letter(w, g, seq, copy, deliveries, consumer, why));
            continue;
          }
          // delivered_ms = 0 marks "re-deliver at once", also after a restart.
          Key16 key(g.record.group_id, seq);
          CHORUS_RETURN_IF_ERROR(w.put(w.dbs.group_pending, key.view(),
                                       encode_pending_value(deliveries, 0, consumer)));
          g.nacked.push_back(seq);
        }
        publish_deadline(g, now_ms);
        return Status::OK();
      },
      [&] { n = 0; });
  writer_.submit(&op);
  CHORUS_RETURN_IF_ERROR(op.wait());
  writer_.wake_waiters();
  return n;
}

Result<std::vector<Delivery>> ConsumerGroup::claim(std::string_view consumer, milliseconds min_idle,
                                                   std::span<const uint64_t> seqs) {
  CHORUS_RETURN_IF_ERROR(validate_consumer_name(consumer));
  GroupState& g = *state_;
  std::vector<RawDelivery> raw;
  FnOp op(
      [&](WriteTxn& w) -> Status {
        const int64_t now_ms = w.now_ns / 1'000'000;
        Range range;
        std::string old;
        for (uint64_t seq : seqs) {
          uint32_t deliveries = 0;
          int64_t delivered_ms = 0;
          bool found = false;
          CHORUS_RETURN_IF_ERROR(get_pending(w, g, seq, deliveries, delivered_ms, old, found));
          if (!found || now_ms - delivered_ms < min_idle.count()) continue;
          std::string_view value;
          bool have = false;
          Key8 ek(seq);
          CHORUS_RETURN_IF_ERROR(w.get(w.dbs.events, ek.view(), value, have));
          if (!have) {
            CHORUS_RETURN_IF_ERROR(delete_pending(w, g, seq));
            continue;
          }
          std::string copy(value);
          Key16 key(g.record.group_id, seq);
          CHORUS_RETURN_IF_ERROR(w.put(w.dbs.group_pending, key.view(),
                                       encode_pending_value(deliveries + 1, now_ms, consumer)));
          raw.push_back(RawDelivery{seq, deliveries + 1, std::move(copy)});
          range.add(seq);
        }
        push_expiry(g, range, now_ms);
        publish_deadline(g, now_ms);
        return Status::OK();
      },
      [&] { raw.clear(); });
  writer_.submit(&op);
  CHORUS_RETURN_IF_ERROR(op.wait());
  return decode_deliveries(env_, g, raw);
}

Result<size_t> ConsumerGroup::drop(std::span<const uint64_t> seqs) {
  return ack(seqs);  // the same removal; only the intent differs
}

Result<std::vector<PendingEntry>> ConsumerGroup::pending(std::string_view consumer, uint64_t from,
                                                         size_t limit) {
  std::vector<PendingEntry> out;
  const uint64_t gid = state_->record.group_id;
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(txn.get(), env_.dbs().group_pending, &c);
  if (rc != 0) return mdb_status(rc, env_.path(), "open a cursor on 'group_pending'");
  Key16 start(gid, from);
  MDB_val k = to_val(start.view()), d;
  Status s;
  for (rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE); rc == 0 && out.size() < limit;
       rc = mdb_cursor_get(c, &k, &d, MDB_NEXT)) {
    if (k.mv_size != 16 || get_be64(static_cast<const char*>(k.mv_data)) != gid) break;
    const uint64_t seq = get_be64(static_cast<const char*>(k.mv_data) + 8);
    auto pv = decode_pending_value(to_view(d), state_->name, seq);
    if (!pv.ok()) {
      s = pv.error().with_context(fmt::format("store {}", env_.path()));
      break;
    }
    if (!consumer.empty() && pv->consumer != consumer) continue;
    out.push_back(PendingEntry{seq, std::string(pv->consumer), pv->deliveries, pv->delivered_ms});
  }
  mdb_cursor_close(c);
  if (!s.ok()) return s;
  if (rc != 0 && rc != MDB_NOTFOUND) return mdb_status(rc, env_.path(), "scan 'group_pending'");
  return out;
}

Result<GroupInfo> ConsumerGroup::info() {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  MDB_val k = to_val(state_->name), d;
  const int rc = mdb_get(txn.get(), env_.dbs().groups, &k, &d);
  if (rc != 0) return mdb_status(rc, env_.path(), fmt::format("read group '{}'", state_->name));
  CHORUS_ASSIGN_OR_RETURN(GroupRecord rec, decode_group_record(to_view(d), state_->name));
  GroupInfo info;
  info.name = state_->name;
  info.stream_source = rec.source_kind == kGroupSourceStream;
  info.source = rec.source;
  info.cursor = rec.cursor;
  info.pending = state_->pending.load();
  info.ack_timeout = milliseconds(rec.ack_timeout_ms);
  info.max_deliveries = rec.max_deliveries;
  return info;
}

}  // namespace chorus::store
