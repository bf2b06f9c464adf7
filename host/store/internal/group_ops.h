// The writer-side operations of consumer groups (docs/store.md "Consumer
// groups"): opening a group, handing out events (re-deliveries first, then
// new events after the cursor), acks, nacks and claims. Each runs inside a
// WriteTxn on the writer thread; ConsumerGroup (consumer_group.h) wraps
// them in ops and waits. Layouts: docs/store-format.md "group record",
// "pending value".
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/consumer_group.h"
#include "store/internal/group_pending.h"
#include "store/internal/group_state.h"

namespace chorus::store {

class WriteTxn;
class Writer;

// Creates the group or opens the existing one (a writer op, waited for),
// and registers its state with the writer. Used by EventStore::consumer_group().
Result<std::shared_ptr<GroupState>> open_group(Writer& writer, const GroupOptions& options,
                                               std::chrono::milliseconds default_ack_timeout,
                                               uint32_t default_max_deliveries);

// Up to `max` events for `consumer`: first pending entries that were nacked
// or whose ack timeout passed (their delivery count incremented; at max
// deliveries dead-lettered instead), then new events after the cursor.
Status take(WriteTxn& w, GroupState& g, std::string_view consumer, size_t max,
            std::vector<Handout>& out);
// Removes the pending entries of `seqs`; `acked` counts those that were.
Status ack_entries(WriteTxn& w, GroupState& g, std::span<const uint64_t> seqs, size_t& acked);
// Marks the entries of `seqs` for re-delivery at once, or dead-letters
// those at max deliveries with `reason`; `nacked` counts those pending.
Status nack_entries(WriteTxn& w, GroupState& g, std::span<const uint64_t> seqs,
                    std::string_view reason, size_t& nacked);
// Hands the entries of `seqs` idle for at least `min_idle` to `consumer`.
Status claim_entries(WriteTxn& w, GroupState& g, std::string_view consumer,
                     std::chrono::milliseconds min_idle, std::span<const uint64_t> seqs,
                     std::vector<Handout>& out);

}  // namespace chorus::store
