// ThreadMatchCache: 4-way sets, power-of-two set count, LRU within a set.
#include "bus/match_cache.h"

#include <bit>

namespace chorus::bus {

ThreadMatchCache::ThreadMatchCache(size_t slots) {
  const size_t n = std::bit_ceil(slots < kWays ? kWays : slots);
  slots_.resize(n);
  set_mask_ = n / kWays - 1;
}

const MatchResult* ThreadMatchCache::store(uint64_t hash, std::string_view type,
                                           uint64_t generation,
                                           std::shared_ptr<const MatchResult> result,
                                           std::shared_ptr<const MatchResult>& evicted) {
  Slot* set = &slots_[(hash & set_mask_) * kWays];
  Slot* victim = set;
  for (size_t i = 0; i < kWays; ++i) {
    Slot& s = set[i];
    if (s.hash == hash && s.type == type) {  // a stale entry for the same type
      victim = &s;
      break;
    }
    if (s.used < victim->used) victim = &s;
  }
  victim->hash = hash;
  victim->generation = generation;
  victim->used = ++tick_;
  victim->type.assign(type);
  evicted = std::move(victim->result);
  victim->result = std::move(result);
  return victim->result.get();
}

}  // namespace chorus::bus
