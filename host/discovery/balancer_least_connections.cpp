// least_connections: the fewest active connections per unit of weight; ties
// go to the least recently picked, so equal instances take turns.
#include "discovery/heap_balancer.h"

namespace chorus::discovery {
namespace {

struct Load {
  struct Key {
    uint32_t active, weight;
    uint64_t last_pick;
    uint32_t slot;
    bool operator<(const Key& o) const noexcept {
      const int c = compare_load(active, weight, o.active, o.weight);
      if (c != 0) return c < 0;
      if (last_pick != o.last_pick) return last_pick < o.last_pick;
      return slot < o.slot;
    }
  };
  static Key of(const ServiceState& s) noexcept {
    return {s.active, s.weight, s.last_pick, s.slot};
  }
};

}  // namespace

std::unique_ptr<Balancer> make_least_connections(const Pool& pool) {
  return std::make_unique<HeapBalancer<Load>>(pool, static_cast<uint8_t>(Change::kLoad));
}

}  // namespace chorus::discovery
