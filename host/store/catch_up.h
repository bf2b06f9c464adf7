// Catch-up subscriptions (docs/store.md "Catch-up subscriptions"): deliver
// the history after a position (of the whole log, or of one stream) and
// then live events, every event exactly once and in order, also while
// appends race with the catch-up.
//
// How there is no gap and no duplicate: the subscription registers its
// commit listener *before* it reads history, so every commit from then on
// is queued; it reads history page by page up to the durable sequence
// number; then it takes queued commits, skipping anything at or before its
// position and reading from the store whatever lies between its position
// and a queued commit (a gap appears when the queue overflowed, or for
// commits older than the listener). Only events whose commit met the
// durability policy are delivered.
//
// Threading: each subscription owns one thread, which calls the handlers in
// order. Handlers must not call stop() on their own subscription; they may
// call any other store function. stop() and the destructor wait for the
// thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"
#include "store/types.h"

namespace chorus::store {

class Env;
class Writer;

struct CatchUpOptions {
  std::string stream;  // empty: the whole log (positions are seqs); else versions of this stream
  uint64_t after = 0;  // deliver events after this position (0: from the start)
  size_t page = 512;   // history read per transaction
  std::function<void(const StoredEvent&)> on_event;  // required
  std::function<void()> on_live;                     // once, when history is delivered
  std::function<void(const Status&)> on_error;       // the subscription stopped on an error
};

class CatchUpSubscription {
 public:
  // Use EventStore::subscribe().
  CatchUpSubscription(Env& env, Writer& writer, CatchUpOptions options);
  ~CatchUpSubscription();
  CatchUpSubscription(const CatchUpSubscription&) = delete;
  CatchUpSubscription& operator=(const CatchUpSubscription&) = delete;

  void start();
  void stop();
  // The last position delivered (seq, or version for a stream).
  uint64_t position() const noexcept { return position_.load(std::memory_order_acquire); }
  bool live() const noexcept { return live_.load(std::memory_order_acquire); }

 private:
  void on_commit(const std::shared_ptr<const CommittedBatch>& batch);
  void run();
  // Reads from the store everything after position_ up to `upto` (a seq);
  // false when stopping or on an error (reported).
  bool read_history(uint64_t upto);
  bool deliver(const StoredEvent& e);
  void fail(const Status& s);

  Env& env_;
  Writer& writer_;
  const CatchUpOptions options_;
  uint64_t listener_ = 0;
  std::thread thread_;
  std::atomic<uint64_t> position_{0};
  std::atomic<bool> live_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<const CommittedBatch>> queue_;
  bool overflowed_ = false, stopping_ = false;
  uint64_t stream_id_ = 0;
};

}  // namespace chorus::store
