// ServiceTable: the registry's records and its indexes (private to
// host/discovery). Each service lives in a numbered slot; capability, tag
// and type names are interned to small ids, and each name keeps the sorted
// list of slots that carry it, so a query starts from its rarest name and
// never scans the table. Not thread-safe: the registry's lock guards it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/container/small_vector.hpp>

#include "discovery/health_state.h"
#include "discovery/registry.h"
#include "discovery/registry_records.h"
#include "discovery/registry_stats.h"
#include "discovery/service.h"

namespace chorus::discovery {

class Pool;

inline constexpr uint32_t kNoId = UINT32_MAX;

// A service's place in one selection pool (pool.h).
struct Membership {
  Pool* pool = nullptr;
  uint32_t index = 0;  // in pool->members
};

struct ServiceState {
  // What the strategies compare, first and together: a heap step touches
  // one cache line per state, not the spec behind a pointer.
  uint32_t slot = 0;
  uint32_t weight = 1;  // spec->weight
  uint32_t active = 0;
  ServiceStatus status = ServiceStatus::kUnknown;
  uint64_t last_pick = 0;  // the registry's pick counter at its last selection
  int64_t last_heartbeat_ns = 0;
  int64_t last_check_pass_ns = 0;
  uint64_t response_count = 0;  // response.count
  double response_ewma_us = 0;  // response.ewma_us

  uint64_t generation = 0;  // registration number: checks of an older one are ignored
  std::shared_ptr<const ServiceSpec> spec;
  Origin origin = Origin::kDynamic;
  // Inline for the usual one or two pools: no pointer to chase on select.
  boost::container::small_vector<Membership, 2> pools;
  uint64_t selections = 0;

  // Status and what it is derived from (health_state.h).
  std::optional<ServiceStatus> override_status;
  CheckState check_state = CheckState::kNone;
  CheckStreak streak;
  bool expired = false;
  int64_t registered_ns = 0, status_since_ns = 0;
  bool heartbeat_dirty = false;  // heartbeated since the last checkpoint
  // What the journal last recorded of the status inputs (a status record is
  // written when they differ).
  struct Journaled {
    ServiceStatus status = ServiceStatus::kUnknown;
    CheckState check_state = CheckState::kNone;
    std::optional<ServiceStatus> override_status;
    friend bool operator==(const Journaled&, const Journaled&) = default;
  } journaled;

  // Interned names, each list sorted.
  uint32_t type_id = kNoId;
  std::vector<uint32_t> cap_ids, tag_ids;

  ResponseTimes response;

  // Checks.
  uint64_t checks_passed = 0, checks_failed = 0;
  std::string last_check_error;
  int64_t last_check_ns = 0;
  uint64_t last_check_us = 0;

  const std::string& id() const noexcept { return spec->id; }
  int64_t last_alive_ns() const noexcept {
    return last_heartbeat_ns > last_check_pass_ns ? last_heartbeat_ns : last_check_pass_ns;
  }
  bool has_tags(const std::vector<uint32_t>& sorted_tags) const noexcept;
  ServiceInfo info() const;
  ServiceRecord record() const;
  ServiceStats stats() const;
};

// Interned names with, for each, the sorted slots that carry it.
class NameIndex {
 public:
  // The name's id, adding a reference (and the name) as needed, and `slot`
  // to its list.
  uint32_t add(std::string_view name, uint32_t slot);
  // Drops `slot` from the name's list and one reference.
  void remove(uint32_t id, uint32_t slot);
  uint32_t find(std::string_view name) const;  // kNoId when unknown
  const std::vector<uint32_t>& slots(uint32_t id) const { return entries_[id].slots; }
  const std::string& name(uint32_t id) const { return entries_[id].name; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct Entry {
    std::string name;
    std::vector<uint32_t> slots;  // sorted
  };
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> ids_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> free_;
};

class ServiceTable {
 public:
  ServiceState* find(std::string_view id);
  const ServiceState* find(std::string_view id) const;
  ServiceState& at(uint32_t slot) { return *slots_[slot]; }
  const ServiceState& at(uint32_t slot) const { return *slots_[slot]; }

  // The state a ServiceInfo::handle names, or null when that registration
  // is gone.
  ServiceState* by_handle(uint64_t handle);

  // A new state for `spec` in a free slot, indexed by its names.
  // REQUIRES: the id is not in the table.
  ServiceState& add(std::shared_ptr<const ServiceSpec> spec, Origin origin);
  // REQUIRES: the state is in no pool.
  void remove(uint32_t slot);
  size_t size() const noexcept { return ids_.size(); }

  template <typename F>
  void for_each(F&& f) {
    for (auto& s : slots_)
      if (s) f(*s);
  }
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& s : slots_)
      if (s) f(*s);
  }

  const NameIndex& capabilities() const noexcept { return caps_; }
  const NameIndex& tags() const noexcept { return tags_; }

  // Slots matching `q`, ordered by service id.
  std::vector<uint32_t> query(const Query& q) const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::vector<std::unique_ptr<ServiceState>> slots_;
  std::vector<uint32_t> free_;
  std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> ids_;
  NameIndex caps_, tags_, types_;
  uint64_t next_generation_ = 1;
};

}  // namespace chorus::discovery
