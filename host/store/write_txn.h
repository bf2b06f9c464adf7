// The writer thread's view of the store: WriterState (what the writer keeps
// in memory between transactions: the next sequence number, the type
// dictionary, a cache of stream versions, the open consumer groups), WriteTxn
// (one group-commit transaction: LMDB helpers that remember the first LMDB
// error, cached cursors, index entries buffered and inserted sorted), and
// WriteOp (one queued operation that runs inside a WriteTxn).
//
// Everything here is used by the writer thread only (writer.h): no locks.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <lmdb.h>

#include "core/status.h"
#include "core/uuid.h"
#include "store/env.h"
#include "store/types.h"

namespace chorus::store {

struct GroupState;  // consumer_group.cpp

// A stream as the writer knows it (cached; reloaded from disk on a miss).
struct StreamState {
  bool exists = false;  // a stream record is stored
  uint64_t stream_id = 0;
  uint64_t version = 0;  // current version
  uint64_t truncate_before = 0;
  int64_t created_ns = 0;
  uint8_t flags = 0;
};

// Hash for string-keyed maps looked up by string_view without a copy.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// Ids written in the current transaction -> seq: open addressing, cleared
// per transaction without freeing (the writer's hot path allocates nothing).
class IdTable {
 public:
  bool empty() const noexcept { return size_ == 0; }
  // 0 when absent.
  uint64_t find(const Uuid& id) const noexcept;
  void insert(const Uuid& id, uint64_t seq);
  void clear() noexcept;

 private:
  struct Slot {
    Uuid id;
    uint64_t seq = 0;  // 0: empty
  };
  static size_t hash(const Uuid& id) noexcept;
  void grow();
  std::vector<Slot> slots_;
  std::vector<uint32_t> used_;
  size_t size_ = 0;
};

struct WriterState {
  uint64_t next_seq = 1;
  Uuid max_id;  // the largest id in event_ids as of the last commit
  uint64_t next_stream_id = 1, next_group_id = 1;
  uint32_t next_type_id = 1;
  StringMap<uint32_t> types;                                            // every stored type
  StringMap<StreamState> streams;                                       // bounded cache
  std::unordered_map<std::string, std::shared_ptr<GroupState>> groups;  // open groups

  // Reads everything but the stream cache (cleared) from disk: at start and
  // after an aborted transaction. Opens its own read transaction.
  Status load(Env& env);
};

// Re-reads every open group's cursor and pending entries from disk (after an
// aborted transaction). Defined with the consumer groups.
Status reload_group_states(Env& env, WriterState& st);

class WriteTxn {
 public:
  WriteTxn(Env& env, MDB_txn* txn, WriterState& st, IdTable& ids, int64_t now_ns);
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;

  Env& env;
  MDB_txn* const txn;
  const Dbs& dbs;
  WriterState& st;
  const int64_t now_ns;  // wall clock at the start of the transaction

  // The first LMDB error of this transaction (0: none). Any LMDB failure
  // fails the whole transaction: ops return the Status from fail().
  int rc() const noexcept { return rc_; }
  Status fail(int rc, std::string_view what);

  // found=false and OK when the key is absent.
  Status get(MDB_dbi dbi, std::string_view key, std::string_view& value, bool& found);
  Status put(MDB_dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
  // OK when the key was absent too.
  Status del(MDB_dbi dbi, std::string_view key);
  // A cursor on `dbi`, opened once per transaction (LMDB closes it at the end).
  Result<MDB_cursor*> cursor(MDB_dbi dbi);

  // The writer's state of a stream (from the cache, or read from disk).
  // REQUIRES: the name is valid. The pointer is valid until the next call.
  Result<StreamState*> stream_state(std::string_view name);
  // Writes the stream record of `s` (creation, delete flag, truncation).
  Status put_stream_record(std::string_view name, const StreamState& s);
  // The type's id, adding it to `types` (and the dictionary) when new.
  Result<uint32_t> type_id(std::string_view type);
  // Allocate ids; the meta counters are written by flush_indexes().
  uint64_t new_stream_id();
  uint64_t new_group_id();

  // ---- appending ----
  // Events appended in this transaction, for the commit notification.
  std::vector<StoredEvent> appended;
  // Ids written in this transaction -> seq (idempotency inside one commit).
  IdTable& batch_ids;
  Uuid batch_max_id;

  // Buffered index entries, inserted sorted by flush_indexes().
  void index_event_id(const Uuid& id, uint64_t seq);
  void index_stream(uint64_t stream_id, uint64_t version, uint64_t seq);
  void index_type(uint32_t type_id, uint64_t seq);
  void index_time(int64_t time_ns, uint64_t seq);
  void index_correlation(std::string_view correlation, uint64_t seq);
  // Inserts every buffered entry and the changed meta counters. Called
  // before any operation that reads indexes, and before the commit.
  Status flush_indexes();

 private:
  // A buffered index entry: its key as two integers (compared natively,
  // written big-endian) and a value (a seq, or none).
  struct Entry {
    uint64_t hi, lo, value;
    bool operator<(const Entry& o) const noexcept { return hi != o.hi ? hi < o.hi : lo < o.lo; }
  };
  struct CorrEntry {
    std::string_view correlation;  // into an event the transaction holds
    uint64_t seq;
  };
  // key_hi_bytes: 8 (u64) or 4 (u32 type ids); with_value: 8-byte value or empty.
  Status insert_sorted(MDB_dbi dbi, std::vector<Entry>& entries, size_t key_hi_bytes,
                       bool with_value, const char* name);

  int rc_ = 0;
  MDB_cursor* cursors_[16] = {};
  MDB_dbi cursor_dbi_[16] = {};
  size_t n_cursors_ = 0;
  std::vector<Entry> ids_, stream_idx_, time_idx_, type_idx_;
  std::vector<CorrEntry> corr_idx_;
  bool stream_counter_dirty_ = false, type_counter_dirty_ = false, group_counter_dirty_ = false;
};

// One queued write operation. The writer runs apply() inside a group-commit
// transaction, then complete() once the commit met the durability policy (or
// the transaction failed). apply() records expected failures (a conflict)
// in the op and returns OK. A non-OK return with an LMDB error (through
// WriteTxn::fail) fails the transaction and every op in it; a non-OK return
// without one (corrupt bytes met halfway) fails only this op: the writer
// aborts, completes it with the error and runs the others again.
class WriteOp {
 public:
  virtual ~WriteOp() = default;
  virtual Status apply(WriteTxn& w) = 0;
  // Forget what apply() recorded: the batch is retried (after a map growth).
  virtual void reset() {}
  // txn_status: OK when committed (and durable per policy). The op may
  // delete itself here; the writer does not touch it afterwards.
  virtual void complete(const Status& txn_status) = 0;
  // Appends do not read indexes; others see every earlier op's entries.
  virtual bool is_append() const { return false; }
  // Events this op may add (the per-transaction cap).
  virtual size_t weight() const { return 1; }

  WriteOp* next_op = nullptr;  // the writer's queue link
};

// A one-shot signal for a caller that waits for its op.
class Completion {
 public:
  void signal() {
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_one();
  }
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return done_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

// An op made of a function, for callers that submit it and wait: FnOp op(fn);
// writer.submit(&op); Status s = op.wait(); (the op lives on the caller's
// stack). `fn` records its own outcome in variables the caller owns.
class FnOp final : public WriteOp {
 public:
  explicit FnOp(std::function<Status(WriteTxn&)> fn, std::function<void()> on_reset = {})
      : fn_(std::move(fn)), on_reset_(std::move(on_reset)) {}
  Status apply(WriteTxn& w) override { return fn_(w); }
  void reset() override {
    if (on_reset_) on_reset_();
  }
  void complete(const Status& txn_status) override {
    txn_status_ = txn_status;
    done_.signal();
  }
  // The transaction's status (the op's own outcome is wherever fn put it).
  Status wait() {
    done_.wait();
    return txn_status_;
  }

 private:
  std::function<Status(WriteTxn&)> fn_;
  std::function<void()> on_reset_;
  Completion done_;
  Status txn_status_;
};

}  // namespace chorus::store
