// Reader: the store's reads as pages (types.h ReadPage): a stream forward
// or backward from a version; the global log from a position; by
// correlation id (the operation's timeline, in order); by event type or
// type pattern; by time range; stream information; a raw scan of the log;
// every stream record.
//
// Each call opens one short read transaction (Env::begin_read), finds the
// page's events with an index scan (index_scan.h), decodes them and closes
// the transaction before returning, so no transaction outlives a call.
// Stored bytes that do not decode give Corruption naming the store path and
// the sequence number. Threading: any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "core/status.h"
#include "store/internal/records.h"
#include "store/types.h"

namespace chorus::store {

class Env;

class Reader {
 public:
  explicit Reader(Env& env) : env_(env) {}

  // `from` is a version (inclusive): forward from it, backward from it
  // down (kEnd: from the last). NotFound for a stream that never existed;
  // an empty page for a deleted one. Only events with seq <= max_seq.
  Result<ReadPage> read_stream(std::string_view stream, uint64_t from, Direction dir, size_t limit,
                               uint64_t max_seq = kEnd);
  // `from` is a seq (inclusive); forward from 1 reads everything.
  Result<ReadPage> read_all(uint64_t from, Direction dir, size_t limit, uint64_t max_seq = kEnd);
  Result<ReadPage> read_correlation(std::string_view correlation, uint64_t from, Direction dir,
                                    size_t limit);
  // `pattern` is a type or a pattern ("order.*", "order.**").
  Result<ReadPage> read_types(std::string_view pattern, uint64_t from, Direction dir, size_t limit);
  // [from_ns, to_ns); continue with start_ns = next_time_ns, start_seq = next.
  Result<ReadPage> read_time(int64_t from_ns, int64_t to_ns, int64_t start_ns, uint64_t start_seq,
                             Direction dir, size_t limit);
  Result<StreamInfo> stream_info(std::string_view stream);
  // The seq of the newest event (0: none).
  Result<uint64_t> last_seq();

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
  Env& env_;
};

}  // namespace chorus::store
