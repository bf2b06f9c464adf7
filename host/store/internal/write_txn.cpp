// WriteTxn: LMDB calls that remember the first error, the transaction's
// cursors, the stream cache, the type dictionary and the id counters.
#include "store/internal/write_txn.h"

#include <algorithm>

#include <fmt/core.h>

#include "store/internal/env.h"
#include "store/internal/records.h"
#include "store/internal/store_format.h"

namespace chorus::store {

WriteTxn::WriteTxn(Env& e, MDB_txn* t, WriterState& s, IdTable& ids, IndexBuffer& idx, int64_t now)
    : env(e), txn(t), dbs(e.dbs()), st(s), now_ns(now), batch_ids(ids), indexes(idx) {
  batch_ids.clear();
  indexes.clear();
}

TxnView WriteTxn::view() const noexcept {
  return TxnView{txn, dbs, env.path()};
}

const std::string& WriteTxn::path() const noexcept {
  return env.path();
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

Result<Cursor*> WriteTxn::cursor(MDB_dbi dbi, const char* db) {
  for (size_t i = 0; i < n_cursors_; ++i)
    if (cursor_dbi_[i] == dbi) return &cursors_[i];
  if (n_cursors_ == kMaxCursors) return Status::Internal("too many cursors in one transaction");
  if (Status s = cursors_[n_cursors_].reopen(view(), dbi, db); !s.ok()) {
    if (rc_ == 0) rc_ = EINVAL;  // the transaction is unusable
    return s;
  }
  cursor_dbi_[n_cursors_] = dbi;
  return &cursors_[n_cursors_++];
}

Status WriteTxn::commit(int* rc) {
  close_cursors();
  MDB_txn* t = txn;
  txn = nullptr;
  return env.commit_write(t, rc);
}

void WriteTxn::abort() noexcept {
  if (!txn) return;
  close_cursors();
  env.abort_write(txn);
  txn = nullptr;
}

void WriteTxn::close_cursors() noexcept {
  for (size_t i = 0; i < n_cursors_; ++i)
    cursors_[i].close();
  n_cursors_ = 0;
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
    // The stream's last stream_index entry: the last key before the next
    // stream id's first.
    CHORUS_ASSIGN_OR_RETURN(Cursor * c, cursor(dbs.stream_index, db::kStreamIndex));
    const Key16 probe(rec.stream_id + 1, 0);
    if (c->seek(probe.view(), Direction::kBackward) && c->key().size() == 16 &&
        get_be64(c->key().data()) == rec.stream_id)
      s.version = std::max(s.version, get_be64(c->key().data() + 8));
    CHORUS_RETURN_IF_ERROR(c->status());
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

Status WriteTxn::flush() {
  CHORUS_RETURN_IF_ERROR(indexes.flush(*this));
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
