// LMDB return codes as Status values (mdb.h).
#include "store/internal/mdb.h"

#include <cerrno>
#include <string>

#include <fmt/core.h>

namespace chorus::store {

Status mdb_status(int rc, std::string_view path, std::string_view what) {
  if (rc == 0) return Status::OK();
  const std::string msg = fmt::format("store {}: {}: {}", path, what, mdb_strerror(rc));
  switch (rc) {
    case MDB_MAP_FULL:
      return Status::ResourceExhausted(msg + " (the map is at its maximum size, store.map.max)");
    case MDB_TXN_FULL:
    case MDB_READERS_FULL:
    case MDB_DBS_FULL:
    case ENOSPC:
    case EDQUOT:
      return Status::ResourceExhausted(msg);
    case EACCES:
    case EPERM:
    case EROFS:
      return Status::PermissionDenied(msg);
    case ENOENT:
      return Status::NotFound(msg);
    case MDB_NOTFOUND:
      return Status::NotFound(msg);
    case MDB_KEYEXIST:
      return Status::AlreadyExists(msg);
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
      return Status::Corruption(msg);
    case MDB_VERSION_MISMATCH:
      return Status::NotSupported(msg);
    case MDB_MAP_RESIZED:
      return Status::Unavailable(msg);
    default:
      return rc > 0 ? Status::IOError(msg) : Status::Internal(msg);
  }
}

}  // namespace chorus::store
