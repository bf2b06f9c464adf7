// HeapBalancer: a strategy that always picks the best member by some order
// (least connections, health, response time). Each member's key is copied
// from its record into an IndexedHeap when it joins and whenever a change
// the strategy depends on is reported. Private to the balancer_*.cpp files.
#pragma once

#include "discovery/balancer.h"
#include "discovery/indexed_heap.h"
#include "discovery/pool.h"

namespace chorus::discovery {

// KeyOf: a type with `using Key = ...;` and `static Key of(const ServiceState&)`;
// Key::operator< means "picked before".
template <typename KeyOf>
class HeapBalancer final : public Balancer {
 public:
  HeapBalancer(const Pool& pool, uint8_t depends_on) : Balancer(pool), depends_on_(depends_on) {}

  void added(uint32_t i) override { heap_.push(i, KeyOf::of(pool_.member(i))); }
  void removing(uint32_t i, uint32_t last) override {
    heap_.erase(i);
    if (i != last) heap_.relabel(last, i);
    heap_.truncate_labels(last);
  }
  void changed(uint32_t i, Change what) override {
    if (depends_on_ & static_cast<uint8_t>(what)) heap_.update(i, KeyOf::of(pool_.member(i)));
  }
  uint32_t pick(uint32_t avoid, Rng&) override {
    const uint32_t t = heap_.top();
    if (t == avoid && heap_.size() > 1) return heap_.runner_up();
    return t;
  }

 private:
  uint8_t depends_on_;
  IndexedHeap<typename KeyOf::Key> heap_;
};

// Fewer connections per unit of weight: a.active/a.weight < b.active/b.weight,
// compared without division (both products fit in 64 bits).
inline int compare_load(uint32_t active_a, uint32_t weight_a, uint32_t active_b,
                        uint32_t weight_b) noexcept {
  const uint64_t l = uint64_t{active_a} * weight_b;
  const uint64_t r = uint64_t{active_b} * weight_a;
  return l < r ? -1 : l > r ? 1 : 0;
}

}  // namespace chorus::discovery
