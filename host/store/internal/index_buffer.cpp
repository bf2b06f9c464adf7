// Sorted insertion of one transaction's index entries (index_buffer.h).
#include "store/internal/index_buffer.h"

#include <algorithm>
#include <string>

#include <fmt/core.h>

#include "store/internal/store_format.h"
#include "store/internal/write_txn.h"

namespace chorus::store {

void IndexBuffer::clear() noexcept {
  ids_.clear();
  stream_.clear();
  time_.clear();
  type_.clear();
  corr_.clear();
}

void IndexBuffer::event_id(const Uuid& id, uint64_t seq) {
  const char* b = reinterpret_cast<const char*>(id.bytes.data());
  ids_.push_back(Entry{get_be64(b), get_be64(b + 8), seq});
}

void IndexBuffer::stream(uint64_t stream_id, uint64_t version, uint64_t seq) {
  stream_.push_back(Entry{stream_id, version, seq});
}

void IndexBuffer::type(uint32_t type_id, uint64_t seq) {
  type_.push_back(Entry{type_id, seq, 0});
}

void IndexBuffer::time(int64_t time_ns, uint64_t seq) {
  time_.push_back(Entry{time_key(time_ns), seq, 0});
}

void IndexBuffer::correlation(std::string_view correlation, uint64_t seq) {
  corr_.push_back(CorrEntry{correlation, seq});
}

// Entries beyond the database's last key go in with MDB_APPEND (no
// search), the rest with a normal put through one cursor (LMDB skips the
// root-to-leaf search when the key is on the cursor's page).
Status IndexBuffer::insert_sorted(WriteTxn& w, MDB_dbi dbi, const char* db,
                                  std::vector<Entry>& entries, size_t hi_bytes, Value value) {
  if (entries.empty()) return Status::OK();
  if (!std::is_sorted(entries.begin(), entries.end())) std::sort(entries.begin(), entries.end());
  CHORUS_ASSIGN_OR_RETURN(Cursor * c, w.cursor(dbi, db));
  const size_t key_size = hi_bytes + 8;
  // The last key of the database, as an entry, to decide on MDB_APPEND.
  bool have_last = false;
  Entry last{0, 0, 0};
  if (c->last()) {
    if (c->key().size() != key_size) return c->bad_key();
    const char* p = c->key().data();
    last.hi = hi_bytes == 8 ? get_be64(p) : get_be32(p);
    last.lo = get_be64(p + hi_bytes);
    have_last = true;
  }
  CHORUS_RETURN_IF_ERROR(c->status());
  char key[16], val[8];
  for (const Entry& e : entries) {
    if (hi_bytes == 8) {
      put_be64(key, e.hi);
    } else {
      put_be32(key, static_cast<uint32_t>(e.hi));
    }
    put_be64(key + hi_bytes, e.lo);
    MDB_val k{key_size, key}, v{0, nullptr};
    if (value == Value::kSeq) {
      put_be64(val, e.value);
      v = MDB_val{8, val};
    }
    const bool beyond = !have_last || last < e;
    int rc = mdb_cursor_put(c->get(), &k, &v, beyond ? MDB_APPEND : 0);
    if (rc == MDB_KEYEXIST && beyond) rc = mdb_cursor_put(c->get(), &k, &v, 0);
    if (rc != 0) return w.fail(rc, fmt::format("insert into '{}'", db));
    if (beyond) {
      last = e;
      have_last = true;
    }
  }
  entries.clear();
  return Status::OK();
}

Status IndexBuffer::flush(WriteTxn& w) {
  const Dbs& d = w.dbs;
  CHORUS_RETURN_IF_ERROR(insert_sorted(w, d.event_ids, db::kEventIds, ids_, 8, Value::kSeq));
  CHORUS_RETURN_IF_ERROR(
      insert_sorted(w, d.stream_index, db::kStreamIndex, stream_, 8, Value::kSeq));
  CHORUS_RETURN_IF_ERROR(insert_sorted(w, d.time_index, db::kTimeIndex, time_, 8, Value::kNone));
  CHORUS_RETURN_IF_ERROR(insert_sorted(w, d.type_index, db::kTypeIndex, type_, 4, Value::kNone));
  if (corr_.empty()) return Status::OK();
  std::sort(corr_.begin(), corr_.end(), [](const CorrEntry& a, const CorrEntry& b) {
    return a.correlation != b.correlation ? a.correlation < b.correlation : a.seq < b.seq;
  });
  CHORUS_ASSIGN_OR_RETURN(Cursor * c, w.cursor(d.correlation_index, db::kCorrelationIndex));
  std::string key;
  for (const CorrEntry& e : corr_) {
    key.assign(e.correlation);
    key.push_back('\0');
    append_be64(key, e.seq);
    MDB_val k{key.size(), key.data()}, v{0, nullptr};
    const int rc = mdb_cursor_put(c->get(), &k, &v, 0);
    if (rc != 0) return w.fail(rc, "insert into 'correlation_index'");
  }
  corr_.clear();
  return Status::OK();
}

}  // namespace chorus::store
