// Pending entries of consumer groups: storage, hand-out, dead-lettering
// (group_pending.h).
#include "store/internal/group_pending.h"

#include <fmt/core.h>

#include "store/dead_letter.h"
#include "store/internal/append.h"
#include "store/internal/event_lookup.h"
#include "store/internal/log.h"
#include "store/internal/write_txn.h"

namespace chorus::store {

Result<std::optional<PendingCopy>> get_pending(WriteTxn& w, const GroupState& g, uint64_t seq) {
  const Key16 key(g.record.group_id, seq);
  std::string_view value;
  bool found = false;
  CHORUS_RETURN_IF_ERROR(w.get(w.dbs.group_pending, key.view(), value, found));
  if (!found) return std::optional<PendingCopy>();
  auto pv = decode_pending_value(value, g.name, seq);
  if (!pv.ok()) return pv.error().with_context(fmt::format("store {}", w.path()));
  return std::optional<PendingCopy>(
      PendingCopy{pv->deliveries, pv->delivered_ms, std::string(pv->consumer)});
}

Status put_pending(WriteTxn& w, const GroupState& g, uint64_t seq, uint32_t deliveries,
                   int64_t delivered_ms, std::string_view consumer) {
  const Key16 key(g.record.group_id, seq);
  return w.put(w.dbs.group_pending, key.view(),
               encode_pending_value(deliveries, delivered_ms, consumer));
}

Status delete_pending(WriteTxn& w, GroupState& g, uint64_t seq) {
  const Key16 key(g.record.group_id, seq);
  CHORUS_RETURN_IF_ERROR(w.del(w.dbs.group_pending, key.view()));
  if (g.pending.load() > 0) g.pending.fetch_sub(1);
  return Status::OK();
}

Status hand_out(WriteTxn& w, GroupState& g, uint64_t seq, Delivery kind, uint32_t deliveries,
                std::string_view consumer, int64_t now_ms, std::vector<Handout>& out,
                SeqRange& range) {
  CHORUS_ASSIGN_OR_RETURN(std::optional<std::string_view> value, find_event_value(w.view(), seq));
  if (!value) {
    if (kind == Delivery::kFirst) return Status::OK();
    store_log()->warn("group '{}': pending seq {} no longer exists (retention); dropping it",
                      g.name, seq);
    return delete_pending(w, g, seq);
  }
  std::string copy(*value);  // the put below may move the page it is on
  CHORUS_RETURN_IF_ERROR(put_pending(w, g, seq, deliveries, now_ms, consumer));
  if (kind == Delivery::kFirst) g.pending.fetch_add(1);
  out.push_back(Handout{seq, deliveries, std::move(copy)});
  range.add(seq);
  return Status::OK();
}

bool at_max_deliveries(const GroupState& g, uint32_t deliveries) {
  return g.record.max_deliveries != 0 && deliveries >= g.record.max_deliveries;
}

Status dead_letter_entry(WriteTxn& w, GroupState& g, uint64_t seq, uint32_t deliveries,
                         std::string_view consumer, std::string_view reason) {
  CHORUS_ASSIGN_OR_RETURN(std::optional<std::string_view> value, find_event_value(w.view(), seq));
  if (!value) {
    store_log()->warn("group '{}': pending seq {} no longer exists (retention); dropping it",
                      g.name, seq);
    return delete_pending(w, g, seq);
  }
  auto se = decode_stored(w.path(), seq, *value);
  if (!se.ok()) {
    store_log()->error("group '{}': {}; dropping the pending entry", g.name, se.error().message());
    return delete_pending(w, g, seq);
  }
  DeadLetterInfo info;
  info.reason = fmt::format("max deliveries ({}) reached: {}", g.record.max_deliveries, reason);
  info.subscriber = fmt::format("group:{}/consumer:{}", g.name, consumer);
  info.attempts = deliveries;
  info.original_seq = seq;
  auto dl = make_dead_letter(*se->event, info);
  AppendSpec spec;
  Status s = dl.ok() ? prepare_append(kDeadLetterStream, std::span<const EventPtr>(&*dl, 1),
                                      ExpectedVersion::any(), SystemStreams::kAllow, spec)
                     : dl.error();
  if (s.ok()) {
    AppendResult r;
    CHORUS_RETURN_IF_ERROR(apply_append(w, spec, r));
    s = r.status;
  }
  if (!s.ok())
    store_log()->error("group '{}': seq {} could not be dead-lettered ({}); dropping it", g.name,
                       seq, s.message());
  return delete_pending(w, g, seq);
}

}  // namespace chorus::store
