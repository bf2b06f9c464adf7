// health_based: the freshest sign of life (the latest heartbeat or passing
// check); ties go to fewer connections, then the least recently picked.
#include "discovery/heap_balancer.h"

namespace chorus::discovery {
namespace {

struct Fresher {
  bool operator()(const ServiceState& a, const ServiceState& b) const noexcept {
    const int64_t la = a.last_alive_ns(), lb = b.last_alive_ns();
    if (la != lb) return la > lb;
    const int c = compare_load(a, b);
    return c != 0 ? c < 0 : picked_earlier(a, b);
  }
};

}  // namespace

std::unique_ptr<Balancer> make_health_based(const Pool& pool) {
  return std::make_unique<HeapBalancer<Fresher>>(
      pool, static_cast<uint8_t>(Change::kAlive) | static_cast<uint8_t>(Change::kLoad));
}

}  // namespace chorus::discovery
