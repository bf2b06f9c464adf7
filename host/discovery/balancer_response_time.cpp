// response_time: the lowest expected wait, EWMA x (active + 1), so a fast
// instance stops being the only choice once it is busy. Instances with no
// recorded time score 0 and are tried first (that is how they get one).
#include "discovery/heap_balancer.h"

namespace chorus::discovery {
namespace {

struct ExpectedWait {
  struct Key {
    double score;
    uint64_t last_pick;
    uint32_t slot;
    bool operator<(const Key& o) const noexcept {
      if (score != o.score) return score < o.score;
      if (last_pick != o.last_pick) return last_pick < o.last_pick;
      return slot < o.slot;
    }
  };
  static Key of(const ServiceState& s) noexcept {
    const double score =
        s.response_count == 0 ? 0.0 : s.response_ewma_us * (static_cast<double>(s.active) + 1);
    return {score, s.last_pick, s.slot};
  }
};

}  // namespace

std::unique_ptr<Balancer> make_response_time(const Pool& pool) {
  return std::make_unique<HeapBalancer<ExpectedWait>>(
      pool, static_cast<uint8_t>(Change::kLatency) | static_cast<uint8_t>(Change::kLoad));
}

}  // namespace chorus::discovery
