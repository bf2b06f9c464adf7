// Matching: an event type -> the subscribers whose patterns match it, through
// this thread's result cache (no lock on a hit) or the trie (shared lock on
// a miss), and the bounded per-topic counters a result points at.
#include <algorithm>

#include "bus/bus_impl.h"
#include "core/topic.h"

namespace chorus::bus {

namespace {

constexpr size_t kMaxTrackedTopics = 10'000;

// Per-thread pointers to this thread's cache in each bus it has published
// on, keyed by the bus's never-reused id (a dead bus's entry is never
// dereferenced).
struct TlCacheRef {
  uint64_t bus_id;
  ThreadMatchCache* cache;
};
thread_local std::vector<TlCacheRef> tl_caches;
thread_local TlCacheRef tl_last_cache{0, nullptr};  // the most recent hit

// One spare match result per thread: a cache miss refills it instead of
// allocating a result and its vector (only when nobody else holds it).
thread_local std::shared_ptr<MatchResult> tl_spare_result;

std::shared_ptr<MatchResult> fresh_result() {
  if (tl_spare_result && tl_spare_result.use_count() == 1) return std::move(tl_spare_result);
  return std::make_shared<MatchResult>();
}

}  // namespace

void recycle_result(std::shared_ptr<const MatchResult>&& r) {
  if (!r || r.use_count() != 1) return;
  auto m = std::const_pointer_cast<MatchResult>(std::move(r));
  m->keep.reset();  // do not keep an old subscriber snapshot alive
  m->subs.clear();
  m->groups.clear();
  m->topic = nullptr;
  m->persistent = false;
  tl_spare_result = std::move(m);
}

ThreadMatchCache* EventBus::Impl::thread_cache() {
  if (tl_last_cache.bus_id == bus_id) return tl_last_cache.cache;
  for (const auto& ref : tl_caches) {
    if (ref.bus_id == bus_id) {
      tl_last_cache = ref;
      return ref.cache;
    }
  }
  if (options.match_cache_size == 0) return nullptr;
  auto cache = std::make_unique<ThreadMatchCache>(options.match_cache_size);
  ThreadMatchCache* raw = cache.get();
  {
    std::lock_guard lock(caches_mu);
    caches.push_back(std::move(cache));
  }
  if (tl_caches.size() >= 16) tl_caches.erase(tl_caches.begin());
  tl_caches.push_back({bus_id, raw});
  tl_last_cache = tl_caches.back();
  return raw;
}

TopicCounters* EventBus::Impl::counters_for(std::string_view type) {
  std::lock_guard lock(topics_mu);
  auto it = topics.find(type);
  if (it != topics.end()) return it->second.get();
  if (topics.size() >= kMaxTrackedTopics) return &other_topics;
  auto [ins, ok] =
      topics.emplace(std::string(type), std::make_unique<TopicCounters>(std::string(type)));
  return ins->second.get();
}

std::shared_ptr<MatchResult> EventBus::Impl::compute_match(std::string_view type) {
  thread_local std::vector<Subscriber*> found;
  found.clear();
  trie.match(type, found);
  // A subscriber with several patterns may be found more than once, and
  // group members need a stable order for round robin; only then is the
  // result sorted (by subscription, so the order survives recomputation).
  bool sort = false;
  for (const Subscriber* s : found)
    sort |= s->patterns.size() > 1 || !s->group.empty();
  if (sort) {
    std::sort(found.begin(), found.end(),
              [](const Subscriber* a, const Subscriber* b) { return a->sid < b->sid; });
    found.erase(std::unique(found.begin(), found.end()), found.end());
  }
  auto r = fresh_result();
  r->keep = live_set;
  for (const auto& p : persist_patterns)
    r->persistent |= topic_matches(p, type);
  r->subs.reserve(found.size());
  for (Subscriber* s : found) {
    if (s->group.empty()) {
      r->subs.push_back(s);
      continue;
    }
    auto g = std::find_if(r->groups.begin(), r->groups.end(),
                          [&](const MatchResult::Group& x) { return x.name == s->group; });
    if (g == r->groups.end()) {
      r->groups.push_back(
          MatchResult::Group{s->group, {}, group_counters.find(s->group)->second.get()});
      g = r->groups.end() - 1;
    }
    g->members.push_back(s);
  }
  return r;
}

const MatchResult* EventBus::Impl::lookup(const Event& ev, ThreadMatchCache* cache,
                                          std::shared_ptr<const MatchResult>& hold) {
  const uint64_t gen = generation.load(std::memory_order_acquire);
  if (cache) {
    if (const MatchResult* hit = cache->find(ev.type_hash(), ev.type(), gen)) {
      cache->hits.fetch_add(1, std::memory_order_relaxed);
      return hit;
    }
    cache->misses.fetch_add(1, std::memory_order_relaxed);
  }
  std::shared_ptr<MatchResult> r;
  uint64_t gen_now;
  {
    std::shared_lock lock(subs_mu);
    gen_now = generation.load(std::memory_order_acquire);
    r = compute_match(ev.type());
  }
  r->topic = counters_for(ev.type());
  if (cache && cache->depth == 1) {
    std::shared_ptr<const MatchResult> evicted;
    const MatchResult* stored =
        cache->store(ev.type_hash(), ev.type(), gen_now, std::move(r), evicted);
    recycle_result(std::move(evicted));
    return stored;
  }
  hold = std::move(r);
  return hold.get();
}

size_t EventBus::Impl::count_matching(const Event& ev) {
  return with_match(ev,
                    [](const MatchResult& r) -> size_t { return r.subs.size() + r.groups.size(); });
}

}  // namespace chorus::bus
