// IndexedHeap: a binary heap of small integer labels (a pool's member
// indexes) that knows where each label sits, so an entry whose key changed
// is re-sifted in O(log n) and any entry can be erased. Used by the
// strategies that pick "the best" instance (least connections, health,
// response time, smooth weighted round robin). `Better(a, b)` is true when
// label a should be picked before label b; it reads the keys from wherever
// the caller keeps them.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace chorus::discovery {

template <typename Better>
class IndexedHeap {
 public:
  static constexpr uint32_t kNone = UINT32_MAX;

  explicit IndexedHeap(Better better) : better_(std::move(better)) {}

  bool empty() const noexcept { return heap_.empty(); }
  uint32_t size() const noexcept { return static_cast<uint32_t>(heap_.size()); }
  uint32_t top() const noexcept { return heap_.empty() ? kNone : heap_[0]; }
  // The best label other than the top: one of the root's children.
  uint32_t runner_up() const noexcept {
    if (heap_.size() < 2) return kNone;
    if (heap_.size() == 2 || better_(heap_[1], heap_[2])) return heap_[1];
    return heap_[2];
  }

  void push(uint32_t label) {
    if (label >= pos_.size()) pos_.resize(label + 1, kNone);
    pos_[label] = size();
    heap_.push_back(label);
    up(pos_[label]);
  }
  void erase(uint32_t label) {
    const uint32_t i = pos_[label];
    const uint32_t last = size() - 1;
    if (i != last) {
      place(i, heap_[last]);
      heap_.pop_back();
      pos_[label] = kNone;
      fix(i);
    } else {
      heap_.pop_back();
      pos_[label] = kNone;
    }
  }
  // The entry `from` is renamed `to` (whose own entry was erased before).
  void relabel(uint32_t from, uint32_t to) {
    if (to >= pos_.size()) pos_.resize(to + 1, kNone);
    const uint32_t i = pos_[from];
    pos_[from] = kNone;
    place(i, to);
  }
  // The key of `label` changed.
  void update(uint32_t label) { fix(pos_[label]); }
  // Drops trailing label slots (after the pool shrank).
  void truncate_labels(uint32_t n) {
    if (pos_.size() > n) pos_.resize(n);
  }

 private:
  void place(uint32_t i, uint32_t label) {
    heap_[i] = label;
    pos_[label] = i;
  }
  void fix(uint32_t i) {
    if (i > 0 && better_(heap_[i], heap_[(i - 1) / 2])) {
      up(i);
    } else {
      down(i);
    }
  }
  void up(uint32_t i) {
    const uint32_t label = heap_[i];
    while (i > 0) {
      const uint32_t parent = (i - 1) / 2;
      if (!better_(label, heap_[parent])) break;
      place(i, heap_[parent]);
      i = parent;
    }
    place(i, label);
  }
  void down(uint32_t i) {
    const uint32_t label = heap_[i];
    const uint32_t n = size();
    for (;;) {
      uint32_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && better_(heap_[child + 1], heap_[child])) ++child;
      if (!better_(heap_[child], label)) break;
      place(i, heap_[child]);
      i = child;
    }
    place(i, label);
  }

  Better better_;
  std::vector<uint32_t> heap_;
  std::vector<uint32_t> pos_;  // label -> index in heap_, kNone when absent
};

}  // namespace chorus::discovery
