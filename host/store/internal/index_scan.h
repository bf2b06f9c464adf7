// Index scans inside a transaction the caller holds (TxnView): which
// events a read covers, as positions (seq, stream version, time), in the
// read's order. Reader (reader.h) turns them into pages of events;
// consumer groups, snapshots and retention use them directly. Key layouts:
// docs/store-format.md "Named databases".
//
// Every scan takes `from` (inclusive) and a direction, stops after `limit`
// hits and says whether more remain (Hits::more). Keys of a wrong size are
// Corruption naming the store path and the database.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/internal/txn_view.h"
#include "store/types.h"

namespace chorus::store {

// One event a scan found.
struct Hit {
  uint64_t seq = 0;
  uint64_t version = 0;  // stream scans (0 otherwise)
  int64_t time_ns = 0;   // time scans (0 otherwise)
};

// One page of hits; `more`: hits remain beyond the page.
struct Hits {
  std::vector<Hit> list;
  bool more = false;

  // Adds `h` when the page has room (< limit), else marks `more`. False
  // when the page was full: the scan stops.
  bool add(const Hit& h, size_t limit) {
    if (list.size() >= limit) {
      more = true;
      return false;
    }
    list.push_back(h);
    return true;
  }
};

// Versions of stream `stream_id` from `from` in `dir`, skipping versions
// below `truncate_before`, only events with seq <= max_seq.
Status stream_hits(const TxnView& v, uint64_t stream_id, uint64_t truncate_before, uint64_t from,
                   Direction dir, size_t limit, uint64_t max_seq, Hits& out);
// Seqs of the global log from `from` in `dir`, <= max_seq.
Status log_hits(const TxnView& v, uint64_t from, Direction dir, size_t limit, uint64_t max_seq,
                Hits& out);
// Seqs of the events with this correlation id (InvalidArgument when empty).
Status correlation_hits(const TxnView& v, std::string_view correlation, uint64_t from,
                        Direction dir, size_t limit, Hits& out);
// Seqs of the events whose type matches `pattern` (a type, or a pattern
// with * and **), <= max_seq: merged per-type index ranges for a few
// types, a scan of the log reading only each record's type for many.
Status type_hits(const TxnView& v, std::string_view pattern, uint64_t from, Direction dir,
                 size_t limit, uint64_t max_seq, Hits& out);
// Events with from_ns <= time < to_ns, ordered by (time, seq), starting at
// (start_ns, start_seq), forward or backward.
Status time_hits(const TxnView& v, int64_t from_ns, int64_t to_ns, int64_t start_ns,
                 uint64_t start_seq, Direction dir, size_t limit, Hits& out);

}  // namespace chorus::store
