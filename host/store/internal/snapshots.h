// Snapshots and state reconstruction (docs/store.md "Snapshots"): saving
// one (a writer op), loading the latest at or before a version, and the
// state of a stream as of a version.
//
// A snapshot is opaque state bytes saved for a stream at a version
// (docs/store-format.md "snapshot value"). The state of a stream as of
// version V is the latest snapshot at or before V plus the events after it
// up to V, handed in order to a caller-supplied fold.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/internal/write_op.h"
#include "store/types.h"

namespace chorus::store {

class Env;

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

}  // namespace chorus::store
