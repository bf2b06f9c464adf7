// response_time: the lowest expected wait, EWMA x (active + 1), so a fast
// instance stops being the only choice once it is busy. Instances with no
// recorded time score 0 and are tried first (that is how they get one).
#include "discovery/heap_balancer.h"

namespace chorus::discovery {
namespace {

double score(const ServiceState& s) noexcept {
  return s.response.count == 0 ? 0.0 : s.response.ewma_us * (static_cast<double>(s.active) + 1);
}

struct Faster {
  bool operator()(const ServiceState& a, const ServiceState& b) const noexcept {
    const double sa = score(a), sb = score(b);
    if (sa != sb) return sa < sb;
    return picked_earlier(a, b);
  }
};

}  // namespace

std::unique_ptr<Balancer> make_response_time(const Pool& pool) {
  return std::make_unique<HeapBalancer<Faster>>(
      pool, static_cast<uint8_t>(Change::kLatency) | static_cast<uint8_t>(Change::kLoad));
}

}  // namespace chorus::discovery
