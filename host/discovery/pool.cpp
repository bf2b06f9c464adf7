// Selection pools and their membership (pool.h).
#include "discovery/pool.h"

#include <algorithm>

namespace chorus::discovery {

// ---- Pool ----

Pool::Pool(const ServiceTable& table, uint32_t capability, std::vector<uint32_t> tags)
    : table_(table), capability_(capability), tags_(std::move(tags)) {}

bool Pool::accepts(const ServiceState& s) const noexcept {
  return std::binary_search(s.cap_ids.begin(), s.cap_ids.end(), capability_) && s.has_tags(tags_);
}

uint32_t Pool::index_of(const ServiceState& s) const noexcept {
  for (const Membership& m : s.pools)
    if (m.pool == this) return m.index;
  return kNoMember;
}

void Pool::add(ServiceState& s) {
  const auto i = static_cast<uint32_t>(members_.size());
  members_.push_back(s.slot);
  s.pools.push_back(Membership{this, i});
  for (auto& b : balancers_)
    if (b) b->added(i);
}

void Pool::remove(ServiceState& s, ServiceTable& table) {
  auto m = std::find_if(s.pools.begin(), s.pools.end(),
                        [&](const Membership& x) { return x.pool == this; });
  if (m == s.pools.end()) return;
  const uint32_t i = m->index;
  const auto last = static_cast<uint32_t>(members_.size() - 1);
  for (auto& b : balancers_)
    if (b) b->removing(i, last);
  if (i != last) {
    members_[i] = members_[last];
    for (Membership& x : table.at(members_[i]).pools)
      if (x.pool == this) x.index = i;
  }
  members_.pop_back();
  *m = s.pools.back();
  s.pools.pop_back();
}

void Pool::changed(const ServiceState& s, Change what) {
  const uint32_t i = index_of(s);
  if (i == kNoMember) return;
  for (auto& b : balancers_)
    if (b) b->changed(i, what);
}

Balancer& Pool::balancer(Strategy s) {
  auto& b = balancers_[static_cast<size_t>(s)];
  if (!b) {
    b = make_balancer(s, *this);
    for (uint32_t i = 0; i < size(); ++i)
      b->added(i);
  }
  return *b;
}

// ---- PoolSet ----

namespace {

// "capability\x1ftag\x1ftag" with the tags sorted: one name per pool.
std::string pool_key(std::string_view capability, std::vector<std::string> tags) {
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  std::string key(capability);
  for (const auto& t : tags) {
    key += '\x1f';
    key += t;
  }
  return key;
}

}  // namespace

Pool* PoolSet::get(std::string_view capability, const std::vector<std::string>& tags) {
  const std::string tagged_key = tags.empty() ? std::string() : pool_key(capability, tags);
  auto it = tags.empty() ? pools_.find(capability) : pools_.find(tagged_key);
  if (it != pools_.end()) {
    it->second->last_used = ++tick_;
    return it->second.get();
  }
  const uint32_t cap = table_.capabilities().find(capability);
  if (cap == kNoId) return nullptr;
  std::vector<uint32_t> tag_ids;
  for (const auto& t : tags) {
    const uint32_t id = table_.tags().find(t);
    if (id == kNoId) return nullptr;
    tag_ids.push_back(id);
  }
  std::sort(tag_ids.begin(), tag_ids.end());
  tag_ids.erase(std::unique(tag_ids.begin(), tag_ids.end()), tag_ids.end());
  auto pool = std::make_unique<Pool>(table_, cap, std::move(tag_ids));
  for (uint32_t slot : table_.capabilities().slots(cap)) {
    ServiceState& s = table_.at(slot);
    if (s.status == ServiceStatus::kHealthy && pool->accepts(s)) pool->add(s);
  }
  Pool* p = pool.get();
  p->last_used = ++tick_;
  by_capability_[cap].push_back(p);
  pools_.emplace(tags.empty() ? std::string(capability) : tagged_key, std::move(pool));
  evict_beyond_max();  // never `p`: it is the most recently used
  return p;
}

void PoolSet::joined(ServiceState& s) {
  for (uint32_t cap : s.cap_ids) {
    auto it = by_capability_.find(cap);
    if (it == by_capability_.end()) continue;
    for (Pool* p : it->second)
      if (p->accepts(s) && p->index_of(s) == kNoMember) p->add(s);
  }
}

void PoolSet::left(ServiceState& s) {
  while (!s.pools.empty())
    s.pools.back().pool->remove(s, table_);
}

void PoolSet::changed(const ServiceState& s, Change what) {
  for (const Membership& m : s.pools)
    m.pool->changed(s, what);
}

void PoolSet::forget_unused_names() {
  for (auto it = pools_.begin(); it != pools_.end();) {
    const Pool& p = *it->second;
    bool unused = table_.capabilities().slots(p.capability()).empty();
    for (uint32_t t : p.tags())
      unused = unused || table_.tags().slots(t).empty();
    if (unused) {
      auto next = std::next(it);
      erase(it);
      it = next;
    } else {
      ++it;
    }
  }
}

void PoolSet::set_max(size_t max_pools) {
  max_ = max_pools;
  evict_beyond_max();
}

void PoolSet::erase(Map::iterator it) {
  Pool* p = it->second.get();
  // Members leave first, so that no service keeps a pointer to it.
  std::vector<uint32_t> slots;
  for (uint32_t i = 0; i < p->size(); ++i)
    slots.push_back(p->member(i).slot);
  for (uint32_t slot : slots)
    p->remove(table_.at(slot), table_);
  auto& list = by_capability_[p->capability()];
  list.erase(std::remove(list.begin(), list.end(), p), list.end());
  if (list.empty()) by_capability_.erase(p->capability());
  pools_.erase(it);
}

void PoolSet::evict_beyond_max() {
  while (pools_.size() > std::max<size_t>(max_, 1)) {
    auto oldest = pools_.begin();
    for (auto it = pools_.begin(); it != pools_.end(); ++it)
      if (it->second->last_used < oldest->second->last_used) oldest = it;
    erase(oldest);
  }
}

}  // namespace chorus::discovery
