// least_connections: the fewest active connections per unit of weight; ties
// go to the least recently picked, so equal instances take turns.
#include "discovery/heap_balancer.h"

namespace chorus::discovery {
namespace {

struct FewerConnections {
  bool operator()(const ServiceState& a, const ServiceState& b) const noexcept {
    const int c = compare_load(a, b);
    return c != 0 ? c < 0 : picked_earlier(a, b);
  }
};

}  // namespace

std::unique_ptr<Balancer> make_least_connections(const Pool& pool) {
  return std::make_unique<HeapBalancer<FewerConnections>>(pool,
                                                          static_cast<uint8_t>(Change::kLoad));
}

}  // namespace chorus::discovery
