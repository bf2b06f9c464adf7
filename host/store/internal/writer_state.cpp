// Loading the writer's state from disk (writer_state.h; the meta keys and
// databases of docs/store-format.md).
#include "store/internal/writer_state.h"

#include <algorithm>
#include <cstring>

#include <fmt/core.h>

#include "store/internal/cursor.h"
#include "store/internal/env.h"
#include "store/internal/store_format.h"

namespace chorus::store {
namespace {

// A counter of `meta` (absent: `out` keeps its default).
Status read_meta(const TxnView& v, std::string_view key, size_t width, uint64_t& out) {
  MDB_val k = to_val(key), d;
  const int rc = mdb_get(v.txn, v.dbs.meta, &k, &d);
  if (rc == MDB_NOTFOUND) return Status::OK();
  if (rc != 0) return mdb_status(rc, v.path, fmt::format("read meta '{}'", key));
  if (d.mv_size != width)
    return Status::Corruption(fmt::format("store {}: meta '{}' is {} bytes (expected {})", v.path,
                                          key, d.mv_size, width));
  out = width == 8 ? get_be64(static_cast<const char*>(d.mv_data))
                   : get_be32(static_cast<const char*>(d.mv_data));
  return Status::OK();
}

}  // namespace

Status WriterState::load(Env& env) {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn r, env.begin_read());
  const TxnView v = r.view();
  uint64_t last_seq = 0, type_id = 1;
  CHORUS_RETURN_IF_ERROR(read_meta(v, meta_key::kLastSeq, 8, last_seq));
  CHORUS_RETURN_IF_ERROR(read_meta(v, meta_key::kNextStreamId, 8, next_stream_id));
  CHORUS_RETURN_IF_ERROR(read_meta(v, meta_key::kNextGroupId, 8, next_group_id));
  CHORUS_RETURN_IF_ERROR(read_meta(v, meta_key::kNextTypeId, 4, type_id));
  next_type_id = static_cast<uint32_t>(type_id);

  {
    CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.events, db::kEvents));
    if (c.last()) {
      if (c.key().size() != 8) return c.bad_key();
      last_seq = std::max(last_seq, get_be64(c.key().data()));
    }
    CHORUS_RETURN_IF_ERROR(c.status());
  }
  next_seq = last_seq + 1;

  max_id = Uuid{};
  {
    CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.event_ids, db::kEventIds));
    if (c.last() && c.key().size() == 16) std::memcpy(max_id.bytes.data(), c.key().data(), 16);
    CHORUS_RETURN_IF_ERROR(c.status());
  }

  types.clear();
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.types, db::kTypes));
  for (c.first(); c.on(); c.next()) {
    if (c.value().size() != 4)
      return Status::Corruption(fmt::format("store {}: type '{}' has a {}-byte id", env.path(),
                                            c.key(), c.value().size()));
    types.emplace(std::string(c.key()), get_be32(c.value().data()));
  }
  CHORUS_RETURN_IF_ERROR(c.status());
  streams.clear();
  return Status::OK();
}

}  // namespace chorus::store
