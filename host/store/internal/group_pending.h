// The pending entries of a consumer group (docs/store-format.md "pending
// value", key group_id u64 + seq u64 in `group_pending`), and the three
// things that happen to one: it is handed out (to a member: a new
// delivery), dead-lettered (max deliveries reached: moved to
// $dead-letters), or removed (acked, dropped, or its event gone).
//
// Writer thread (inside a WriteTxn), except for_each_pending(), which
// also serves read transactions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/internal/cursor.h"
#include "store/internal/group_state.h"
#include "store/internal/records.h"
#include "store/internal/store_format.h"

namespace chorus::store {

class WriteTxn;

// One pending entry, copied out of the transaction.
struct PendingCopy {
  uint32_t deliveries = 0;
  int64_t delivered_ms = 0;  // 0: nacked (re-deliver at once)
  std::string consumer;
};
// nullopt when `seq` is not pending in `g`.
Result<std::optional<PendingCopy>> get_pending(WriteTxn& w, const GroupState& g, uint64_t seq);
Status put_pending(WriteTxn& w, const GroupState& g, uint64_t seq, uint32_t deliveries,
                   int64_t delivered_ms, std::string_view consumer);
// Removes the entry (absent: OK) and counts it out of g.pending.
Status delete_pending(WriteTxn& w, GroupState& g, uint64_t seq);

// fn(seq, value) for the entries of `g` from seq `from`, in seq order,
// until fn returns false. Values that do not decode are Corruption naming
// the store path, the group and the seq.
template <typename Fn>
Status for_each_pending(Cursor& c, const std::string& path, const GroupState& g, uint64_t from,
                        Fn&& fn) {
  const Key8 prefix(g.record.group_id);
  const Key16 start(g.record.group_id, from);
  return scan_prefix(c, prefix.view(), start.view(), Direction::kForward,
                     [&](std::string_view key, std::string_view value) -> Result<bool> {
                       if (key.size() != 16) return c.bad_key();
                       const uint64_t seq = get_be64(key.data() + 8);
                       auto pv = decode_pending_value(value, g.name, seq);
                       if (!pv.ok()) return pv.error().with_context("store " + path);
                       return fn(seq, *pv);
                     });
}

// An event handed to a member, copied out of the transaction (decoded
// after the commit, outside the writer).
struct Handout {
  uint64_t seq = 0;
  uint32_t deliveries = 0;
  std::string value;  // the `events` value
};

// Whether hand_out() gives out a new event or re-delivers a pending entry.
enum class Delivery : uint8_t { kFirst, kAgain };
// Hands `seq` to `consumer` as its delivery number `deliveries`: the
// pending entry records it (at now_ms; a first delivery creates it) and
// `out` gets the event, `range` the seq. When the event is gone
// (retention) a pending entry is removed instead and nothing handed out.
Status hand_out(WriteTxn& w, GroupState& g, uint64_t seq, Delivery kind, uint32_t deliveries,
                std::string_view consumer, int64_t now_ms, std::vector<Handout>& out,
                SeqRange& range);

// True when an entry delivered `deliveries` times may not be delivered again.
bool at_max_deliveries(const GroupState& g, uint32_t deliveries);
// Removes the entry and appends its event to $dead-letters (in this
// transaction) with the reason "max deliveries (N) reached: <reason>".
// An event that is gone, or a dead letter that cannot be written, is
// logged and the entry dropped.
Status dead_letter_entry(WriteTxn& w, GroupState& g, uint64_t seq, uint32_t deliveries,
                         std::string_view consumer, std::string_view reason);

}  // namespace chorus::store
