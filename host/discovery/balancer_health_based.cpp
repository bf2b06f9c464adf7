// health_based: the freshest sign of life (the latest heartbeat or passing
// check); ties go to fewer connections, then the least recently picked.
#include "discovery/heap_balancer.h"

namespace chorus::discovery {
namespace {

struct Freshness {
  struct Key {
    int64_t last_alive_ns;
    uint32_t active, weight;
    uint64_t last_pick;
    uint32_t slot;
    bool operator<(const Key& o) const noexcept {
      if (last_alive_ns != o.last_alive_ns) return last_alive_ns > o.last_alive_ns;
      const int c = compare_load(active, weight, o.active, o.weight);
      if (c != 0) return c < 0;
      if (last_pick != o.last_pick) return last_pick < o.last_pick;
      return slot < o.slot;
    }
  };
  static Key of(const ServiceState& s) noexcept {
    return {s.last_alive_ns(), s.active, s.weight, s.last_pick, s.slot};
  }
};

}  // namespace

std::unique_ptr<Balancer> make_health_based(const Pool& pool) {
  return std::make_unique<HeapBalancer<Freshness>>(
      pool, static_cast<uint8_t>(Change::kAlive) | static_cast<uint8_t>(Change::kLoad));
}

}  // namespace chorus::discovery
