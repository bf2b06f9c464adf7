// random: a member uniformly at random (docs/discovery.md "Load balancing").
#include "discovery/balancer.h"
#include "discovery/pool.h"

namespace chorus::discovery {
namespace {

class Random final : public Balancer {
 public:
  using Balancer::Balancer;
  void added(uint32_t) override {}
  void removing(uint32_t, uint32_t) override {}
  uint32_t pick(uint32_t avoid, Rng& rng) override {
    const uint32_t n = pool_.size();
    if (avoid == kNoMember || n == 1) return rng.below(n);
    const uint32_t i = rng.below(n - 1);  // among the others: skip `avoid`
    return i >= avoid ? i + 1 : i;
  }
};

}  // namespace

std::unique_ptr<Balancer> make_random(const Pool& pool) {
  return std::make_unique<Random>(pool);
}

}  // namespace chorus::discovery
