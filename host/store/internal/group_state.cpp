// The writer's in-memory part of consumer groups: deadlines and the rebuild
// from disk (group_state.h).
#include "store/internal/group_state.h"

#include <algorithm>

#include <fmt/core.h>

#include "store/internal/cursor.h"
#include "store/internal/env.h"
#include "store/internal/group_pending.h"
#include "store/internal/mdb.h"
#include "store/internal/writer_state.h"

namespace chorus::store {

void push_expiry(GroupState& g, const SeqRange& r, int64_t now_ms) {
  if (r.empty() || g.record.ack_timeout_ms == 0) return;
  g.expiry.push_back(
      GroupState::Expiry{now_ms + static_cast<int64_t>(g.record.ack_timeout_ms), r.first, r.last});
}

void publish_deadline(GroupState& g, int64_t now_ms) {
  int64_t next = g.expiry.empty() ? 0 : g.expiry.front().deadline_ms;
  if (!g.nacked.empty()) next = now_ms;
  g.next_deadline_ms.store(next, std::memory_order_release);
}

Status rebuild_state(const TxnView& v, GroupState& g) {
  g.expiry.clear();
  g.nacked.clear();
  uint64_t count = 0;
  SeqRange all;
  int64_t oldest = INT64_MAX;
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.group_pending, db::kGroupPending));
  CHORUS_RETURN_IF_ERROR(
      for_each_pending(c, v.path, g, 0, [&](uint64_t seq, const PendingValueView& pv) {
        ++count;
        all.add(seq);
        if (pv.delivered_ms == 0) {
          g.nacked.push_back(seq);
        } else {
          oldest = std::min(oldest, pv.delivered_ms);
        }
        return true;
      }));
  g.pending.store(count);
  // One range for everything: its deadline is the oldest entry's.
  if (oldest != INT64_MAX && g.record.ack_timeout_ms > 0)
    g.expiry.push_back(GroupState::Expiry{oldest + static_cast<int64_t>(g.record.ack_timeout_ms),
                                          all.first, all.last});
  return Status::OK();
}

Status reload_group_states(Env& env, WriterState& st) {
  if (st.groups.empty()) return Status::OK();
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env.begin_read());
  const TxnView v = txn.view();
  for (auto it = st.groups.begin(); it != st.groups.end();) {
    GroupState& g = *it->second;
    MDB_val k = to_val(g.name), d;
    const int rc = mdb_get(v.txn, v.dbs.groups, &k, &d);
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

}  // namespace chorus::store
