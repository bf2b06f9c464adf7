// LMDB glue used by every file that calls LMDB: a Status for a return code
// that names the store path and the operation, and MDB_val <-> string_view.
#pragma once

#include <string_view>

#include <lmdb.h>

#include "core/status.h"

namespace chorus::store {

// A Status for an LMDB (or errno) return code, naming the store path and
// the operation: "store /data/store: commit: MDB_MAP_FULL: ...". OK for 0.
Status mdb_status(int rc, std::string_view path, std::string_view what);

inline std::string_view to_view(const MDB_val& v) noexcept {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}
inline MDB_val to_val(std::string_view s) noexcept {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

}  // namespace chorus::store
