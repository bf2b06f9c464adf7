// WriteTxn: one group-commit transaction as the writer's ops see it: LMDB
// calls that remember the first LMDB error (which fails the transaction),
// cached cursors, the stream and type state (through WriterState), id
// counters, the events appended so far and their buffered index entries.
//
// Writer thread only (writer.h): no locks.
#pragma once

#include <cstdint>
#include <iterator>
#include <string_view>
#include <vector>

#include <lmdb.h>

#include "core/status.h"
#include "core/uuid.h"
#include "store/internal/cursor.h"
#include "store/internal/id_table.h"
#include "store/internal/index_buffer.h"
#include "store/internal/txn_view.h"
#include "store/internal/write_op.h"
#include "store/internal/writer_state.h"
#include "store/types.h"

namespace chorus::store {

class Env;

class WriteTxn {
 public:
  // `ids` and `indexes` are the writer's, reused by every transaction (and
  // cleared here).
  WriteTxn(Env& env, MDB_txn* txn, WriterState& st, IdTable& ids, IndexBuffer& indexes,
           int64_t now_ns);
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;
  // Aborts the transaction unless commit() or abort() ended it.
  ~WriteTxn() { abort(); }

  Env& env;
  MDB_txn* txn;  // null once ended
  const Dbs& dbs;
  WriterState& st;
  const int64_t now_ns;  // wall clock at the start of the transaction

  // The transaction for the read functions (event_lookup.h, index_scan.h).
  TxnView view() const noexcept;
  const std::string& path() const noexcept;

  // The first LMDB error of this transaction (0: none). Any LMDB failure
  // fails the whole transaction: ops return the Status from fail().
  int rc() const noexcept { return rc_; }
  Status fail(int rc, std::string_view what);

  // found=false and OK when the key is absent.
  Status get(MDB_dbi dbi, std::string_view key, std::string_view& value, bool& found);
  Status put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
  // OK when the key was absent too.
  Status del(MDB_dbi dbi, std::string_view key);
  // The transaction's cursor on `dbi` (named `db`), opened on first use,
  // closed when the transaction ends. Its position is whatever its last
  // user left.
  Result<Cursor*> cursor(MDB_dbi dbi, const char* db);

  // Ends the transaction (closing its cursors first, as LMDB requires):
  // commit() returns the commit's status and its LMDB code in *rc.
  Status commit(int* rc);
  void abort() noexcept;

  // The writer's state of a stream (from the cache, or read from disk).
  // REQUIRES: the name is valid. The pointer is valid until the next call.
  Result<StreamState*> stream_state(std::string_view name);
  // Writes the stream record of `s` (creation, delete flag, truncation).
  Status put_stream_record(std::string_view name, const StreamState& s);
  // The type's id, adding it to `types` (and the dictionary) when new.
  Result<uint32_t> type_id(std::string_view type);
  // Allocate ids; the meta counters are written by flush().
  uint64_t new_stream_id();
  uint64_t new_group_id();

  // ---- appending ----
  // Events appended in this transaction, for the commit notification.
  std::vector<StoredEvent> appended;
  // Ids written in this transaction -> seq (idempotency inside one commit).
  IdTable& batch_ids;
  Uuid batch_max_id;
  // Index entries of the appended events.
  IndexBuffer& indexes;

  // Inserts the buffered index entries and the changed meta counters.
  // Called before any operation that reads indexes, and before the commit.
  Status flush();

 private:
  void close_cursors() noexcept;

  int rc_ = 0;
  static constexpr size_t kMaxCursors = std::size(kDatabases);  // one per database
  Cursor cursors_[kMaxCursors];
  MDB_dbi cursor_dbi_[kMaxCursors] = {};
  size_t n_cursors_ = 0;
  bool stream_counter_dirty_ = false, type_counter_dirty_ = false, group_counter_dirty_ = false;
};

}  // namespace chorus::store
