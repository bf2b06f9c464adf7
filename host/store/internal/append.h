// Appending: the semantics of one append batch (docs/store.md "Appends").
// prepare_append() runs on the caller's thread (validation, filling in the
// stream field, encoding the records), apply_append() on the writer thread
// inside the group-commit transaction (idempotency, expected version, the
// event and its index entries). AppendOp carries one batch through the
// writer's queue, completing through a callback or a waiting caller.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/event.h"
#include "store/internal/write_op.h"
#include "store/internal/writer_state.h"
#include "store/names.h"
#include "store/types.h"

namespace chorus::store {

class WriteTxn;

// Bounds of one append batch.
inline constexpr size_t kMaxAppendEvents = 100'000;
inline constexpr size_t kMaxAppendBytes = 256u << 20;

// A vector that keeps one element inline: a one-event append (the common
// case) then allocates nothing for it.
template <typename T>
class SmallVec {
 public:
  void reserve(size_t n) {
    if (n > 1) {
      inline_ = false;
      many_.reserve(n);
    }
  }
  void push_back(T v) {
    if (inline_ && n_ == 0) {
      one_ = std::move(v);
      n_ = 1;
      return;
    }
    if (inline_) {
      inline_ = false;
      many_.push_back(std::move(one_));
    }
    many_.push_back(std::move(v));
    n_ = many_.size();
  }
  void clear() {
    one_ = T{};
    many_.clear();
    inline_ = true;
    n_ = 0;
  }
  size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  T& operator[](size_t i) noexcept { return inline_ ? one_ : many_[i]; }
  const T& operator[](size_t i) const noexcept { return inline_ ? one_ : many_[i]; }
  T& back() noexcept { return (*this)[n_ - 1]; }
  const T* begin() const noexcept { return inline_ ? &one_ : many_.data(); }
  const T* end() const noexcept { return begin() + n_; }

 private:
  T one_{};
  std::vector<T> many_;
  bool inline_ = true;
  size_t n_ = 0;
};

struct AppendSpec {
  std::string stream;  // empty: the global log only
  SmallVec<EventPtr> events;
  SmallVec<uint32_t> ends;  // end offset of record i in the records
  ExpectedVersion expected;

  // Binary records v1, back to back: inline when they fit.
  static constexpr size_t kInlineRecords = 512;
  size_t records_size = 0;
  std::string heap_records;
  char inline_records[kInlineRecords];

  const char* records() const noexcept {
    return records_size <= kInlineRecords ? inline_records : heap_records.data();
  }
  std::string_view record(size_t i) const noexcept {
    const uint32_t begin = i == 0 ? 0 : ends[i - 1];
    return std::string_view(records() + begin, ends[i] - begin);
  }
};

// Checks the stream name (a '$' stream only with SystemStreams::kAllow), the batch
// (1..kMaxAppendEvents events, no id twice, each event's stream field empty
// or equal to `stream`; empty ones are rebuilt with it), the expected
// version (only `any` for the global log), and encodes the records.
Status prepare_append(std::string_view stream, std::span<const EventPtr> events,
                      ExpectedVersion expected, SystemStreams system, AppendSpec& out);

// OK when `ss` (the stream's state, exists or not) meets `expected`, else
// Conflict naming the stream and both versions (append, delete_stream).
Status check_expected_version(std::string_view stream, const ExpectedVersion& expected,
                              const StreamState& ss);

// Writer thread, inside `w`. The batch's own outcome goes to `out` (a
// conflict, an id stored in another stream); a non-OK return is an LMDB
// failure of the transaction.
Status apply_append(WriteTxn& w, const AppendSpec& spec, AppendResult& out);

class AppendOp final : public WriteOp {
 public:
  AppendSpec spec;
  AppendResult result;
  // Exactly one of these: the callback (the op deletes itself after it),
  // or a waiter (the op lives on the waiting caller's stack).
  AppendCallback callback;
  Completion* waiter = nullptr;

  Status apply(WriteTxn& w) override { return apply_append(w, spec, result); }
  void reset() override { result = AppendResult{}; }
  void complete(const Status& txn_status) override;
  bool is_append() const override { return true; }
  size_t weight() const override { return spec.events.size(); }
};

}  // namespace chorus::store
