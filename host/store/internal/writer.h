// Writer: the one thread that owns every write transaction (group commit).
//
// Any thread submits WriteOps; the writer takes everything queued (up to
// StoreOptions::max_events_per_txn events), runs it in one transaction,
// commits, and then — once the commit meets the durability policy — tells
// the commit listeners and completes every op:
//   always    the environment runs with MDB_NOMETASYNC: a commit fsyncs its
//             data pages and writes its meta page without syncing it. The
//             writer hands the commit to the syncer thread and starts the
//             next transaction at once; the syncer runs one fdatasync for
//             every commit handed over since its last one (making their meta
//             pages durable) and then completes their ops. So the next
//             transaction's work overlaps the sync that makes the last one
//             durable, and a burst of commits shares one sync.
//   interval  the environment runs with MDB_NOSYNC; the writer syncs at most
//             every sync_interval and completes the ops of every commit
//             since the last sync after it.
//   none      ops complete after the commit (the data is in the page
//             cache: a process crash loses nothing, a power loss may).
// When a transaction fails with MDB_MAP_FULL the writer aborts it, grows the
// map (no transaction open: see env.h) and runs the batch again; after each
// commit it grows the map ahead of need. Any other failure of the
// transaction fails every op in it and nothing of it is visible.
//
// Successful ops complete in commit order; an op whose transaction failed
// completes at once (possibly before earlier ops still waiting for a sync).
//
// Threading: submit(), durable_seq(), wait_durable(), add/remove_listener()
// from any thread. Listeners and op completions run on the store's
// completion thread (the syncer with `always`, the writer otherwise), one at
// a time, and must not block on the store. stop() from any thread but those.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "store/internal/env.h"
#include "store/internal/id_table.h"
#include "store/internal/index_buffer.h"
#include "store/internal/write_op.h"
#include "store/internal/writer_state.h"
#include "store/store_options.h"
#include "store/types.h"

namespace chorus::store {

struct WriterStats {
  uint64_t transactions = 0, events = 0, syncs = 0, map_growths = 0;
  // Where the writer's time goes (ns): running ops and inserting index
  // entries; mdb_txn_commit (page writes, and the fsync with `always`);
  // completing ops and notifying listeners (with `always`, on the syncer);
  // syncs (the syncer's fdatasyncs with `always`, the writer's with `interval`).
  uint64_t apply_ns = 0, commit_ns = 0, complete_ns = 0, sync_ns = 0;
};

class Writer {
 public:
  using Clock = std::chrono::steady_clock;

  Writer(Env& env, const StoreOptions& options);
  ~Writer();  // stop()
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Loads the writer state from disk and starts the thread.
  Status start();
  // Queues `op`; it completes exactly once, on the completion thread (or
  // here, with Unavailable, after stop()).
  void submit(WriteOp* op);
  // Runs what is queued, syncs, and joins the thread. Idempotent.
  void stop();

  // The last seq whose commit met the durability policy.
  uint64_t durable_seq() const noexcept { return durable_seq_.load(std::memory_order_acquire); }
  // Waits until durable_seq() > seq, something calls wake_waiters(), or the
  // deadline. Returns durable_seq().
  uint64_t wait_durable(uint64_t seq, Clock::time_point deadline);
  // Wakes every wait_durable() (consumer groups use it after a nack).
  void wake_waiters();

  uint64_t add_listener(CommitListener listener);
  // After it returns the listener is not running and will not run again.
  // REQUIRES: not called from inside a listener.
  void remove_listener(uint64_t id);

  WriterStats stats() const;

 private:
  struct Pending {  // committed, waiting for a sync
    std::shared_ptr<CommittedBatch> batch;
    std::vector<WriteOp*> ops;
  };

  void run();
  // Moves the inbox into pending_ (in submission order).
  void take_inbox();
  // Completes with Unavailable everything still queued (after the thread ended).
  void fail_queued();
  void run_batch(std::vector<WriteOp*>& ops);
  void finish(std::shared_ptr<CommittedBatch> batch, std::vector<WriteOp*>& ops);
  // Syncs the data file, then finishes every commit in `pending` (or fails
  // its ops with the sync's error), and empties it.
  void sync_and_finish(std::deque<Pending>& pending);
  void run_syncer();  // `always`: the syncer thread
  // Calls every commit listener with `batch` (on the completion thread).
  void notify_committed(const std::shared_ptr<CommittedBatch>& batch);

  Env& env_;
  const StoreOptions options_;
  WriterState state_;
  IdTable batch_ids_;         // reused by every transaction
  IndexBuffer index_buffer_;  // reused by every transaction (keeps its capacity)
  std::thread thread_;

  // The queue: producers push onto a lock-free stack (inbox_); the writer
  // takes it whole, reverses it into `pending_` (submission order) and
  // sleeps on cv_ when both are empty. `idle_` tells producers to wake it.
  std::atomic<WriteOp*> inbox_{nullptr};
  std::deque<WriteOp*> pending_;  // writer thread only
  std::atomic<bool> idle_{false}, stopping_{false}, closed_{false};
  std::atomic<int> submitting_{0};
  std::mutex mu_;  // with cv_: the writer's sleep
  std::condition_variable cv_;
  bool started_ = false;
  std::mutex stop_mu_;

  std::deque<Pending> unsynced_;  // `interval`; writer thread only
  Clock::time_point last_sync_{};

  // `always`: commits waiting for the syncer's next fdatasync.
  std::thread syncer_;
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::deque<Pending> to_sync_;  // guarded by sync_mu_
  bool sync_stop_ = false;       // guarded by sync_mu_

  std::atomic<uint64_t> durable_seq_{0};
  std::mutex durable_mu_;
  std::condition_variable durable_cv_;
  uint64_t wake_generation_ = 0;

  std::mutex listeners_mu_;
  std::map<uint64_t, CommitListener> listeners_;
  uint64_t next_listener_ = 1;

  mutable std::mutex stats_mu_;
  WriterStats stats_;
};

}  // namespace chorus::store
