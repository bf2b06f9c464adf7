// weighted_round_robin, smooth: earliest deadline first over exact
// rationals. Member i's k-th turn is due at (2k-1)/(2 w_i); the member with
// the earliest due turn is picked and its next turn is 1/w_i later. Over any
// run of picks that is a multiple of the total weight each member gets
// exactly its share, and turns are interleaved (weights 5,1,1 give
// a a a b c a a). A member that joins gets its first turn on the same grid,
// just after the turn picked last, so it neither waits a whole cycle nor
// takes a burst. O(log n) per pick (docs/discovery.md "Load balancing").
#include "discovery/balancer.h"
#include "discovery/indexed_heap.h"
#include "discovery/pool.h"

namespace chorus::discovery {
namespace {

// A member's next turn, (2k-1)/(2w) as num/den; ties go to the lower slot.
struct Due {
  uint64_t num = 1;  // odd: 2k - 1
  uint64_t den = 2;  // 2 w
  uint32_t slot = 0;
  bool operator<(const Due& o) const noexcept {
    // num/den < o.num/o.den; 128-bit products cannot overflow.
    const auto l = static_cast<unsigned __int128>(num) * o.den;
    const auto r = static_cast<unsigned __int128>(o.num) * den;
    if (l != r) return l < r;
    return slot < o.slot;
  }
};

class WeightedRoundRobin final : public Balancer {
 public:
  using Balancer::Balancer;

  void added(uint32_t i) override {
    const ServiceState& s = pool_.member(i);
    const uint64_t den = 2 * uint64_t{s.weight};
    // The first odd numerator over `den` after the last picked turn.
    uint64_t num =
        static_cast<uint64_t>(static_cast<unsigned __int128>(last_.num) * den / last_.den) + 1;
    if (num % 2 == 0) ++num;
    heap_.push(i, Due{num, den, s.slot});
  }
  void removing(uint32_t i, uint32_t last) override {
    heap_.erase(i);
    if (i != last) heap_.relabel(last, i);
    heap_.truncate_labels(last);
  }
  uint32_t pick(uint32_t avoid, Rng&) override {
    uint32_t t = heap_.top();
    if (t == avoid && heap_.size() > 1) t = heap_.runner_up();
    Due next = heap_.key(t);
    last_ = next;
    next.num += 2;
    heap_.update(t, next);
    return t;
  }

 private:
  Due last_{0, 1, 0};  // the turn picked last (0 before the first)
  IndexedHeap<Due> heap_;
};

}  // namespace

std::unique_ptr<Balancer> make_weighted_round_robin(const Pool& pool) {
  return std::make_unique<WeightedRoundRobin>(pool);
}

}  // namespace chorus::discovery
