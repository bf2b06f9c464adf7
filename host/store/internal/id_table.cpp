// The per-transaction id table (id_table.h).
#include "store/internal/id_table.h"

#include <cstring>

namespace chorus::store {

size_t IdTable::hash(const Uuid& id) noexcept {
  // The low bytes of a UUIDv7 are random: a fine hash as they are.
  uint64_t h;
  std::memcpy(&h, id.bytes.data() + 8, 8);
  return static_cast<size_t>(h ^ (h >> 29));
}

uint64_t IdTable::find(const Uuid& id) const noexcept {
  if (size_ == 0) return 0;
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash(id) & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.seq == 0) return 0;
    if (s.id == id) return s.seq;
  }
}

void IdTable::insert(const Uuid& id, uint64_t seq) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const size_t mask = slots_.size() - 1;
  for (size_t i = hash(id) & mask;; i = (i + 1) & mask) {
    Slot& s = slots_[i];
    if (s.seq == 0) {
      s.id = id;
      s.seq = seq;
      used_.push_back(static_cast<uint32_t>(i));
      ++size_;
      return;
    }
    if (s.id == id) {
      s.seq = seq;
      return;
    }
  }
}

void IdTable::clear() noexcept {
  for (uint32_t i : used_)
    slots_[i].seq = 0;
  used_.clear();
  size_ = 0;
}

void IdTable::grow() {
  std::vector<Slot> old;
  old.swap(slots_);
  slots_.assign(old.empty() ? 4096 : old.size() * 2, Slot{});
  used_.clear();
  size_ = 0;
  for (const Slot& s : old)
    if (s.seq != 0) insert(s.id, s.seq);
}

}  // namespace chorus::store
