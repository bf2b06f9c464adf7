// round_robin: each member in turn (docs/discovery.md "Load balancing").
#include "discovery/balancer.h"
#include "discovery/pool.h"

namespace chorus::discovery {
namespace {

class RoundRobin final : public Balancer {
 public:
  using Balancer::Balancer;
  void added(uint32_t) override {}
  void removing(uint32_t, uint32_t) override {}
  uint32_t pick(uint32_t avoid, Rng&) override {
    const uint32_t n = pool_.size();
    auto i = static_cast<uint32_t>(next_++ % n);
    if (i == avoid && n > 1) i = static_cast<uint32_t>(next_++ % n);
    return i;
  }

 private:
  uint64_t next_ = 0;
};

}  // namespace

std::unique_ptr<Balancer> make_round_robin(const Pool& pool) {
  return std::make_unique<RoundRobin>(pool);
}

}  // namespace chorus::discovery
