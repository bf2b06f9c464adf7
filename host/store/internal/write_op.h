// WriteOp: one operation queued to the writer (writer.h), and the two ways
// a caller waits for one: Completion (a one-shot signal) and FnOp (an op
// made of a function, living on the waiting caller's stack).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>

#include "core/status.h"

namespace chorus::store {

class WriteTxn;

// The writer runs apply() inside a group-commit transaction, then
// complete() once the commit met the durability policy (or the transaction
// failed). apply() records expected failures (a conflict) in the op and
// returns OK. A non-OK return with an LMDB error (through WriteTxn::fail)
// fails the transaction and every op in it; a non-OK return without one
// (corrupt bytes met halfway) fails only this op: the writer aborts,
// completes it with the error and runs the others again.
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
// stack). `fn` records its own outcome in variables the caller owns;
// `on_reset` forgets it when the batch is retried.
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
