// The opening transaction: databases, format version, a new store's meta
// entries (docs/store-format.md "Store format version", "meta").
#include "store/internal/databases.h"

#include <fmt/core.h>

#include "core/clock.h"
#include "core/uuid.h"
#include "store/internal/log.h"
#include "store/internal/mdb.h"

namespace chorus::store {
namespace {

// Writes the format version and the counters of a new store.
int init_meta(MDB_txn* txn, MDB_dbi meta) {
  char b[8];
  auto put = [&](std::string_view key, std::string_view val) {
    MDB_val mk = to_val(key), mv = to_val(val);
    return mdb_put(txn, meta, &mk, &mv, 0);
  };
  put_be32(b, kStoreFormatVersion);
  int rc = put(meta_key::kFormat, {b, 4});
  const Uuid id = new_uuid_v7();
  if (rc == 0) rc = put(meta_key::kStoreId, {reinterpret_cast<const char*>(id.bytes.data()), 16});
  put_be64(b, static_cast<uint64_t>(wall_clock_ns()));
  if (rc == 0) rc = put(meta_key::kCreated, {b, 8});
  put_be64(b, 1);
  if (rc == 0) rc = put(meta_key::kNextStreamId, {b, 8});
  if (rc == 0) rc = put(meta_key::kNextGroupId, {b, 8});
  put_be32(b, 1);
  if (rc == 0) rc = put(meta_key::kNextTypeId, {b, 4});
  return rc;
}

}  // namespace

Result<uint32_t> open_databases(MDB_env* env, bool read_only, const std::string& path, Dbs& dbs) {
  MDB_txn* txn = nullptr;
  const unsigned txn_flags = read_only ? MDB_RDONLY : 0;
  int rc = mdb_txn_begin(env, nullptr, txn_flags, &txn);
  if (rc == MDB_MAP_RESIZED) {
    mdb_env_set_mapsize(env, 0);
    rc = mdb_txn_begin(env, nullptr, txn_flags, &txn);
  }
  if (rc != 0) return mdb_status(rc, path, "begin the opening transaction");
  auto fail = [&](Status s) {
    mdb_txn_abort(txn);
    return s;
  };

  // The unnamed database lists the named ones: a non-empty environment
  // without `meta` is someone else's LMDB, not a chorus store.
  MDB_dbi main_dbi;
  rc = mdb_dbi_open(txn, nullptr, 0, &main_dbi);
  if (rc != 0) return fail(mdb_status(rc, path, "open the main database"));
  MDB_stat main_stat;
  mdb_stat(txn, main_dbi, &main_stat);

  rc = mdb_dbi_open(txn, db::kMeta, read_only ? 0 : MDB_CREATE, &dbs.meta);
  if (rc == MDB_NOTFOUND || rc == MDB_INCOMPATIBLE)
    return fail(Status::Corruption(
        fmt::format("store {}: not a chorus store ({} database{} but no '{}')", path,
                    main_stat.ms_entries, main_stat.ms_entries == 1 ? "" : "s", db::kMeta)));
  if (rc != 0) return fail(mdb_status(rc, path, "open database 'meta'"));

  uint32_t format = 0;
  MDB_val k = to_val(meta_key::kFormat), v;
  rc = mdb_get(txn, dbs.meta, &k, &v);
  if (rc == MDB_NOTFOUND) {
    if (read_only || main_stat.ms_entries > 0)
      return fail(Status::Corruption(
          fmt::format("store {}: not a chorus store (no format version in 'meta')", path)));
    format = kStoreFormatVersion;
    if (int irc = init_meta(txn, dbs.meta); irc != 0)
      return fail(mdb_status(irc, path, "initialise 'meta'"));
    store_log()->info("store {}: created (format {})", path, kStoreFormatVersion);
  } else if (rc != 0) {
    return fail(mdb_status(rc, path, "read the format version"));
  } else {
    if (v.mv_size != 4)
      return fail(Status::Corruption(fmt::format(
          "store {}: format version in 'meta' is {} bytes (expected 4)", path, v.mv_size)));
    format = get_be32(static_cast<const char*>(v.mv_data));
    if (format > kStoreFormatVersion)
      return fail(Status::NotSupported(fmt::format(
          "store {}: format version {} is newer than this build reads (up to {}); it was "
          "written by a newer chorus; refusing to open it",
          path, format, kStoreFormatVersion)));
    if (format == 0)
      return fail(Status::Corruption(fmt::format("store {}: format version 0", path)));
  }

  for (size_t i = 1; i < std::size(kDatabases); ++i) {  // meta is open
    const char* name = kDatabases[i].name;
    rc = mdb_dbi_open(txn, name, read_only ? 0 : MDB_CREATE, &(dbs.*kDatabases[i].handle));
    if (rc == MDB_NOTFOUND)
      return fail(
          Status::Corruption(fmt::format("store {}: database '{}' is missing", path, name)));
    if (rc != 0) return fail(mdb_status(rc, path, fmt::format("open database '{}'", name)));
  }
  rc = mdb_txn_commit(txn);
  if (rc != 0) return mdb_status(rc, path, "commit the opening transaction");
  return format;
}

}  // namespace chorus::store
