// weighted_round_robin, smooth: earliest deadline first over exact
// rationals. Member i's k-th turn is due at (2k-1)/(2 w_i); the member with
// the earliest due turn is picked and its next turn is 1/w_i later. Over any
// run of picks that is a multiple of the total weight each member gets
// exactly its share, and turns are interleaved (weights 5,1,1 give
// a a a b c a a). A member that joins gets its first turn on the same grid,
// just after the turn picked last, so it neither waits a whole cycle nor
// takes a burst. O(log n) per pick (docs/discovery.md "Load balancing").
#include <vector>

#include "discovery/balancer.h"
#include "discovery/indexed_heap.h"
#include "discovery/pool.h"

namespace chorus::discovery {
namespace {

struct Due {
  uint64_t num = 1;  // odd: 2k - 1
  uint64_t den = 2;  // 2 w
};

bool before(const Due& a, const Due& b) noexcept {
  // a.num/a.den < b.num/b.den; 128-bit products cannot overflow.
  return static_cast<unsigned __int128>(a.num) * b.den <
         static_cast<unsigned __int128>(b.num) * a.den;
}

class WeightedRoundRobin final : public Balancer {
 public:
  explicit WeightedRoundRobin(const Pool& pool) : Balancer(pool), heap_(Earlier{this}) {}

  void added(uint32_t i) override {
    if (due_.size() <= i) due_.resize(i + 1);
    const uint64_t den = 2 * uint64_t{pool_.member(i).spec->weight};
    // The first odd numerator over `den` after the last picked turn.
    uint64_t num =
        static_cast<uint64_t>(static_cast<unsigned __int128>(last_.num) * den / last_.den) + 1;
    if (num % 2 == 0) ++num;
    due_[i] = Due{num, den};
    heap_.push(i);
  }
  void removing(uint32_t i, uint32_t last) override {
    heap_.erase(i);
    if (i != last) {
      due_[i] = due_[last];
      heap_.relabel(last, i);
    }
    due_.resize(last);
    heap_.truncate_labels(last);
  }
  uint32_t pick(uint32_t avoid, Rng&) override {
    uint32_t t = heap_.top();
    if (t == avoid && heap_.size() > 1) t = heap_.runner_up();
    last_ = due_[t];
    due_[t].num += 2;
    heap_.update(t);
    return t;
  }

 private:
  struct Earlier {
    const WeightedRoundRobin* self;
    bool operator()(uint32_t a, uint32_t b) const {
      const Due& da = self->due_[a];
      const Due& db = self->due_[b];
      if (before(da, db)) return true;
      if (before(db, da)) return false;
      return self->pool_.member(a).slot < self->pool_.member(b).slot;
    }
  };
  std::vector<Due> due_;  // by member index
  Due last_{0, 1};        // the turn picked last (0 before the first)
  IndexedHeap<Earlier> heap_;
};

}  // namespace

std::unique_ptr<Balancer> make_weighted_round_robin(const Pool& pool) {
  return std::make_unique<WeightedRoundRobin>(pool);
}

}  // namespace chorus::discovery
