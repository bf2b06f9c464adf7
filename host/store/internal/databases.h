// The named databases of a store (docs/store-format.md "Named databases"):
// their handles, the table that opens them and reports on them, and the
// opening transaction, which creates them and the `meta` entries in a new
// store and checks the format version of an existing one.
#pragma once

#include <cstdint>
#include <string>

#include <lmdb.h>

#include "core/status.h"
#include "store/internal/store_format.h"

namespace chorus::store {

// Handles of every named database.
struct Dbs {
  MDB_dbi meta = 0, events = 0, event_ids = 0, streams = 0, stream_index = 0, types = 0,
          type_index = 0, correlation_index = 0, time_index = 0, snapshots = 0, groups = 0,
          group_pending = 0;
};

// Every database: its name (store_format.h) and its handle in Dbs; `meta`
// first (it is opened before the others).
struct DbEntry {
  const char* name;
  MDB_dbi Dbs::*handle;
};
inline constexpr DbEntry kDatabases[] = {
    {db::kMeta, &Dbs::meta},
    {db::kEvents, &Dbs::events},
    {db::kEventIds, &Dbs::event_ids},
    {db::kStreams, &Dbs::streams},
    {db::kStreamIndex, &Dbs::stream_index},
    {db::kTypes, &Dbs::types},
    {db::kTypeIndex, &Dbs::type_index},
    {db::kCorrelationIndex, &Dbs::correlation_index},
    {db::kTimeIndex, &Dbs::time_index},
    {db::kSnapshots, &Dbs::snapshots},
    {db::kGroups, &Dbs::groups},
    {db::kGroupPending, &Dbs::group_pending},
};

// Runs the opening transaction on `env` (opened, no transaction active):
// opens every database into `dbs` (creating them unless read_only) and
// returns the store format version. A new store gets the version and the
// counters of "meta". Errors name `path`: Corruption (not a chorus store, a
// database missing, a malformed version), NotSupported (a newer format).
Result<uint32_t> open_databases(MDB_env* env, bool read_only, const std::string& path, Dbs& dbs);

}  // namespace chorus::store
