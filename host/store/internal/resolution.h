// Resolving dead letters (docs/store-format.md "dead-letter resolution"):
// the writer op that checks a dead letter exists and appends its
// resolution to $dead-letters-resolved in one transaction, and the decoder
// of a stored resolution event.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/dead_letter.h"
#include "store/internal/write_op.h"
#include "store/types.h"

namespace chorus::store {

// One resolution, submitted and waited for by its caller (it lives on the
// caller's stack). Idempotency comes from the resolution's id, derived from
// the dead letter's version: a second resolution is a duplicate append.
class ResolveOp final : public WriteOp {
 public:
  // REQUIRES: check_resolution() accepted the arguments.
  ResolveOp(uint64_t dead_letter_version, Resolution how, std::string_view note);
  Status apply(WriteTxn& w) override;
  void reset() override { result_ = Status::Internal("not applied"); }
  void complete(const Status& txn_status) override;
  Result<ResolveOutcome> wait();

 private:
  const uint64_t version_;
  const Resolution how_;
  const std::string note_;
  Result<ResolveOutcome> result_ = Status::Internal("not applied");
  Completion done_;
};

// InvalidArgument naming what is wrong with a resolution's arguments.
Status check_resolution(uint64_t dead_letter_version, Resolution how, std::string_view note);

// The resolution a stored event of $dead-letters-resolved holds.
// Corruption naming `path`, the stream and the event's version when it is
// not one.
Result<DeadLetterResolution> decode_resolution(const std::string& path, const StoredEvent& e);

}  // namespace chorus::store
