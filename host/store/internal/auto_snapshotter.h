// AutoSnapshotter: automatic snapshots (docs/store.md "Snapshots"). A fold
// is registered for a glob of stream names, and a snapshot is then taken
// every N versions of a matching stream by one background thread, fed from
// commit notifications: it rebuilds the state (snapshots.h state_as_of) and
// saves it through the writer.
//
// Threading: add_rule(), stop() and drain() from any thread; commit
// notifications arrive on the store's completion thread and only queue jobs.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/types.h"

namespace chorus::store {

class Env;
class Writer;

// Takes automatic snapshots (one background thread).
class AutoSnapshotter {
 public:
  AutoSnapshotter(Env& env, Writer& writer);
  ~AutoSnapshotter();  // stop()
  // Streams matching `glob` get a snapshot at every multiple of `every`.
  void add_rule(std::string glob, uint64_t every, Fold fold);
  void stop();
  // Waits until every snapshot due for commits so far was taken (tests).
  void drain();

 private:
  struct Rule {
    std::string glob;
    uint64_t every;
    Fold fold;
  };
  struct Job {
    std::string stream;
    uint64_t version;
    size_t rule;
  };
  void on_commit(const std::shared_ptr<const CommittedBatch>& batch);
  void run();

  Env& env_;
  Writer& writer_;
  uint64_t listener_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Rule> rules_;
  std::deque<Job> jobs_;
  bool stopping_ = false, busy_ = false;
  std::thread thread_;
};

}  // namespace chorus::store
