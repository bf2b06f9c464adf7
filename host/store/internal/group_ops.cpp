// Consumer groups on the writer thread: open, take (re-deliveries, then new
// events), ack, nack, claim (group_ops.h).
#include "store/internal/group_ops.h"

#include <algorithm>

#include <fmt/core.h>

#include "core/text.h"
#include "core/topic.h"
#include "store/internal/index_scan.h"
#include "store/internal/store_format.h"
#include "store/internal/write_txn.h"
#include "store/internal/writer.h"
#include "store/names.h"

namespace chorus::store {
namespace {

int64_t now_ms_of(const WriteTxn& w) {
  return w.now_ns / 1'000'000;
}

// A pending entry whose time has come (expired or nacked): to `consumer`
// again, or to $dead-letters at max deliveries.
Status redeliver(WriteTxn& w, GroupState& g, uint64_t seq, const PendingCopy& p,
                 std::string_view consumer, int64_t now_ms, std::string_view reason,
                 std::vector<Handout>& out, SeqRange& range) {
  if (at_max_deliveries(g, p.deliveries))
    return dead_letter_entry(w, g, seq, p.deliveries, p.consumer, reason);
  return hand_out(w, g, seq, Delivery::kAgain, p.deliveries + 1, consumer, now_ms, out, range);
}

// Re-delivery first: nacked entries, then ranges whose deadline passed.
Status take_due(WriteTxn& w, GroupState& g, std::string_view consumer, size_t max, int64_t now_ms,
                std::vector<Handout>& out) {
  SeqRange range;
  while (out.size() < max && !g.nacked.empty()) {
    const uint64_t seq = g.nacked.front();
    g.nacked.pop_front();
    CHORUS_ASSIGN_OR_RETURN(std::optional<PendingCopy> p, get_pending(w, g, seq));
    if (!p || p->delivered_ms != 0) continue;  // acked, or re-delivered since
    CHORUS_RETURN_IF_ERROR(redeliver(w, g, seq, *p, consumer, now_ms, "nacked", out, range));
  }
  const int64_t timeout = static_cast<int64_t>(g.record.ack_timeout_ms);
  while (out.size() < max && !g.expiry.empty() && g.expiry.front().deadline_ms <= now_ms) {
    GroupState::Expiry& front = g.expiry.front();
    // Collect the range's expired entries first, then change them.
    std::vector<std::pair<uint64_t, PendingCopy>> due;
    bool cut = false;
    uint64_t resume = 0;
    CHORUS_ASSIGN_OR_RETURN(Cursor * c, w.cursor(w.dbs.group_pending, db::kGroupPending));
    CHORUS_RETURN_IF_ERROR(for_each_pending(
        *c, w.path(), g, front.first_seq, [&](uint64_t seq, const PendingValueView& pv) {
          if (seq > front.last_seq) return false;
          if (timeout == 0 || pv.delivered_ms == 0 || pv.delivered_ms + timeout > now_ms)
            return true;
          if (out.size() + due.size() >= max) {
            cut = true;
            resume = seq;
            return false;
          }
          due.emplace_back(seq,
                           PendingCopy{pv.deliveries, pv.delivered_ms, std::string(pv.consumer)});
          return true;
        }));
    if (cut) {
      front.first_seq = resume;
    } else {
      g.expiry.pop_front();
    }
    for (const auto& [seq, p] : due)
      CHORUS_RETURN_IF_ERROR(redeliver(w, g, seq, p, consumer, now_ms, "ack timeout", out, range));
  }
  push_expiry(g, range, now_ms);
  return Status::OK();
}

// New events after the group's cursor.
Status take_new(WriteTxn& w, GroupState& g, std::string_view consumer, size_t max, int64_t now_ms,
                std::vector<Handout>& out) {
  if (out.size() >= max) return Status::OK();
  const size_t want = max - out.size();
  const TxnView v = w.view();
  Hits hits;
  uint64_t new_cursor = g.record.cursor;
  if (g.record.source_kind == kGroupSourceStream) {
    CHORUS_ASSIGN_OR_RETURN(StreamState * ss, w.stream_state(g.record.source));
    if (!ss->exists) return Status::OK();
    CHORUS_RETURN_IF_ERROR(stream_hits(v, ss->stream_id, ss->truncate_before, g.record.cursor + 1,
                                       Direction::kForward, want, kEnd, hits));
    if (!hits.list.empty()) new_cursor = hits.list.back().version;
  } else {
    CHORUS_RETURN_IF_ERROR(
        type_hits(v, g.record.source, g.record.cursor + 1, Direction::kForward, want, kEnd, hits));
    // Without more hits, everything up to the end of the log was examined.
    new_cursor = hits.more ? hits.list.back().seq : std::max(g.record.cursor, w.st.next_seq - 1);
  }
  SeqRange range;
  for (const Hit& h : hits.list)
    CHORUS_RETURN_IF_ERROR(
        hand_out(w, g, h.seq, Delivery::kFirst, 1, consumer, now_ms, out, range));
  push_expiry(g, range, now_ms);
  if (new_cursor != g.record.cursor) {
    g.record.cursor = new_cursor;
    CHORUS_RETURN_IF_ERROR(w.put(w.dbs.groups, g.name, encode_group_record(g.record)));
  }
  return Status::OK();
}

}  // namespace

Status take(WriteTxn& w, GroupState& g, std::string_view consumer, size_t max,
            std::vector<Handout>& out) {
  const int64_t now_ms = now_ms_of(w);
  CHORUS_RETURN_IF_ERROR(take_due(w, g, consumer, max, now_ms, out));
  CHORUS_RETURN_IF_ERROR(take_new(w, g, consumer, max, now_ms, out));
  publish_deadline(g, now_ms);
  return Status::OK();
}

Status ack_entries(WriteTxn& w, GroupState& g, std::span<const uint64_t> seqs, size_t& acked) {
  CHORUS_ASSIGN_OR_RETURN(Cursor * c, w.cursor(w.dbs.group_pending, db::kGroupPending));
  for (uint64_t seq : seqs) {
    const Key16 key(g.record.group_id, seq);
    if (!c->find(key.view())) {
      CHORUS_RETURN_IF_ERROR(c->status());
      continue;
    }
    if (int rc = mdb_cursor_del(c->get(), 0); rc != 0) return w.fail(rc, "ack");
    ++acked;
    if (g.pending.load() > 0) g.pending.fetch_sub(1);
  }
  return Status::OK();
}

Status nack_entries(WriteTxn& w, GroupState& g, std::span<const uint64_t> seqs,
                    std::string_view reason, size_t& nacked) {
  const std::string why =
      reason.empty() ? std::string("nacked") : fmt::format("nacked: {}", reason);
  for (uint64_t seq : seqs) {
    CHORUS_ASSIGN_OR_RETURN(std::optional<PendingCopy> p, get_pending(w, g, seq));
    if (!p) continue;
    ++nacked;
    if (at_max_deliveries(g, p->deliveries)) {
      CHORUS_RETURN_IF_ERROR(dead_letter_entry(w, g, seq, p->deliveries, p->consumer, why));
      continue;
    }
    // delivered_ms = 0 marks "re-deliver at once", also after a restart.
    CHORUS_RETURN_IF_ERROR(put_pending(w, g, seq, p->deliveries, 0, p->consumer));
    g.nacked.push_back(seq);
  }
  publish_deadline(g, now_ms_of(w));
  return Status::OK();
}

Status claim_entries(WriteTxn& w, GroupState& g, std::string_view consumer,
                     std::chrono::milliseconds min_idle, std::span<const uint64_t> seqs,
                     std::vector<Handout>& out) {
  const int64_t now_ms = now_ms_of(w);
  SeqRange range;
  for (uint64_t seq : seqs) {
    CHORUS_ASSIGN_OR_RETURN(std::optional<PendingCopy> p, get_pending(w, g, seq));
    if (!p || now_ms - p->delivered_ms < min_idle.count()) continue;
    CHORUS_RETURN_IF_ERROR(
        hand_out(w, g, seq, Delivery::kAgain, p->deliveries + 1, consumer, now_ms, out, range));
  }
  push_expiry(g, range, now_ms);
  publish_deadline(g, now_ms);
  return Status::OK();
}

Result<std::shared_ptr<GroupState>> open_group(Writer& writer, const GroupOptions& o,
                                               std::chrono::milliseconds default_ack_timeout,
                                               uint32_t default_max_deliveries) {
  CHORUS_RETURN_IF_ERROR(validate_group_name(o.name));
  if (o.stream.empty() == o.type_pattern.empty())
    return Status::InvalidArgument(
        fmt::format("consumer group '{}': give exactly one of a stream or a type pattern", o.name));
  if (!o.stream.empty())
    CHORUS_RETURN_IF_ERROR(validate_stream_name(o.stream, SystemStreams::kAllow));
  if (!o.type_pattern.empty()) {
    CHORUS_RETURN_IF_ERROR(validate_pattern(o.type_pattern, "consumer group type pattern"));
    if (o.type_pattern.size() > 0xffff) return Status::InvalidArgument("type pattern too long");
  }
  if (o.ack_timeout && o.ack_timeout->count() < 0)
    return Status::InvalidArgument("consumer group ack timeout is negative");
  const uint8_t kind = o.stream.empty() ? kGroupSourceTypes : kGroupSourceStream;
  const std::string& source = o.stream.empty() ? o.type_pattern : o.stream;
  auto kind_name = [](uint8_t k) { return k == kGroupSourceStream ? "stream" : "types"; };

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
            outcome = r.error().with_context(fmt::format("store {}", w.path()));
            return Status::OK();
          }
          rec = std::move(*r);
          if (rec.source_kind != kind || rec.source != source) {
            outcome = Status::Conflict(
                fmt::format("consumer group '{}' exists and reads {} '{}', not {} '{}'", o.name,
                            kind_name(rec.source_kind), printable(rec.source), kind_name(kind),
                            printable(source)));
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
          CHORUS_RETURN_IF_ERROR(rebuild_state(w.view(), *result));
          w.st.groups.emplace(o.name, result);
        }
        publish_deadline(*result, now_ms_of(w));
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

}  // namespace chorus::store
