// The crash matrix of `chorus test --crash-matrix` (docs/lua.md "Crash
// matrix"): what one run of a test case recorded (its history records, by
// store transaction), which crash a rerun simulates, the copy of a store's
// committed prefix a restarted host recovers from, and the outcome the
// crashed runs must share with the normal one. The harness in
// test_runner.cpp drives it; nothing here touches the engine.
//
// A crash is simulated without any hook in the engine: the test host's
// store commits every append in its own transaction (max_events_per_txn 1),
// so its commit listener sees exactly the transactions the engine made; the
// host is then thrown away and a new one starts on a fresh store holding the
// old one's first `cut` events (same ids, streams, versions and global
// seqs), which is the store a SIGKILL right after event `cut` leaves.
//
// Threading: RecordTracker is thread-safe (its listener runs on the store's
// completion thread); the rest is plain functions for the harness's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "store/types.h"

namespace chorus::store {
class EventStore;
}

namespace chorus::workflows {

// One history record ($wf-<id>) and the store transaction it was part of.
struct RecordMark {
  uint64_t first_seq = 0, last_seq = 0;  // of its transaction
  std::string what;                      // "wf.command seq 2 publish 'approval.pending'"
};

// Where a rerun crashes, after history record k (1-based) of the normal run:
//   kAfterRecord  right after record k's transaction committed (nothing
//                 the host did after it is kept);
//   kBeforeNext   as late as possible before record k+1: everything the
//                 host stored after record k (lifecycle events, requests,
//                 replies, what handlers published) is kept, up to record
//                 k+1's transaction or the test's next publish or advance,
//                 whichever comes first. This is where an effect that is
//                 only at least once (a request, a handler that ignores the
//                 idempotency key) shows up twice.
enum class CrashPoint : uint8_t { kAfterRecord, kBeforeNext };

struct CrashPlan {
  CrashPoint point = CrashPoint::kAfterRecord;
  size_t k = 0;  // 0: no crash (the normal run)
};

// Watches a store's commits (add its listener() to the store) and decides
// when the plan's crash point is reached.
class RecordTracker {
 public:
  explicit RecordTracker(CrashPlan plan) : plan_(plan) {}

  // For EventStore::add_commit_listener.
  void on_commit(const store::CommittedBatch& batch);
  // The test is about to publish or advance. Returns the cut (the last seq
  // to keep) when a kBeforeNext crash is due now, else 0.
  uint64_t before_action();
  // The cut of a crash the commits reached (0: none yet); taken once.
  uint64_t take_cut();
  bool crashed() const;
  // The host restarted on a copy of the first `cut` events: records the
  // old host committed after them are forgotten (the new one writes them
  // again).
  void restarted(uint64_t cut);
  uint64_t last_seq() const;  // the last committed seq seen

  std::vector<RecordMark> records() const;
  // The last committed seq at each publish or advance of the test.
  std::vector<uint64_t> action_marks() const;

 private:
  mutable std::mutex mu_;
  CrashPlan plan_;
  std::vector<RecordMark> records_;
  std::vector<uint64_t> actions_;
  uint64_t last_seq_ = 0;
  uint64_t cut_ = 0;        // a crash the listener decided, not yet taken
  bool crash_due_ = false;  // decided (taken or not): no second crash
};

// The crashes worth running, from the normal run's records and action
// marks: kAfterRecord for each record whose transaction is not also the
// next record's, kBeforeNext where the normal run stored something between
// record k and the kBeforeNext cut (else it is the same store).
std::vector<CrashPlan> crash_plans(const std::vector<RecordMark>& records,
                                   const std::vector<uint64_t>& action_marks);

// "crash after record 3 of 7: wf.command seq 2 publish 'approval.pending'"
// (kBeforeNext: "... and what the host stored after it").
std::string describe_crash(const CrashPlan& plan, const std::vector<RecordMark>& records);

// Appends the events of `from` with seq 1..last_seq to the empty store `to`,
// in order, each to its stream; fails when a seq or a stream version would
// differ (the copy must be the same store up to there).
Status copy_prefix(store::EventStore& from, uint64_t last_seq, store::EventStore& to);

// What a run ended with: each instance's end (workflow, status), and the
// count of each type of the effects it stored. Effects are the stored
// events but the engine's records and lifecycle events, the test's own
// publishes, requests (at least once by contract: they carry an
// idempotency key) and replies.
struct Outcome {
  std::multimap<std::string, std::string> ends;  // workflow -> status
  std::map<std::string, size_t> effects;         // type -> count
  std::vector<std::string> errors;  // "numbered suspended: ..." of instances that did not end well
};
Result<Outcome> read_outcome(store::EventStore& store, std::string_view harness_source);
// "" when the same, else what differs ("equipment.configure stored 2 times
// (1 in the normal run); ...").
std::string compare_outcomes(const Outcome& normal, const Outcome& crashed);

}  // namespace chorus::workflows
