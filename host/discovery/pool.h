// Pool: the healthy instances of one capability that carry a set of tags,
// as one strategy-independent member list, plus the state of each strategy
// used on it (created on first use). PoolSet owns the pools, creates them on
// the first select() that names them, keeps their members in step with
// health changes, and evicts the least recently used one beyond its bound.
// Not thread-safe: the registry's lock guards every call.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "discovery/balancer.h"
#include "discovery/service_table.h"
#include "discovery/strategy.h"

namespace chorus::discovery {

class Pool {
 public:
  Pool(const ServiceTable& table, uint32_t capability, std::vector<uint32_t> tags);
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  uint32_t size() const noexcept { return static_cast<uint32_t>(members_.size()); }
  const ServiceState& member(uint32_t i) const { return table_.at(members_[i]); }
  uint32_t capability() const noexcept { return capability_; }
  const std::vector<uint32_t>& tags() const noexcept { return tags_; }
  // Whether `s` belongs here when healthy (capability and tags).
  bool accepts(const ServiceState& s) const noexcept;
  // The member index of `s`, kNoMember when it is not a member.
  uint32_t index_of(const ServiceState& s) const noexcept;

  void add(ServiceState& s);
  void remove(ServiceState& s, ServiceTable& table);
  void changed(const ServiceState& s, Change what);
  // The strategy's state, made (with every current member) on first use.
  Balancer& balancer(Strategy s);

  uint64_t last_used = 0;

 private:
  const ServiceTable& table_;
  uint32_t capability_;
  std::vector<uint32_t> tags_;     // sorted ids
  std::vector<uint32_t> members_;  // slots
  std::array<std::unique_ptr<Balancer>, kStrategyCount> balancers_;
};

class PoolSet {
 public:
  PoolSet(ServiceTable& table, size_t max_pools) : table_(table), max_(max_pools) {}

  // The pool of `capability` with `tags` (sorted tag ids given by the
  // caller), made and filled on first use; nullptr when the capability or a
  // tag is not known to the table.
  Pool* get(std::string_view capability, const std::vector<std::string>& tags);
  // `s` became healthy: joins every pool it matches.
  void joined(ServiceState& s);
  // `s` is no longer healthy (or leaves): leaves every pool.
  void left(ServiceState& s);
  void changed(const ServiceState& s, Change what);
  // Drops the pools that name a capability or tag id no service has any
  // more. REQUIRES: called after removing services and before interning
  // new names (a freed id is reused for the next new name).
  void forget_unused_names();
  void set_max(size_t max_pools);
  size_t size() const noexcept { return pools_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  using Map = std::unordered_map<std::string, std::unique_ptr<Pool>, Hash, std::equal_to<>>;
  void erase(Map::iterator it);
  void evict_beyond_max();

  ServiceTable& table_;
  size_t max_;
  uint64_t tick_ = 0;
  Map pools_;
  std::unordered_map<uint32_t, std::vector<Pool*>> by_capability_;
};

}  // namespace chorus::discovery
