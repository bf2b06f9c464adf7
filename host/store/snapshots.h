// Snapshots and state reconstruction (docs/store.md "Snapshots").
//
// A snapshot is opaque state bytes saved for a stream at a version. The state
// of a stream as of version V is the latest snapshot at or before V plus
// the events after it up to V, handed in order to a caller-supplied fold.
// Optionally a fold is registered for a glob of stream names, and a snapshot
// is then taken automatically every N versions of a matching stream, by a
// background thread fed from commit notifications.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "store/env.h"
#include "store/types.h"
#include "store/write_txn.h"

namespace chorus::store {

class Writer;

struct Snapshot {
  uint64_t version = 0;
  int64_t saved_ns = 0;
  std::string state;
};

// Applies one event to the state. A non-OK status stops the rebuild and is
// returned by state_as_of().
using Fold = std::function<Status(std::string& state, const StoredEvent& event)>;

struct RebuiltState {
  std::string state;
  uint64_t version = 0;           // the version the state is as of
  uint64_t snapshot_version = 0;  // the snapshot it started from (0: none)
  uint64_t events_folded = 0;
};

// Saves a snapshot (writer op). InvalidArgument when the stream does not
// exist or `version` is 0 or beyond its current version.
class SaveSnapshotOp final : public WriteOp {
 public:
  SaveSnapshotOp(std::string stream, uint64_t version, std::string state);
  Status apply(WriteTxn& w) override;
  void reset() override { result_ = Status::OK(); }
  void complete(const Status& txn_status) override;
  Status wait();  // for the caller that submitted it

 private:
  std::string stream_, state_;
  uint64_t version_;
  Status result_;
  Completion done_;
};

// The latest snapshot of `stream` at or before `version` (kEnd: the latest);
// nullopt when there is none. NotFound when the stream does not exist.
Result<std::optional<Snapshot>> load_snapshot(Env& env, std::string_view stream, uint64_t version);

// The state of `stream` as of `version` (kEnd: its current version).
// InvalidArgument for a version beyond the current one; FailedPrecondition
// when events needed were deleted by retention and no snapshot covers them.
// The fold runs on the calling thread, outside any transaction.
Result<RebuiltState> state_as_of(Env& env, std::string_view stream, uint64_t version,
                                 const Fold& fold);

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
