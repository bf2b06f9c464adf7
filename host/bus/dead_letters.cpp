// In-memory dead-letter store: a deque ordered by id (binary search by id).
#include "bus/dead_letters.h"

#include <algorithm>

namespace chorus::bus {
namespace {

template <typename Deque>
auto find_id(Deque& items, uint64_t id) {
  auto it = std::lower_bound(items.begin(), items.end(), id,
                             [](const DeadLetter& d, uint64_t v) { return d.id < v; });
  return (it != items.end() && it->id == id) ? it : items.end();
}

}  // namespace

Result<uint64_t> MemoryDeadLetterStore::add(DeadLetter dl) {
  std::lock_guard lock(mu_);
  if (capacity_ == 0) {
    ++evicted_;
    return uint64_t{0};
  }
  if (items_.size() >= capacity_) {
    items_.pop_front();
    ++evicted_;
  }
  dl.id = next_id_++;
  items_.push_back(std::move(dl));
  return items_.back().id;
}

std::vector<DeadLetter> MemoryDeadLetterStore::list(const DeadLetterQuery& q) const {
  std::lock_guard lock(mu_);
  std::vector<DeadLetter> out;
  auto it = std::upper_bound(items_.begin(), items_.end(), q.after_id,
                             [](uint64_t v, const DeadLetter& d) { return v < d.id; });
  for (; it != items_.end() && out.size() < q.limit; ++it) {
    if (!q.subscriber_id.empty() && it->subscriber_id != q.subscriber_id) continue;
    out.push_back(*it);
  }
  return out;
}

std::optional<DeadLetter> MemoryDeadLetterStore::get(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto it = find_id(items_, id);
  if (it == items_.end()) return std::nullopt;
  return *it;
}

std::optional<DeadLetter> MemoryDeadLetterStore::take(uint64_t id) {
  std::lock_guard lock(mu_);
  auto it = find_id(items_, id);
  if (it == items_.end()) return std::nullopt;
  DeadLetter dl = std::move(*it);
  items_.erase(it);
  return dl;
}

size_t MemoryDeadLetterStore::size() const {
  std::lock_guard lock(mu_);
  return items_.size();
}

uint64_t MemoryDeadLetterStore::evicted() const {
  std::lock_guard lock(mu_);
  return evicted_;
}

}  // namespace chorus::bus
