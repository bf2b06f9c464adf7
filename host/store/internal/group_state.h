// The writer thread's part of a consumer group: its record (cursor, source,
// limits), which pending entries may be due for re-delivery (ack-timeout
// ranges and nacked seqs) and the counters members read without the writer.
// Built from disk when the group is opened and after an aborted
// transaction; kept in step by the group operations (group_ops.h).
//
// Threading: everything but `pending` and `next_deadline_ms` belongs to the
// writer thread; those two are read by members on any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>

#include "core/status.h"
#include "store/internal/records.h"

namespace chorus::store {

class Env;
struct TxnView;
struct WriterState;

struct GroupState {
  std::string name;
  GroupRecord record;
  // Pending entries delivered at about the same time share one deadline:
  // the seqs in [first_seq, last_seq] to look at once it has passed.
  struct Expiry {
    int64_t deadline_ms;
    uint64_t first_seq, last_seq;
  };
  std::deque<Expiry> expiry;    // roughly deadline-ordered
  std::deque<uint64_t> nacked;  // seqs to re-deliver at once
  std::atomic<uint64_t> pending{0};
  std::atomic<int64_t> next_deadline_ms{0};  // 0: none; for waiting readers
};

// The smallest and largest seq given a new deadline by one operation.
struct SeqRange {
  uint64_t first = UINT64_MAX, last = 0;
  void add(uint64_t seq) noexcept {
    first = seq < first ? seq : first;
    last = seq > last ? seq : last;
  }
  bool empty() const noexcept { return last == 0; }
};

// Records that the seqs of `r` were (re-)delivered at now_ms.
void push_expiry(GroupState& g, const SeqRange& r, int64_t now_ms);
// Tells waiting readers when something next falls due (now, for nacks).
void publish_deadline(GroupState& g, int64_t now_ms);
// Rebuilds the expiry ranges, nacked seqs and pending count from the
// group's pending entries in `v` (docs/store-format.md "pending value").
Status rebuild_state(const TxnView& v, GroupState& g);
// Re-reads every open group's record and pending entries from disk, in a
// read transaction of its own (after an aborted write transaction); groups
// that the aborted transaction created are forgotten.
Status reload_group_states(Env& env, WriterState& st);

}  // namespace chorus::store
