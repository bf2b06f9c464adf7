// The writer thread: queue, group commit, durability, map growth, commit
// notifications. See writer.h for the contract.
#include "store/internal/writer.h"

#include <algorithm>

#include <fmt/core.h>

#include "core/clock.h"
#include "store/internal/group_state.h"
#include "store/internal/log.h"
#include "store/internal/write_txn.h"

namespace chorus::store {
namespace {

// The stream cache is cleared between transactions beyond this many entries.
constexpr size_t kStreamCacheMax = 200'000;

}  // namespace

Writer::Writer(Env& env, const StoreOptions& options) : env_(env), options_(options) {}

Writer::~Writer() {
  stop();
}

Status Writer::start() {
  CHORUS_RETURN_IF_ERROR(state_.load(env_));
  durable_seq_.store(state_.next_seq - 1, std::memory_order_release);
  last_sync_ = Clock::now();
  started_ = true;
  if (options_.durability == Durability::kAlways) syncer_ = std::thread([this] { run_syncer(); });
  thread_ = std::thread([this] { run(); });
  return Status::OK();
}

void Writer::submit(WriteOp* op) {
  submitting_.fetch_add(1, std::memory_order_seq_cst);
  if (!started_ || closed_.load(std::memory_order_seq_cst)) {
    submitting_.fetch_sub(1);
    op->complete(Status::Unavailable(fmt::format("store {}: the store is closed", env_.path())));
    return;
  }
  WriteOp* head = inbox_.load(std::memory_order_relaxed);
  do {
    op->next_op = head;
  } while (!inbox_.compare_exchange_weak(head, op, std::memory_order_seq_cst,
                                         std::memory_order_relaxed));
  if (idle_.load(std::memory_order_seq_cst)) {
    std::lock_guard lock(mu_);
    cv_.notify_one();
  }
  submitting_.fetch_sub(1, std::memory_order_seq_cst);
}

void Writer::take_inbox() {
  WriteOp* list = inbox_.exchange(nullptr, std::memory_order_acquire);
  if (!list) return;
  // The stack is newest first: reverse it onto the end of pending_.
  WriteOp* reversed = nullptr;
  while (list) {
    WriteOp* next = list->next_op;
    list->next_op = reversed;
    reversed = list;
    list = next;
  }
  for (; reversed; reversed = reversed->next_op)
    pending_.push_back(reversed);
}

void Writer::fail_queued() {
  take_inbox();
  const Status closed =
      Status::Unavailable(fmt::format("store {}: the store is closed", env_.path()));
  while (!pending_.empty()) {
    WriteOp* op = pending_.front();
    pending_.pop_front();
    op->complete(closed);
  }
}

void Writer::stop() {
  std::lock_guard stop_lock(stop_mu_);
  if (!started_ || closed_.load()) return;
  stopping_.store(true);
  {
    std::lock_guard lock(mu_);
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  // The writer has handed over its last commit: the syncer makes it durable
  // and completes it before it ends.
  {
    std::lock_guard lock(sync_mu_);
    sync_stop_ = true;
  }
  sync_cv_.notify_one();
  if (syncer_.joinable()) syncer_.join();
  // Late submitters either see closed_ or finish pushing before we drain.
  closed_.store(true, std::memory_order_seq_cst);
  while (submitting_.load(std::memory_order_seq_cst) != 0)
    std::this_thread::yield();
  fail_queued();
  wake_waiters();
}

uint64_t Writer::wait_durable(uint64_t seq, Clock::time_point deadline) {
  std::unique_lock lock(durable_mu_);
  const uint64_t gen = wake_generation_;
  durable_cv_.wait_until(lock, deadline, [&] {
    return durable_seq_.load(std::memory_order_acquire) > seq || wake_generation_ != gen;
  });
  return durable_seq_.load(std::memory_order_acquire);
}

void Writer::wake_waiters() {
  {
    std::lock_guard lock(durable_mu_);
    ++wake_generation_;
  }
  durable_cv_.notify_all();
}

uint64_t Writer::add_listener(CommitListener listener) {
  std::lock_guard lock(listeners_mu_);
  const uint64_t id = next_listener_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void Writer::remove_listener(uint64_t id) {
  std::lock_guard lock(listeners_mu_);
  listeners_.erase(id);
}

WriterStats Writer::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

void Writer::run() {
  std::vector<WriteOp*> batch;
  const bool interval = options_.durability == Durability::kInterval;
  for (;;) {
    batch.clear();
    take_inbox();
    if (pending_.empty()) {
      const bool sync_due =
          !unsynced_.empty() &&
          (stopping_.load() || Clock::now() >= last_sync_ + options_.sync_interval);
      if (!sync_due) {
        if (stopping_.load()) {  // (and nothing unsynced: else a sync would be due)
          // Ops submitted before stop() must still run: look once more
          // after seeing the flag (their push precedes it).
          take_inbox();
          if (pending_.empty()) break;
          continue;
        }
        // Sleep until a submit (or the next sync). idle_ first, then look
        // again: a producer either sees idle_ or its op is seen here.
        std::unique_lock lock(mu_);
        idle_.store(true, std::memory_order_seq_cst);
        auto ready = [&] {
          return inbox_.load(std::memory_order_seq_cst) != nullptr || stopping_.load();
        };
        if (unsynced_.empty()) {
          cv_.wait(lock, ready);
        } else {
          cv_.wait_until(lock, last_sync_ + options_.sync_interval, ready);
        }
        idle_.store(false, std::memory_order_relaxed);
        continue;
      }
    }
    // Take queued ops up to the per-transaction cap (at least one).
    size_t events = 0;
    while (!pending_.empty() &&
           (batch.empty() || events + pending_.front()->weight() <= options_.max_events_per_txn)) {
      events += pending_.front()->weight();
      batch.push_back(pending_.front());
      pending_.pop_front();
    }
    if (!batch.empty()) run_batch(batch);
    if (interval && !unsynced_.empty()) {
      const bool idle = pending_.empty() && inbox_.load() == nullptr;
      if ((stopping_.load() && idle) || Clock::now() >= last_sync_ + options_.sync_interval) {
        sync_and_finish(unsynced_);
        last_sync_ = Clock::now();
      }
    }
  }
  if (options_.durability == Durability::kNone) {
    if (Status s = env_.sync(); !s.ok()) store_log()->error("{}", s.message());
  }
}

void Writer::run_batch(std::vector<WriteOp*>& ops) {
  if (state_.streams.size() > kStreamCacheMax) state_.streams.clear();
  Status status;
  std::shared_ptr<CommittedBatch> committed;
  for (int attempt = 0;; ++attempt) {
    auto begun = env_.begin_write();
    if (!begun.ok()) {
      status = begun.error();
      break;
    }
    MDB_txn* txn = *begun;
    int rc = 0;
    const auto t_apply = Clock::now();
    WriteOp* culprit = nullptr;  // an op that failed on its own (not LMDB)
    {
      WriteTxn w(env_, txn, state_, batch_ids_, index_buffer_, wall_clock_ns());
      for (WriteOp* op : ops) {
        if (!op->is_append()) status = w.flush();
        if (status.ok()) {
          status = op->apply(w);
          if (!status.ok() && w.rc() == 0) culprit = op;
        }
        if (!status.ok()) break;
      }
      if (status.ok()) status = w.flush();
      rc = w.rc();
      if (status.ok()) {
        const auto t_commit = Clock::now();
        status = w.commit(&rc);
        std::lock_guard lock(stats_mu_);
        stats_.apply_ns +=
            static_cast<uint64_t>(std::chrono::nanoseconds(t_commit - t_apply).count());
        stats_.commit_ns +=
            static_cast<uint64_t>(std::chrono::nanoseconds(Clock::now() - t_commit).count());
      } else {
        w.abort();
      }
      if (status.ok()) {
        committed = std::make_shared<CommittedBatch>();
        committed->events = std::move(w.appended);
        if (!committed->events.empty()) {
          committed->first_seq = committed->events.front().seq;
          committed->last_seq = committed->events.back().seq;
          if (w.batch_max_id > state_.max_id) state_.max_id = w.batch_max_id;
        }
        break;
      }
    }
    // The transaction left nothing behind: reload what the writer caches.
    if (Status s = state_.load(env_); !s.ok())
      store_log()->error("reloading the writer state: {}", s.message());
    if (Status s = reload_group_states(env_, state_); !s.ok())
      store_log()->error("reloading consumer groups: {}", s.message());
    if (culprit) {
      // The op failed after it may have written: it completes with its
      // error and the others run again without it.
      ops.erase(std::find(ops.begin(), ops.end(), culprit));
      culprit->complete(status);
      for (WriteOp* op : ops)
        op->reset();
      status = Status::OK();
      if (ops.empty()) return;
      continue;
    }
    if (rc == MDB_MAP_FULL && attempt < 16) {
      Status g = env_.grow(16u << 20);
      if (g.ok()) {
        std::lock_guard lock(stats_mu_);
        ++stats_.map_growths;
      }
      if (g.ok()) {
        for (WriteOp* op : ops)
          op->reset();
        status = Status::OK();
        continue;
      }
      status = g;
    } else if (rc == MDB_TXN_FULL && ops.size() > 1) {
      // Too many dirty pages for one transaction: run the ops one by one.
      for (WriteOp* op : ops)
        op->reset();
      std::vector<WriteOp*> one(1);
      for (WriteOp* op : ops) {
        one[0] = op;
        run_batch(one);
      }
      return;
    }
    break;
  }
  if (!status.ok()) {
    store_log()->error("transaction of {} operation{} failed: {}", ops.size(),
                       ops.size() == 1 ? "" : "s", status.message());
    for (WriteOp* op : ops)
      op->complete(status);
    return;
  }
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.transactions;
    stats_.events += committed->events.size();
  }
  if (options_.durability == Durability::kInterval) {
    unsynced_.push_back(Pending{std::move(committed), ops});  // run() syncs when due
  } else if (options_.durability == Durability::kAlways) {
    // Durable after the syncer's next fdatasync (its meta page is not yet).
    {
      std::lock_guard lock(sync_mu_);
      to_sync_.push_back(Pending{std::move(committed), ops});
    }
    sync_cv_.notify_one();
  } else {
    finish(std::move(committed), ops);
  }
  if (env_.should_grow()) {
    if (Status g = env_.grow(0); !g.ok()) {
      store_log()->warn("{}", g.message());
    } else {
      std::lock_guard lock(stats_mu_);
      ++stats_.map_growths;
    }
  }
}

void Writer::run_syncer() {
  std::deque<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(sync_mu_);
      sync_cv_.wait(lock, [&] { return !to_sync_.empty() || sync_stop_; });
      if (to_sync_.empty()) return;  // stopping, and everything is durable
      batch.swap(to_sync_);
    }
    sync_and_finish(batch);
  }
}

void Writer::sync_and_finish(std::deque<Pending>& pending) {
  const auto t0 = Clock::now();
  // sync_file(), not sync(): with `always` this runs beside the writer's
  // transactions and map growths.
  Status s = env_.sync_file();
  {
    std::lock_guard lock(stats_mu_);
    ++stats_.syncs;
    stats_.sync_ns += static_cast<uint64_t>(std::chrono::nanoseconds(Clock::now() - t0).count());
  }
  // The data is committed but if its sync failed the ops get the failure
  // (the events may or may not survive a power loss; a retry is idempotent).
  if (!s.ok()) store_log()->error("{}", s.message());
  for (Pending& p : pending) {
    if (s.ok()) {
      finish(std::move(p.batch), p.ops);
    } else {
      for (WriteOp* op : p.ops)
        op->complete(s);
    }
  }
  pending.clear();
}

void Writer::finish(std::shared_ptr<CommittedBatch> batch, std::vector<WriteOp*>& ops) {
  const auto t0 = Clock::now();
  if (batch->last_seq != 0) {
    {
      std::lock_guard lock(durable_mu_);
      durable_seq_.store(batch->last_seq, std::memory_order_release);
    }
    durable_cv_.notify_all();
    notify_committed(batch);
  }
  for (WriteOp* op : ops)
    op->complete(Status::OK());
  std::lock_guard lock(stats_mu_);
  stats_.complete_ns += static_cast<uint64_t>(std::chrono::nanoseconds(Clock::now() - t0).count());
}

void Writer::notify_committed(const std::shared_ptr<CommittedBatch>& batch) {
  std::lock_guard lock(listeners_mu_);
  for (auto& [id, fn] : listeners_)
    fn(batch);
}

}  // namespace chorus::store
