// HeapBalancer: a strategy that always picks the best member by some order
// (least connections, health, response time), kept in an IndexedHeap and
// re-sifted when a change it depends on is reported. Private to the
// balancer_*.cpp files.
#pragma once

#include "discovery/balancer.h"
#include "discovery/indexed_heap.h"
#include "discovery/pool.h"

namespace chorus::discovery {

// Better(const ServiceState& a, const ServiceState& b): a before b.
template <typename Better>
class HeapBalancer final : public Balancer {
 public:
  HeapBalancer(const Pool& pool, uint8_t depends_on)
      : Balancer(pool), depends_on_(depends_on), heap_(ByMember{&pool}) {}

  void added(uint32_t i) override { heap_.push(i); }
  void removing(uint32_t i, uint32_t last) override {
    heap_.erase(i);
    if (i != last) heap_.relabel(last, i);
    heap_.truncate_labels(last);
  }
  void changed(uint32_t i, Change what) override {
    if (depends_on_ & static_cast<uint8_t>(what)) heap_.update(i);
  }
  uint32_t pick(uint32_t avoid, Rng&) override {
    const uint32_t t = heap_.top();
    if (t == avoid && heap_.size() > 1) return heap_.runner_up();
    return t;
  }

 private:
  struct ByMember {
    const Pool* pool;
    bool operator()(uint32_t a, uint32_t b) const {
      const ServiceState& sa = pool->member(a);
      const ServiceState& sb = pool->member(b);
      return Better{}(sa, sb);
    }
  };
  uint8_t depends_on_;
  IndexedHeap<ByMember> heap_;
};

// The usual last tie-breaks: the least recently picked, then the lowest slot.
inline bool picked_earlier(const ServiceState& a, const ServiceState& b) noexcept {
  if (a.last_pick != b.last_pick) return a.last_pick < b.last_pick;
  return a.slot < b.slot;
}

}  // namespace chorus::discovery
