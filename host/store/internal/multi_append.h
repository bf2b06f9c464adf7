// A multi-stream append (EventStore::append_multi): several append batches,
// each to its own stream, applied in one writer transaction, all or nothing
// (docs/store.md "Multi-stream appends"). Validation runs on the caller's
// thread (prepare_multi_append), the batches on the writer thread.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "store/internal/append.h"
#include "store/internal/write_op.h"
#include "store/types.h"

namespace chorus::store {

// Bounds of one multi-stream append.
inline constexpr size_t kMaxMultiAppendParts = 64;

// Checks the parts (1..kMaxMultiAppendParts, no stream twice, no event id
// twice across parts, no store-owned system stream) and prepares each
// batch (prepare_append with system streams allowed).
Status prepare_multi_append(std::span<const StreamAppend> parts,
                            std::vector<std::unique_ptr<AppendSpec>>& out);

class MultiAppendOp final : public WriteOp {
 public:
  std::vector<std::unique_ptr<AppendSpec>> specs;
  MultiAppendResult result;
  // Exactly one of these: the callback (the op deletes itself after it),
  // or a waiter (the op lives on the waiting caller's stack).
  MultiAppendCallback callback;
  Completion* waiter = nullptr;

  // Applies the batches in order. A batch that fails (a conflict) after an
  // earlier one wrote returns its error, so that the writer aborts this op's
  // writes and completes it with that error (write_op.h); a failure of the
  // first batch writes nothing and is recorded.
  Status apply(WriteTxn& w) override;
  void reset() override;
  void complete(const Status& txn_status) override;
  bool is_append() const override { return true; }
  size_t weight() const override;
};

}  // namespace chorus::store
