// Lookups and load balancing: get, discover, select, release and response
// times (registry_core.h). A selection asks the pool of its capability and
// tags for the strategy's pick, then counts the connection, which every
// strategy of every pool the instance is in sees through Pool::changed.
#include <fmt/format.h>

#include "core/text.h"
#include "discovery/registry_core.h"
#include "discovery/response_times.h"
#include "discovery/validate.h"

namespace chorus::discovery {

Result<ServiceInfo> Registry::Core::get(std::string_view id) const {
  std::lock_guard l(mu);
  CHORUS_RETURN_IF_ERROR(open_check_locked());
  const ServiceState* s = table.find(id);
  if (!s) return Status::NotFound(fmt::format("service '{}' is not registered", printable(id)));
  return s->info();
}

std::vector<ServiceInfo> Registry::Core::discover(const Query& q) const {
  std::vector<ServiceInfo> out;
  std::lock_guard l(mu);
  if (closed) return out;
  const std::vector<uint32_t> slots = table.query(q);
  out.reserve(slots.size());
  for (uint32_t slot : slots)
    out.push_back(table.at(slot).info());
  return out;
}

Result<ServiceInfo> Registry::Core::select(std::string_view capability, const SelectOptions& o) {
  CHORUS_RETURN_IF_ERROR(validate_capability(capability));
  for (const auto& t : o.tags)
    CHORUS_RETURN_IF_ERROR(validate_tag(t));
  std::lock_guard l(mu);
  CHORUS_RETURN_IF_ERROR(open_check_locked());
  Strategy strategy = options.strategy;
  if (o.strategy) {
    strategy = *o.strategy;
  } else if (auto it = options.capability_strategies.find(capability);
             it != options.capability_strategies.end()) {
    strategy = it->second;
  }
  StrategyStats& st = strategy_stats[static_cast<size_t>(strategy)];
  Pool* pool = pools.get(capability, o.tags);
  if (!pool || pool->size() == 0) {
    ++st.no_healthy;
    const uint32_t cap = table.capabilities().find(capability);
    const size_t registered_with = cap == kNoId ? 0 : table.capabilities().slots(cap).size();
    return Status::NoHealthyInstance(fmt::format(
        "no healthy instance with capability '{}'{}{}: {} registered, 0 healthy", capability,
        o.tags.empty() ? "" : " and tags ", fmt::join(o.tags, ", "), registered_with));
  }
  uint32_t avoid = kNoMember;
  if (!o.avoid.empty())
    if (const ServiceState* a = table.find(o.avoid)) avoid = pool->index_of(*a);
  const uint32_t i = pool->balancer(strategy).pick(avoid, rng);
  ServiceState& s = table.at(pool->member(i).slot);
  ++s.active;
  ++s.selections;
  s.last_pick = ++pick_tick;
  pools.changed(s, Change::kLoad);
  ++st.selections;
  return s.info();
}

void Registry::Core::release(std::string_view id) {
  std::lock_guard l(mu);
  if (ServiceState* s = table.find(id)) release_locked(*s);
}

void Registry::Core::release(const ServiceInfo& selected) {
  std::lock_guard l(mu);
  if (ServiceState* s = table.by_handle(selected.handle)) release_locked(*s);
}

void Registry::Core::release_locked(ServiceState& s) {
  if (s.active == 0) return;
  --s.active;
  pools.changed(s, Change::kLoad);
}

void Registry::Core::record_response_time(std::string_view id, std::chrono::microseconds elapsed) {
  std::lock_guard l(mu);
  ServiceState* s = table.find(id);
  if (!s) return;
  record_response(s->response, static_cast<uint64_t>(std::max<int64_t>(elapsed.count(), 0)));
  s->response_count = s->response.count;
  s->response_ewma_us = s->response.ewma_us;
  pools.changed(*s, Change::kLatency);
}

}  // namespace chorus::discovery
