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
  i.handle = (uint64_t{slot} << 32) | (generation & 0xffffffffu);
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

ServiceState* ServiceTable::by_handle(uint64_t handle) {
  const auto slot = static_cast<uint32_t>(handle >> 32);
  if (slot >= slots_.size() || !slots_[slot]) return nullptr;
  ServiceState* s = slots_[slot].get();
  return (s->generation & 0xffffffffu) == (handle & 0xffffffffu) ? s : nullptr;
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
  s->weight = spec->weight;
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
  // The sorted slot lists of every name asked for, intersected from the
  // shortest up: only the survivors' records are read (for their status).
  std::vector<uint32_t> out;
  std::vector<const std::vector<uint32_t>*> lists;
  auto add = [&](const NameIndex& index, std::string_view name) {
    const uint32_t id = index.find(name);
    if (id == kNoId) return false;
    lists.push_back(&index.slots(id));
    return true;
  };
  if (!q.type.empty() && !add(types_, q.type)) return out;
  if (!q.capability.empty() && !add(caps_, q.capability)) return out;
  for (const auto& t : q.tags)
    if (!add(tags_, t)) return out;

  const bool healthy_only = q.health == HealthFilter::kHealthyOnly;
  if (lists.empty()) {
    for (const auto& s : slots_)
      if (s && (!healthy_only || s->status == ServiceStatus::kHealthy)) out.push_back(s->slot);
  } else {
    std::sort(lists.begin(), lists.end(),
              [](const auto* a, const auto* b) { return a->size() < b->size(); });
    out = *lists[0];
    for (size_t i = 1; i < lists.size() && !out.empty(); ++i) {
      const std::vector<uint32_t>& other = *lists[i];
      auto from = other.begin();
      size_t kept = 0;
      for (uint32_t slot : out) {
        from = std::lower_bound(from, other.end(), slot);
        if (from == other.end()) break;
        if (*from == slot) out[kept++] = slot;
      }
      out.resize(kept);
    }
    if (healthy_only)
      std::erase_if(out,
                    [&](uint32_t slot) { return slots_[slot]->status != ServiceStatus::kHealthy; });
  }
  std::vector<std::pair<const std::string*, uint32_t>> by_id;
  by_id.reserve(out.size());
  for (uint32_t slot : out)
    by_id.emplace_back(&slots_[slot]->spec->id, slot);
  const size_t n = q.limit ? std::min(q.limit, by_id.size()) : by_id.size();
  auto less = [](const auto& a, const auto& b) { return *a.first < *b.first; };
  if (n < by_id.size()) {
    std::partial_sort(by_id.begin(), by_id.begin() + static_cast<ptrdiff_t>(n), by_id.end(), less);
    by_id.resize(n);
  } else {
    std::sort(by_id.begin(), by_id.end(), less);
  }
  for (size_t i = 0; i < by_id.size(); ++i)
    out[i] = by_id[i].second;
  out.resize(by_id.size());
  return out;
}

}  // namespace chorus::discovery
