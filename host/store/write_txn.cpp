// WriterState loading and the WriteTxn helpers: LMDB calls that remember the
// first error, the stream cache, the type dictionary, and sorted insertion of
// the buffered index entries (docs/store-format.md "Transactions").
#include "store/write_txn.h"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

#include "store/records.h"
#include "store/store_format.h"

namespace chorus::store {

size_t IdTable::hash(const Uuid& id) noexcept {
  // The low bytes of a UUIDv7 are random: a fine hash as they are.
  uint64_t h;
  std::memcpy(&h, id.bytes.data() + 8, 8);
  return static_cast<size_t>(h ^ (h >> 29));
}

uint64_t IdTable::find(const Uuid& id) const noexcept {
  if (size_ == 0) return 0;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash(id) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.seq == 0) return 0;
    if (s.id == id) return s.seq;
  }
}

void IdTable::insert(const Uuid& id, uint64_t seq) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash(id) & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.seq == 0) {
      s.id = id;
      s.seq = seq;
      used_.push_back(static_cast<uint32_t>(i));
      ++size_;
      return;
    }
    if (s.id == id) {
      s.seq = seq;
      return;
    }
  }
}

void IdTable::clear() noexcept {
  for (uint32_t i : used_)
    slots_[i].seq = 0;
  used_.clear();
  size_ = 0;
}

void IdTable::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 4096 : old.size() * 2, Slot{});
  used_.clear();
  size_ = 0;
  for (const Slot& s : old)
    if (s.seq != 0) insert(s.id, s.seq);
}

Status WriterState::load(Env& env) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn r, env.begin_read());
  const Dbs& d = env.dbs();
  MDB_txn* txn = r.get();
  auto meta_u64 = [&](std::string_view key, uint64_t& out, size_t width) -> Status {
    MDB_val k = to_val(key), v;
    const int rc = mdb_get(txn, d.meta, &k, &v);
    if (rc == MDB_NOTFOUND) return Status::OK();
    if (rc != 0) return mdb_status(rc, env.path(), fmt::format("read meta '{}'", key));
    if (v.mv_size != width)
      return Status::Corruption(fmt::format("store {}: meta '{}' is {} bytes (expected {})",
                                            env.path(), key, v.mv_size, width));
    out = width == 8 ? get_be64(static_cast<const char*>(v.mv_data))
                     : get_be32(static_cast<const char*>(v.mv_data));
    return Status::OK();
  };
  uint64_t last_seq = 0, type_id = 1;
  CHORUS_RETURN_IF_ERROR(meta_u64(meta_key::kLastSeq, last_seq, 8));
  CHORUS_RETURN_IF_ERROR(meta_u64(meta_key::kNextStreamId, next_stream_id, 8));
  CHORUS_RETURN_IF_ERROR(meta_u64(meta_key::kNextGroupId, next_group_id, 8));
  CHORUS_RETURN_IF_ERROR(meta_u64(meta_key::kNextTypeId, type_id, 4));
  next_type_id = static_cast<uint32_t>(type_id);

  MDB_cursor* c = nullptr;
  int rc = mdb_cursor_open(txn, d.events, &c);
  if (rc != 0) return mdb_status(rc, env.path(), "open a cursor on 'events'");
  MDB_val k, v;
  rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
  mdb_cursor_close(c);
  if (rc == 0) {
    if (k.mv_size != 8)
      return Status::Corruption(
          fmt::format("store {}: 'events' key of {} bytes", env.path(), k.mv_size));
    last_seq = std::max(last_seq, get_be64(static_cast<const char*>(k.mv_data)));
  } else if (rc != MDB_NOTFOUND) {
    return mdb_status(rc, env.path(), "read the last event");
  }
  next_seq = last_seq + 1;

  max_id = Uuid{};
  rc = mdb_cursor_open(txn, d.event_ids, &c);
  if (rc != 0) return mdb_status(rc, env.path(), "open a cursor on 'event_ids'");
  rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
  if (rc == 0 && k.mv_size == 16) std::memcpy(max_id.bytes.data(), k.mv_data, 16);
  mdb_cursor_close(c);

  types.clear();
  rc = mdb_cursor_open(txn, d.types, &c);
  if (rc != 0) return mdb_status(rc, env.path(), "open a cursor on 'types'");
  for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
       rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
    if (v.mv_size != 4) {
      mdb_cursor_close(c);
      return Status::Corruption(
          fmt::format("store {}: type '{}' has a {}-byte id", env.path(), to_view(k), v.mv_size));
    }
    types.emplace(std::string(to_view(k)), get_be32(static_cast<const char*>(v.mv_data)));
  }
  mdb_cursor_close(c);
  streams.clear();
  return Status::OK();
}

WriteTxn::WriteTxn(Env& e, MDB_txn* t, WriterState& s, IdTable& ids, int64_t now)
    : env(e), txn(t), dbs(e.dbs()), st(s), now_ns(now), batch_ids(ids) {
  batch_ids.clear();
}

Status WriteTxn::fail(int rc, std::string_view what) {
  if (rc_ == 0) rc_ = rc;
  return mdb_status(rc, env.path(), what);
}

Status WriteTxn::get(MDB_dbi dbi, std::string_view key, std::string_view& value, bool& found) {
  MDB_val k = to_val(key), v;
  const int rc = mdb_get(txn, dbi, &k, &v);
  found = rc == 0;
  if (rc == MDB_NOTFOUND) return Status::OK();
  if (rc != 0) return fail(rc, "get");
  value = to_view(v);
  return Status::OK();
}

Status WriteTxn::put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = to_val(key), v = to_val(value);
  const int rc = mdb_put(txn, dbi, &k, &v, flags);
  if (rc != 0) return fail(rc, "put");
  return Status::OK();
}

Status WriteTxn::del(MDB_dbi dbi, std::string_view key) {
  MDB_val k = to_val(key);
  const int rc = mdb_del(txn, dbi, &k, nullptr);
  if (rc != 0 && rc != MDB_NOTFOUND) return fail(rc, "delete");
  return Status::OK();
}

Result<MDB_cursor*> WriteTxn::cursor(MDB_dbi dbi) {
  for (size_t i = 0; i < n_cursors_; ++i)
    if (cursor_dbi_[i] == dbi) return cursors_[i];
  if (n_cursors_ == std::size(cursors_))
    return Status::Internal("too many cursors in one transaction");
  MDB_cursor* c = nullptr;
  const int rc = mdb_cursor_open(txn, dbi, &c);
  if (rc != 0) return fail(rc, "open a cursor");
  cursor_dbi_[n_cursors_] = dbi;
  cursors_[n_cursors_++] = c;
  return c;
}

Result<StreamState*> WriteTxn::stream_state(std::string_view name) {
  auto it = st.streams.find(name);
  if (it != st.streams.end()) return &it->second;
  StreamState s;
  std::string_view value;
  bool found = false;
  CHORUS_RETURN_IF_ERROR(get(dbs.streams, name, value, found));
  if (found) {
    CHORUS_ASSIGN_OR_RETURN(StreamRecord rec, decode_stream_record(value, name));
    s.exists = true;
    s.stream_id = rec.stream_id;
    s.truncate_before = rec.truncate_before;
    s.created_ns = rec.created_ns;
    s.flags = rec.flags;
    s.version = rec.truncate_before > 0 ? rec.truncate_before - 1 : 0;
    // The last stream_index entry of this stream: seek past it, step back.
    CHORUS_ASSIGN_OR_RETURN(MDB_cursor * c, cursor(dbs.stream_index));
    store::Key16 probe(rec.stream_id + 1, 0);
    MDB_val k = to_val(probe.view()), v;
    int rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
    if (rc == 0) {
      rc = mdb_cursor_get(c, &k, &v, MDB_PREV);
    } else if (rc == MDB_NOTFOUND) {
      rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
    }
    if (rc == 0 && k.mv_size == 16 &&
        get_be64(static_cast<const char*>(k.mv_data)) == rec.stream_id)
      s.version = std::max(s.version, get_be64(static_cast<const char*>(k.mv_data) + 8));
    else if (rc != 0 && rc != MDB_NOTFOUND)
      return fail(rc, "find the stream's last version");
  }
  auto [pos, _] = st.streams.emplace(std::string(name), s);
  return &pos->second;
}

Status WriteTxn::put_stream_record(std::string_view name, const StreamState& s) {
  StreamRecord rec;
  rec.stream_id = s.stream_id;
  rec.created_ns = s.created_ns;
  rec.truncate_before = s.truncate_before;
  rec.flags = s.flags;
  return put(dbs.streams, name, encode_stream_record(rec));
}

Result<uint32_t> WriteTxn::type_id(std::string_view type) {
  auto it = st.types.find(type);
  if (it != st.types.end()) return it->second;
  const uint32_t id = st.next_type_id++;
  char b[4];
  put_be32(b, id);
  CHORUS_RETURN_IF_ERROR(put(dbs.types, type, {b, 4}));
  st.types.emplace(std::string(type), id);
  type_counter_dirty_ = true;
  return id;
}

uint64_t WriteTxn::new_stream_id() {
  stream_counter_dirty_ = true;
  return st.next_stream_id++;
}

uint64_t WriteTxn::new_group_id() {
  group_counter_dirty_ = true;
  return st.next_group_id++;
}

void WriteTxn::index_event_id(const Uuid& id, uint64_t seq) {
  const char* b = reinterpret_cast<const char*>(id.bytes.data());
  ids_.push_back(Entry{get_be64(b), get_be64(b + 8), seq});
}

void WriteTxn::index_stream(uint64_t stream_id, uint64_t version, uint64_t seq) {
  stream_idx_.push_back(Entry{stream_id, version, seq});
}

void WriteTxn::index_type(uint32_t type_id, uint64_t seq) {
  type_idx_.push_back(Entry{type_id, seq, 0});
}

void WriteTxn::index_time(int64_t time_ns, uint64_t seq) {
  time_idx_.push_back(Entry{time_key(time_ns), seq, 0});
}

void WriteTxn::index_correlation(std::string_view correlation, uint64_t seq) {
  corr_idx_.push_back(CorrEntry{correlation, seq});
}

// Inserts the entries sorted; those beyond the database's last key go in
// with MDB_APPEND (no search), the rest with a normal put through one cursor
// (LMDB skips the root-to-leaf search when the key is on the cursor's page).
Status WriteTxn::insert_sorted(MDB_dbi dbi, std::vector<Entry>& entries, size_t hi_bytes,
                               bool with_value, const char* name) {
  if (entries.empty()) return Status::OK();
  if (!std::is_sorted(entries.begin(), entries.end())) std::sort(entries.begin(), entries.end());
  CHORUS_ASSIGN_OR_RETURN(MDB_cursor * c, cursor(dbi));
  const size_t key_size = hi_bytes + 8;
  MDB_val k, v;
  // The last key of the database, as an entry, to decide on MDB_APPEND.
  bool have_last = false;
  Entry last{0, 0, 0};
  int rc = mdb_cursor_get(c, &k, &v, MDB_LAST);
  if (rc == 0) {
    if (k.mv_size != key_size)
      return Status::Corruption(
          fmt::format("store {}: '{}' has a key of {} bytes", env.path(), name, k.mv_size));
    const char* p = static_cast<const char*>(k.mv_data);
    last.hi = hi_bytes == 8 ? get_be64(p) : get_be32(p);
    last.lo = get_be64(p + hi_bytes);
    have_last = true;
  } else if (rc != MDB_NOTFOUND) {
    return fail(rc, fmt::format("find the last key of '{}'", name));
  }
  char key[16], val[8];
  for (const Entry& e : entries) {
    if (hi_bytes == 8) {
      put_be64(key, e.hi);
    } else {
      put_be32(key, static_cast<uint32_t>(e.hi));
    }
    put_be64(key + hi_bytes, e.lo);
    k = MDB_val{key_size, key};
    if (with_value) {
      put_be64(val, e.value);
      v = MDB_val{8, val};
    } else {
      v = MDB_val{0, nullptr};
    }
    const bool beyond = !have_last || last < e;
    rc = mdb_cursor_put(c, &k, &v, beyond ? MDB_APPEND : 0);
    if (rc == MDB_KEYEXIST && beyond) rc = mdb_cursor_put(c, &k, &v, 0);
    if (rc != 0) return fail(rc, fmt::format("insert into '{}'", name));
    if (beyond) {
      last = e;
      have_last = true;
    }
  }
  entries.clear();
  return Status::OK();
}

Status WriteTxn::flush_indexes() {
  CHORUS_RETURN_IF_ERROR(insert_sorted(dbs.event_ids, ids_, 8, true, db::kEventIds));
  CHORUS_RETURN_IF_ERROR(insert_sorted(dbs.stream_index, stream_idx_, 8, true, db::kStreamIndex));
  CHORUS_RETURN_IF_ERROR(insert_sorted(dbs.time_index, time_idx_, 8, false, db::kTimeIndex));
  CHORUS_RETURN_IF_ERROR(insert_sorted(dbs.type_index, type_idx_, 4, false, db::kTypeIndex));
  if (!corr_idx_.empty()) {
    std::sort(corr_idx_.begin(), corr_idx_.end(), [](const CorrEntry& a, const CorrEntry& b) {
      return a.correlation != b.correlation ? a.correlation < b.correlation : a.seq < b.seq;
    });
    CHORUS_ASSIGN_OR_RETURN(MDB_cursor * c, cursor(dbs.correlation_index));
    std::string key;
    for (const CorrEntry& e : corr_idx_) {
      key.assign(e.correlation);
      key.push_back('\0');
      append_be64(key, e.seq);
      MDB_val k = to_val(key), v{0, nullptr};
      const int rc = mdb_cursor_put(c, &k, &v, 0);
      if (rc != 0) return fail(rc, "insert into 'correlation_index'");
    }
    corr_idx_.clear();
  }
  char b[8];
  if (stream_counter_dirty_) {
    put_be64(b, st.next_stream_id);
    CHORUS_RETURN_IF_ERROR(put(dbs.meta, meta_key::kNextStreamId, {b, 8}));
    stream_counter_dirty_ = false;
  }
  if (type_counter_dirty_) {
    put_be32(b, st.next_type_id);
    CHORUS_RETURN_IF_ERROR(put(dbs.meta, meta_key::kNextTypeId, {b, 4}));
    type_counter_dirty_ = false;
  }
  if (group_counter_dirty_) {
    put_be64(b, st.next_group_id);
    CHORUS_RETURN_IF_ERROR(put(dbs.meta, meta_key::kNextGroupId, {b, 8}));
    group_counter_dirty_ = false;
  }
  return Status::OK();
}

}  // namespace chorus::store
