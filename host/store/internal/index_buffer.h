// IndexBuffer: the index entries of one write transaction, buffered while
// its ops run and inserted sorted per database before the commit (or
// before an op that reads indexes): LMDB then touches each page once and,
// for keys beyond a database's last one, appends without a search
// (docs/store-format.md "Transactions"). The writer owns one and every
// transaction reuses it (WriteTxn clears it), so its vectors keep their
// capacity and the hot path allocates nothing.
//
// Writer thread only.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <lmdb.h>

#include "core/status.h"
#include "core/uuid.h"

namespace chorus::store {

class WriteTxn;

class IndexBuffer {
 public:
  void event_id(const Uuid& id, uint64_t seq);
  void stream(uint64_t stream_id, uint64_t version, uint64_t seq);
  void type(uint32_t type_id, uint64_t seq);
  void time(int64_t time_ns, uint64_t seq);
  // `correlation` must stay valid until flush() (it points into an event
  // the transaction holds).
  void correlation(std::string_view correlation, uint64_t seq);
  // Inserts every buffered entry through w's cursors and empties the buffer.
  Status flush(WriteTxn& w);
  // Forgets every buffered entry (an aborted transaction's), keeping the
  // capacity.
  void clear() noexcept;

 private:
  // An entry: its key as two integers (compared natively, written
  // big-endian) and a value (a seq, or none).
  struct Entry {
    uint64_t hi, lo, value;
    bool operator<(const Entry& o) const noexcept { return hi != o.hi ? hi < o.hi : lo < o.lo; }
  };
  struct CorrEntry {
    std::string_view correlation;
    uint64_t seq;
  };
  // key_hi_bytes: 8 (u64) or 4 (u32 type ids); with_value: 8-byte value or empty.
  enum class Value : uint8_t { kNone, kSeq };
  static Status insert_sorted(WriteTxn& w, MDB_dbi dbi, const char* db, std::vector<Entry>& entries,
                              size_t key_hi_bytes, Value value);

  std::vector<Entry> ids_, stream_, time_, type_;
  std::vector<CorrEntry> corr_;
};

}  // namespace chorus::store
