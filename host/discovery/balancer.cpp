// The strategy factory and the load comparison several strategies share.
#include "discovery/balancer.h"

#include "discovery/service_table.h"

namespace chorus::discovery {

std::unique_ptr<Balancer> make_balancer(Strategy s, const Pool& pool) {
  switch (s) {
    case Strategy::kRoundRobin:
      return make_round_robin(pool);
    case Strategy::kWeightedRoundRobin:
      return make_weighted_round_robin(pool);
    case Strategy::kLeastConnections:
      return make_least_connections(pool);
    case Strategy::kRandom:
      return make_random(pool);
    case Strategy::kHealthBased:
      return make_health_based(pool);
    case Strategy::kResponseTime:
      return make_response_time(pool);
    case Strategy::kPowerOfTwo:
      return make_power_of_two(pool);
  }
  return make_round_robin(pool);
}

int compare_load(const ServiceState& a, const ServiceState& b) noexcept {
  // active/weight compared without division: both sides fit in 64 bits
  // (active < 2^32, weight <= 10000).
  const uint64_t l = uint64_t{a.active} * b.spec->weight;
  const uint64_t r = uint64_t{b.active} * a.spec->weight;
  return l < r ? -1 : l > r ? 1 : 0;
}

}  // namespace chorus::discovery
