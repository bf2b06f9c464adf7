// Cursor (cursor.h): opening, positioning, failures as Status values.
#include "store/internal/cursor.h"

#include <fmt/core.h>

#include "store/internal/mdb.h"

namespace chorus::store {

Result<Cursor> Cursor::open(const TxnView& v, MDB_dbi dbi, const char* db) {
  Cursor c;
  CHORUS_RETURN_IF_ERROR(c.reopen(v, dbi, db));
  return c;
}

Status Cursor::reopen(const TxnView& v, MDB_dbi dbi, const char* db) {
  close();
  status_ = Status::OK();
  path_ = &v.path;
  db_ = db;
  const int rc = mdb_cursor_open(v.txn, dbi, &c_);
  if (rc != 0) {
    c_ = nullptr;
    return mdb_status(rc, v.path, fmt::format("open a cursor on '{}'", db));
  }
  return Status::OK();
}

Cursor& Cursor::operator=(Cursor&& o) noexcept {
  if (this != &o) {
    close();
    c_ = o.c_;
    path_ = o.path_;
    db_ = o.db_;
    k_ = o.k_;
    v_ = o.v_;
    on_ = o.on_;
    status_ = std::move(o.status_);
    o.c_ = nullptr;
    o.on_ = false;
  }
  return *this;
}

void Cursor::close() noexcept {
  if (c_) mdb_cursor_close(c_);
  c_ = nullptr;
  on_ = false;
}

bool Cursor::off(int rc) {
  on_ = false;
  if (rc != MDB_NOTFOUND && status_.ok())
    status_ = mdb_status(rc, path_ ? *path_ : std::string(), fmt::format("read '{}'", db_));
  return false;
}

bool Cursor::seek(std::string_view key) {
  k_ = to_val(key);
  return move(MDB_SET_RANGE);
}

bool Cursor::seek(std::string_view start, Direction dir) {
  const bool fwd = dir == Direction::kForward;
  if (start.empty()) return fwd ? first() : last();  // LMDB refuses empty keys
  if (seek(start)) return fwd || key() == start || prev();
  return !fwd && status_.ok() && last();  // every key is below `start`
}

bool Cursor::find(std::string_view key) {
  k_ = to_val(key);
  return move(MDB_SET_KEY);
}

Status Cursor::bad_key() const {
  return Status::Corruption(fmt::format("store {}: '{}' has a key of {} bytes",
                                        path_ ? *path_ : std::string(), db_, k_.mv_size));
}

Status Cursor::bad_value() const {
  return Status::Corruption(fmt::format("store {}: '{}' has a value of {} bytes",
                                        path_ ? *path_ : std::string(), db_, v_.mv_size));
}

}  // namespace chorus::store
