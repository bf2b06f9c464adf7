// IdTable: the ids written in the current write transaction -> their seq,
// so that an id appended twice in one group commit is found without a
// lookup in `event_ids` (which does not hold it yet). Open addressing,
// cleared per transaction without freeing: the writer's hot path
// allocates nothing.
//
// Writer thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/uuid.h"

namespace chorus::store {

class IdTable {
 public:
  bool empty() const noexcept { return size_ == 0; }
  // 0 when absent.
  uint64_t find(const Uuid& id) const noexcept;
  void insert(const Uuid& id, uint64_t seq);
  void clear() noexcept;

 private:
  struct Slot {
    Uuid id;
    uint64_t seq = 0;  // 0: empty
  };
  static size_t hash(const Uuid& id) noexcept;
  void grow();
  std::vector<Slot> slots_;
  std::vector<uint32_t> used_;
  size_t size_ = 0;
};

}  // namespace chorus::store
