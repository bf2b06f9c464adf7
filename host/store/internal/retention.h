// Retention and soft deletes (docs/store.md "Retention").
//
// Rules (StoreOptions::retention) give a max age and/or a max count per glob
// of stream names; "$global" covers the events without a stream. A stream's
// old events are removed by raising its truncate_before (reads skip them at
// once) and then deleting them — the events and every index entry, and the
// snapshots below the new first version — in transactions of at most
// retention_batch events, each queued on the writer between appends. A soft
// delete (EventStore::delete_stream) raises truncate_before to the version
// after the last one and marks the stream deleted; the same task removes the
// events.
//
// Threading: run_once() from any thread (one at a time: it holds a mutex);
// the background thread calls it every retention_interval, and at once after
// wake() (a delete).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"
#include "store/store_options.h"
#include "store/types.h"

namespace chorus::store {

class Env;
class Writer;

class Retention {
 public:
  Retention(Env& env, Writer& writer, const StoreOptions& options);
  ~Retention();  // stop()

  // Applies every rule and completes pending deletes now.
  Result<RetentionReport> run_once();
  // Starts the background thread (when retention_interval > 0).
  void start();
  void wake();
  void stop();

 private:
  void run();
  // Raises truncate_before of `stream` to at least `before` and deletes what
  // lies below, in small transactions.
  Status truncate_stream(const std::string& stream, uint64_t before, RetentionReport& report);
  Status trim_global(const RetentionRule& rule, int64_t now_ns, RetentionReport& report);

  Env& env_;
  Writer& writer_;
  const StoreOptions options_;
  std::mutex run_mu_;  // one run at a time
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false, woken_ = false;
  std::thread thread_;
};

}  // namespace chorus::store
