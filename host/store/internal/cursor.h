// Cursor: the one way the store walks an LMDB database, in the manner of a
// LevelDB iterator. It owns an MDB_cursor and closes it when destroyed.
// Movements return on(): true when the cursor is on an entry, false when it
// ran off either end or failed; a failure (anything but "not found") is
// kept in status(), which the caller checks after its loop, and every
// later movement fails too.
//
//   CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.events, db::kEvents));
//   for (c.seek(start); c.on(); c.next())
//     use(c.key(), c.value());
//   CHORUS_RETURN_IF_ERROR(c.status());
//
// Errors name the store path and the database. REQUIRES: a Cursor is
// destroyed (or closed) before its transaction ends. For read transactions
// that is scope order; the writer's cursors are closed by WriteTxn before
// its commit or abort (LMDB frees a write transaction's cursors itself when
// it ends). Keys and values are valid while the transaction is open and
// the cursor has not moved.
#pragma once

#include <string>
#include <string_view>
#include <type_traits>

#include <lmdb.h>

#include "core/status.h"
#include "store/internal/txn_view.h"
#include "store/types.h"

namespace chorus::store {

class Cursor {
 public:
  Cursor() = default;
  // A cursor on database `dbi` (named `db` in messages) in `v`'s transaction.
  static Result<Cursor> open(const TxnView& v, MDB_dbi dbi, const char* db);
  // The same in place: closes what this cursor had and opens anew.
  Status reopen(const TxnView& v, MDB_dbi dbi, const char* db);
  Cursor(Cursor&& o) noexcept { *this = std::move(o); }
  Cursor& operator=(Cursor&& o) noexcept;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor() { close(); }
  void close() noexcept;

  // ---- movements: each returns on() ----
  bool first() { return move(MDB_FIRST); }
  bool last() { return move(MDB_LAST); }
  bool next() { return move(MDB_NEXT); }
  bool prev() { return move(MDB_PREV); }
  bool step(Direction dir) { return dir == Direction::kForward ? next() : prev(); }
  // To the first key >= `key`.
  bool seek(std::string_view key);
  // Forward: the first key >= `start`; backward: the last key <= `start`.
  // An empty `start` is the first (forward) or last (backward) key.
  bool seek(std::string_view start, Direction dir);
  // To exactly `key`; off when it is absent.
  bool find(std::string_view key);

  bool on() const noexcept { return on_; }
  // OK, or the first failure of a movement.
  const Status& status() const noexcept { return status_; }
  std::string_view key() const noexcept {
    return {static_cast<const char*>(k_.mv_data), k_.mv_size};
  }
  std::string_view value() const noexcept {
    return {static_cast<const char*>(v_.mv_data), v_.mv_size};
  }
  // For puts and deletes at the cursor (write transactions).
  MDB_cursor* get() const noexcept { return c_; }

  // Corruption naming the store and database, for the current entry:
  // "'<db>' has a key of N bytes" / "a value of N bytes".
  Status bad_key() const;
  Status bad_value() const;

 private:
  // Inline, the rare outcomes out of line: cursor steps are the inner loop
  // of every read.
  bool move(MDB_cursor_op op) {
    if (!status_.ok()) return false;  // failed before: stays off
    const int rc = mdb_cursor_get(c_, &k_, &v_, op);
    if (rc == 0) return on_ = true;
    return off(rc);
  }
  // After a movement that found nothing (MDB_NOTFOUND) or failed (kept in
  // status_): false.
  bool off(int rc);

  MDB_cursor* c_ = nullptr;
  const std::string* path_ = nullptr;
  const char* db_ = "";
  MDB_val k_{0, nullptr}, v_{0, nullptr};
  bool on_ = false;
  Status status_;
};

// Calls fn(key, value) for the keys that start with `prefix`, from `start`
// in `dir` (Cursor::seek), until fn says stop or the keys leave the prefix.
// fn returns bool (false: stop), or Result<bool> to stop with an error.
template <typename Fn>
Status scan_prefix(Cursor& c, std::string_view prefix, std::string_view start, Direction dir,
                   Fn&& fn) {
  for (c.seek(start, dir); c.on(); c.step(dir)) {
    const std::string_view key = c.key();
    if (key.substr(0, prefix.size()) != prefix) break;
    auto go = fn(key, c.value());
    if constexpr (std::is_same_v<decltype(go), bool>) {
      if (!go) break;
    } else {
      if (!go.ok()) return std::move(go).error();
      if (!*go) break;
    }
  }
  return c.status();
}

}  // namespace chorus::store
