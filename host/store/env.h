// Env: the LMDB environment of one store directory. Opens it (creating the
// directory and the databases of docs/store-format.md on first use), checks
// the store format version, clears stale reader slots (mdb_reader_check),
// hands out read transactions, and grows the map.
//
// Threading and the map-resize rule. LMDB allows mdb_env_set_mapsize only
// while no transaction of this process is open, and does not check it. A
// TxnGate enforces it: every transaction (read or write) holds the gate
// shared while it is open; a resize takes it exclusively, which waits for
// open transactions to end and holds new ones back (a waiting resize has
// priority over new readers, so it cannot starve). Consequences:
//   - no code may open a second transaction on a thread that already holds
//     one (it could wait on a resize that waits on the first): read
//     functions open exactly one and close it before calling user code;
//   - read transactions are short (one page of a read); nothing keeps one
//     open across a user callback or a wait.
// The environment is opened with MDB_NOTLS, so a read transaction may be
// begun on one thread and ended on another, and reader slots belong to
// transactions rather than threads (Asio workers share readers).
//
// Read transactions may be begun from any thread. begin_write() is for the
// writer thread only (one write transaction at a time, per LMDB).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <lmdb.h>

#include "core/status.h"
#include "store/store_format.h"
#include "store/store_options.h"

namespace chorus::store {

// Handles of every named database (docs/store-format.md "Named databases").
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

// Shared/exclusive gate with writer (exclusive) priority; see above.
class TxnGate {
 public:
  void enter_shared();
  void exit_shared();
  void enter_exclusive();
  void exit_exclusive();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;
  int waiting_exclusive_ = 0;
  bool exclusive_ = false;
};

// A Status for an LMDB (or errno) return code, naming the store path and
// the operation: "store /data/store: commit: MDB_MAP_FULL: ...".
Status mdb_status(int rc, std::string_view path, std::string_view what);

inline std::string_view to_view(const MDB_val& v) noexcept {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}
inline MDB_val to_val(std::string_view s) noexcept {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

class Env {
 public:
  // Opens (or, unless options.read_only, creates) the store at
  // options.path. Errors name the path: NotFound (read-only and no store),
  // PermissionDenied, NotSupported (a newer store format), Corruption (not
  // an LMDB environment or not a chorus store), FailedPrecondition (already
  // open in this process: LMDB forbids opening one environment twice).
  static Result<std::unique_ptr<Env>> open(const StoreOptions& options);
  // REQUIRES: no transaction is open.
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  MDB_env* raw() const noexcept { return env_; }
  const Dbs& dbs() const noexcept { return dbs_; }
  const std::string& path() const noexcept { return path_; }
  bool read_only() const noexcept { return read_only_; }
  uint32_t format_version() const noexcept { return format_; }

  // A read-only transaction holding the gate shared; ends when destroyed.
  class ReadTxn {
   public:
    ReadTxn() = default;
    ReadTxn(ReadTxn&& o) noexcept : env_(o.env_), txn_(o.txn_) { o.txn_ = nullptr; }
    ReadTxn& operator=(ReadTxn&& o) noexcept;
    ~ReadTxn() { end(); }
    MDB_txn* get() const noexcept { return txn_; }
    Env& env() const noexcept { return *env_; }
    void end() noexcept;

   private:
    friend class Env;
    ReadTxn(Env* env, MDB_txn* txn) : env_(env), txn_(txn) {}
    Env* env_ = nullptr;
    MDB_txn* txn_ = nullptr;
  };
  // Adopts a map grown by another process (MDB_MAP_RESIZED) by itself.
  Result<ReadTxn> begin_read();

  // Writer thread only. Holds the gate shared until end_write().
  Result<MDB_txn*> begin_write();
  // Commits (commit=true) or aborts `txn` and releases the gate. The commit
  // status is returned (mdb_status naming the path), its LMDB code in *rc.
  Status end_write(MDB_txn* txn, bool commit, int* rc = nullptr);

  // mdb_env_info and mdb_env_stat, under the gate (they read the map).
  void info(MDB_envinfo& info, MDB_stat& st) const;
  // The map size and the bytes in use (high-water mark of pages).
  uint64_t map_size() const;
  uint64_t used_bytes() const;
  // Grows the map so that at least `need_free` bytes are free beyond the
  // used space, in steps of StoreOptions::map_growth (doubling while the
  // map is smaller than one step), never beyond map_max. REQUIRES: the
  // caller holds no transaction. ResourceExhausted naming the path when the
  // map is already at map_max.
  Status grow(uint64_t need_free);
  // True when less than a quarter of the map (or 16 MiB) is free.
  bool should_grow() const;

  // Flushes the data file to disk (mdb_env_sync with force).
  Status sync();
  // fdatasync of the data file, and nothing else: unlike sync() it reads
  // nothing from the map, so any thread may call it while the writer runs a
  // transaction or grows the map. With MDB_NOMETASYNC it makes every commit
  // that returned before the call durable.
  Status sync_file();
  // Stale reader slots cleared (mdb_reader_check); logs how many.
  int check_readers();

 private:
  struct Usage {
    uint64_t size, used;  // the map size; the bytes in use
  };
  Usage usage() const;  // one info() call
  Env() = default;
  Status open_databases();

  MDB_env* env_ = nullptr;
  Dbs dbs_;
  std::string path_;
  bool read_only_ = false;
  uint32_t format_ = 0;
  uint64_t map_max_ = 0, map_growth_ = 0;
  mutable TxnGate gate_;
  std::string registry_key_;  // realpath in the process-wide open set
};

}  // namespace chorus::store
