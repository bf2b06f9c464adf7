// Env: the LMDB environment of one store directory. Opens it (creating the
// directory and the databases of docs/store-format.md on first use), checks
// the store format version, clears stale reader slots (mdb_reader_check),
// hands out read transactions, and grows the map.
//
// Threading and the map-resize rule: LMDB allows mdb_env_set_mapsize only
// while no transaction of this process is open. Every transaction holds
// the TxnGate (txn_gate.h) shared while it is open, a resize holds it
// exclusively. Consequences:
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

#include <cstdint>
#include <memory>
#include <string>

#include <lmdb.h>

#include "core/status.h"
#include "store/internal/databases.h"
#include "store/internal/mdb.h"
#include "store/internal/txn_gate.h"
#include "store/internal/txn_view.h"
#include "store/store_options.h"

namespace chorus::store {

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
    // For the functions that read inside a transaction (TxnView).
    TxnView view() const noexcept { return TxnView{txn_, env_->dbs(), env_->path()}; }
    void end() noexcept;

   private:
    friend class Env;
    ReadTxn(Env* env, MDB_txn* txn) : env_(env), txn_(txn) {}
    Env* env_ = nullptr;
    MDB_txn* txn_ = nullptr;
  };
  // Adopts a map grown by another process (MDB_MAP_RESIZED) by itself.
  Result<ReadTxn> begin_read();

  // Writer thread only. Holds the gate shared until commit_write() or
  // abort_write() (WriteTxn calls them).
  Result<MDB_txn*> begin_write();
  // Commits `txn` and releases the gate: the commit's status (mdb_status
  // naming the path), its LMDB code in *rc.
  Status commit_write(MDB_txn* txn, int* rc);
  void abort_write(MDB_txn* txn);

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
