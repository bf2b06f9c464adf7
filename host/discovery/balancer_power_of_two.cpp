// power_of_two: two distinct members at random, the one with fewer
// connections per unit of weight (ties: the least recently picked). Close
// to least connections without sending every caller to the same instance.
#include "discovery/heap_balancer.h"

namespace chorus::discovery {
namespace {

class PowerOfTwo final : public Balancer {
 public:
  using Balancer::Balancer;
  void added(uint32_t) override {}
  void removing(uint32_t, uint32_t) override {}
  uint32_t pick(uint32_t avoid, Rng& rng) override {
    const uint32_t n = pool_.size();
    const bool skip = avoid != kNoMember && n > 1;
    const uint32_t m = skip ? n - 1 : n;  // candidates
    auto member = [&](uint32_t i) { return skip && i >= avoid ? i + 1 : i; };
    if (m == 1) return member(0);
    // Two distinct candidate positions, then their member indexes.
    const uint32_t x = rng.below(m);
    uint32_t y = rng.below(m - 1);
    if (y >= x) ++y;
    const uint32_t a = member(x), b = member(y);
    const ServiceState& sa = pool_.member(a);
    const ServiceState& sb = pool_.member(b);
    const int c = compare_load(sa.active, sa.weight, sb.active, sb.weight);
    if (c != 0) return c < 0 ? a : b;
    return sa.last_pick <= sb.last_pick ? a : b;
  }
};

}  // namespace

std::unique_ptr<Balancer> make_power_of_two(const Pool& pool) {
  return std::make_unique<PowerOfTwo>(pool);
}

}  // namespace chorus::discovery
