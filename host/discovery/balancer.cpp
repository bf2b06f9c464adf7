// The strategy factory.
#include "discovery/balancer.h"

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

}  // namespace chorus::discovery
