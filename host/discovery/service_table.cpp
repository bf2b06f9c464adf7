// The registry's records and indexes (service_table.h).
#include "discovery/service_table.h"

#include <algorithm>

namespace chorus::discovery {
namespace {

void insert_sorted(std::vector<uint32_t>& v, uint32_t x) {
  if (v.empty() || v.back() < x) {
    v.push_back(x);  // the common case: slots are handed out upwards
    return;
  }
  v.insert(std::lower_bound(v.begin(), v.end(), x), x);
}

void erase_sorted(std::vector<uint32_t>& v, uint32_t x) {
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it != v.end() && *it == x) v.erase(it);
}

bool contains_sorted(const std::vector<uint32_t>& v, uint32_t x) {
  return std::binary_search(v.begin(), v.end(), x);
}

}  // namespace

bool ServiceState::has_tags(const std::vector<uint32_t>& sorted_tags) const noexcept {
  return std::includes(tag_ids.begin(), tag_ids.end(), sorted_tags.begin(), sorted_tags.end());
}

ServiceInfo ServiceState::info() const {
  ServiceInfo i;
  i.spec = spec;
  i.origin = origin;
  i.status = status;
  i.registered_ns = registered_ns;
  i.last_heartbeat_ns = last_heartbeat_ns;
  i.status_since_ns = status_since_ns;
  i.active = active;
  return i;
}

ServiceRecord ServiceState::record() const {
  ServiceRecord r;
  r.spec = *spec;
  r.registered_ns = registered_ns;
  r.last_heartbeat_ns = last_heartbeat_ns;
  r.status_since_ns = status_since_ns;
  r.status = status;
  r.check_state = check_state;
  r.override_status = override_status;
  return r;
}

ServiceStats ServiceState::stats() const {
  ServiceStats s;
  s.id = spec->id;
  s.status = status;
  s.origin = origin;
  s.selections = selections;
  s.active = active;
  s.response = response;
  s.check = spec->check.kind;
  s.checks_passed = checks_passed;
  s.checks_failed = checks_failed;
  s.consecutive_passes = streak.passes;
  s.consecutive_failures = streak.failures;
  s.last_check_error = last_check_error;
  s.last_check_ns = last_check_ns;
  s.last_check_us = last_check_us;
  return s;
}

// ---- NameIndex ----

uint32_t NameIndex::add(std::string_view name, uint32_t slot) {
  uint32_t id;
  if (auto it = ids_.find(name); it != ids_.end()) {
    id = it->second;
  } else {
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
      entries_[id].name = std::string(name);
    } else {
      id = static_cast<uint32_t>(entries_.size());
      entries_.push_back(Entry{std::string(name), {}});
    }
    ids_.emplace(std::string(name), id);
  }
  insert_sorted(entries_[id].slots, slot);
  return id;
}

void NameIndex::remove(uint32_t id, uint32_t slot) {
  Entry& e = entries_[id];
  erase_sorted(e.slots, slot);
  if (!e.slots.empty()) return;
  ids_.erase(e.name);
  e.name.clear();
  e.slots.shrink_to_fit();
  free_.push_back(id);
}

uint32_t NameIndex::find(std::string_view name) const {
  auto it = ids_.find(name);
  return it == ids_.end() ? kNoId : it->second;
}

// ---- ServiceTable ----

ServiceState* ServiceTable::find(std::string_view id) {
  auto it = ids_.find(id);
  return it == ids_.end() ? nullptr : slots_[it->second].get();
}

const ServiceState* ServiceTable::find(std::string_view id) const {
  auto it = ids_.find(id);
  return it == ids_.end() ? nullptr : slots_[it->second].get();
}

ServiceState& ServiceTable::add(std::shared_ptr<const ServiceSpec> spec, Origin origin) {
  uint32_t slot;
  if (!free_.empty()) {
    // The lowest free slot keeps the indexes' appends cheap.
    std::pop_heap(free_.begin(), free_.end(), std::greater<>());
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  auto s = std::make_unique<ServiceState>();
  s->slot = slot;
  s->generation = next_generation_++;
  s->origin = origin;
  s->type_id = types_.add(spec->type, slot);
  for (const auto& c : spec->capabilities)
    s->cap_ids.push_back(caps_.add(c, slot));
  for (const auto& t : spec->tags)
    s->tag_ids.push_back(tags_.add(t, slot));
  std::sort(s->cap_ids.begin(), s->cap_ids.end());
  std::sort(s->tag_ids.begin(), s->tag_ids.end());
  s->spec = std::move(spec);
  ids_.emplace(s->spec->id, slot);
  slots_[slot] = std::move(s);
  return *slots_[slot];
}

void ServiceTable::remove(uint32_t slot) {
  ServiceState& s = *slots_[slot];
  types_.remove(s.type_id, slot);
  for (uint32_t c : s.cap_ids)
    caps_.remove(c, slot);
  for (uint32_t t : s.tag_ids)
    tags_.remove(t, slot);
  ids_.erase(s.spec->id);
  slots_[slot].reset();
  free_.push_back(slot);
  std::push_heap(free_.begin(), free_.end(), std::greater<>());
}

std::vector<uint32_t> ServiceTable::query(const Query& q) const {
  std::vector<uint32_t> out;
  uint32_t type = kNoId, cap = kNoId;
  std::vector<uint32_t> tags;
  const std::vector<uint32_t>* smallest = nullptr;
  auto consider = [&](const std::vector<uint32_t>& list) {
    if (!smallest || list.size() < smallest->size()) smallest = &list;
  };
  if (!q.type.empty()) {
    if ((type = types_.find(q.type)) == kNoId) return out;
    consider(types_.slots(type));
  }
  if (!q.capability.empty()) {
    if ((cap = caps_.find(q.capability)) == kNoId) return out;
    consider(caps_.slots(cap));
  }
  for (const auto& t : q.tags) {
    const uint32_t id = tags_.find(t);
    if (id == kNoId) return out;
    tags.push_back(id);
    consider(tags_.slots(id));
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());

  auto matches = [&](const ServiceState& s) {
    if (q.health == HealthFilter::kHealthyOnly && s.status != ServiceStatus::kHealthy) return false;
    if (type != kNoId && s.type_id != type) return false;
    if (cap != kNoId && !contains_sorted(s.cap_ids, cap)) return false;
    return s.has_tags(tags);
  };
  if (smallest) {
    for (uint32_t slot : *smallest)
      if (matches(*slots_[slot])) out.push_back(slot);
  } else {
    for (const auto& s : slots_)
      if (s && matches(*s)) out.push_back(s->slot);
  }
  std::sort(out.begin(), out.end(),
            [&](uint32_t a, uint32_t b) { return slots_[a]->id() < slots_[b]->id(); });
  if (q.limit && out.size() > q.limit) out.resize(q.limit);
  return out;
}

}  // namespace chorus::discovery
