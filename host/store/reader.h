// Reads: a stream forward or backward from a version; the global log from a
// position; by correlation id (the operation's timeline, in order); by event
// type or type pattern; by time range; stream information. Every read takes a
// limit and returns a page with a continuation (types.h ReadPage).
//
// Two layers. The functions in namespace `rd` work inside a transaction the
// caller holds (a read transaction, or the writer's transaction for consumer
// groups) and produce positions or decoded events. Reader wraps them: each
// call opens one short read transaction (Env::begin_read), decodes the page
// and closes it before returning, so no transaction outlives a call.
//
// Stored bytes that do not decode give Corruption naming the store path and
// the sequence number. Threading: Reader may be used from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <lmdb.h>

#include "core/status.h"
#include "store/env.h"
#include "store/records.h"
#include "store/types.h"

namespace chorus::store {

// Pages larger than this are cut (ReadPage::end stays false).
inline constexpr size_t kMaxReadLimit = 100'000;

namespace rd {

// A transaction and what messages need.
struct View {
  MDB_txn* txn;
  const Dbs& dbs;
  const std::string& path;
};

// (seq, stream version) of an index hit.
struct Hit {
  uint64_t seq = 0;
  uint64_t version = 0;
  int64_t time_ns = 0;  // time reads only
};

// The stored event at `seq`; NotFound when there is none.
Result<StoredEvent> load_event(const View& v, uint64_t seq);
// The raw value at `seq` (valid while the transaction is open); found=false when absent.
Status load_value(const View& v, uint64_t seq, std::string_view& value, bool& found);
// Decodes an `events` value (docs/store-format.md "event value").
Result<StoredEvent> decode_stored(const View& v, uint64_t seq, std::string_view value);

// The stream record; found=false when the stream does not exist.
Status stream_record(const View& v, std::string_view stream, StreamRecord& out, bool& found);
// Versions of stream `stream_id` from `from` (inclusive) in `dir`, skipping
// versions below `truncate_before`, at most `limit`, only seqs <= max_seq.
// `more` tells whether hits remain beyond the page.
Status stream_hits(const View& v, uint64_t stream_id, uint64_t truncate_before, uint64_t from,
                   Direction dir, size_t limit, uint64_t max_seq, std::vector<Hit>& out,
                   bool& more);
// Seqs from `from` in `dir` (the global log), at most `limit`, <= max_seq.
Status log_hits(const View& v, uint64_t from, Direction dir, size_t limit, uint64_t max_seq,
                std::vector<Hit>& out, bool& more);
Status correlation_hits(const View& v, std::string_view correlation, uint64_t from, Direction dir,
                        size_t limit, std::vector<Hit>& out, bool& more);
// Events whose type matches `pattern` (a topic or a pattern with * / **).
Status type_hits(const View& v, std::string_view pattern, uint64_t from, Direction dir,
                 size_t limit, uint64_t max_seq, std::vector<Hit>& out, bool& more);
// Events with from_ns <= time < to_ns, ordered by (time, seq), starting at
// (from_ns, from_seq) forward or (to side) backward.
Status time_hits(const View& v, int64_t from_ns, int64_t to_ns, int64_t start_ns,
                 uint64_t start_seq, Direction dir, size_t limit, std::vector<Hit>& out,
                 bool& more);
// Type ids whose name matches the pattern.
Status matching_types(const View& v, std::string_view pattern, std::vector<uint32_t>& ids,
                      std::vector<std::string>* names = nullptr);
// Stream information (NotFound when the stream does not exist).
Result<StreamInfo> stream_info(const View& v, std::string_view stream);

}  // namespace rd

class Reader {
 public:
  explicit Reader(Env& env) : env_(env) {}

  // `from` is a version (inclusive): forward from it, backward from it
  // down (kEnd: from the last). NotFound for a stream that never existed;
  // an empty page for a deleted one.
  Result<ReadPage> read_stream(std::string_view stream, uint64_t from, Direction dir, size_t limit,
                               uint64_t max_seq = kEnd);
  // `from` is a seq (inclusive); forward from 1 reads everything.
  Result<ReadPage> read_all(uint64_t from, Direction dir, size_t limit, uint64_t max_seq = kEnd);
  Result<ReadPage> read_correlation(std::string_view correlation, uint64_t from, Direction dir,
                                    size_t limit);
  // `pattern` is a type or a pattern ("order.*", "order.**").
  Result<ReadPage> read_types(std::string_view pattern, uint64_t from, Direction dir, size_t limit,
                              uint64_t max_seq = kEnd);
  // [from_ns, to_ns); continue with start_ns = next_time_ns, start_seq = next.
  Result<ReadPage> read_time(int64_t from_ns, int64_t to_ns, int64_t start_ns, uint64_t start_seq,
                             Direction dir, size_t limit);
  Result<StreamInfo> stream_info(std::string_view stream);

  // Raw scan of the global log without decoding: fn(seq, stream_version,
  // record bytes) for up to `limit` events from `from`; the bytes are valid
  // only during the call, and fn must not call the store. Returns the next
  // seq to scan from.
  Result<uint64_t> scan_raw(uint64_t from, size_t limit,
                            const std::function<void(uint64_t, uint64_t, std::string_view)>& fn);
  // Every stream record, in name order; fn returns false to stop. Runs in
  // one read transaction: fn must be quick and must not call the store.
  Status for_each_stream(const std::function<bool(std::string_view, const StreamRecord&)>& fn);

 private:
  Result<ReadPage> materialize(const rd::View& v, const std::vector<rd::Hit>& hits, bool more,
                               Direction dir, bool by_version);
  Env& env_;
};

}  // namespace chorus::store
