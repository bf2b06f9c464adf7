// The `store:` section: durability, the event types the bus persists, the
// LMDB map, retention rules and consumer-group defaults (docs/config.md
// "store", docs/store.md). A plain struct: host/cli maps it onto
// store::StoreOptions, so config does not depend on the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace chorus::config {

class MapReader;

enum class StoreDurability {
  kAlways,    // fsync on every commit (the default)
  kInterval,  // fsync at most every sync_interval; appends complete after it
  kNone,      // no fsync; appends complete after the commit
};

struct StoreRetentionRule {
  std::string pattern;  // glob over stream names; "$global": events without a stream
  std::chrono::milliseconds max_age{0};  // 0: none
  uint64_t max_count = 0;                // 0: none

  friend bool operator==(const StoreRetentionRule&, const StoreRetentionRule&) = default;
};

struct StoreSection {
  StoreDurability durability = StoreDurability::kAlways;
  std::chrono::milliseconds sync_interval{10};
  // Event-type patterns ("order.*") that the bus appends to the store before
  // delivering them. Empty: nothing is persisted by the bus.
  std::vector<std::string> persist;
  uint64_t map_initial = 64ull << 20;
  uint64_t map_max = 1ull << 40;
  uint64_t map_growth = 1ull << 30;
  std::chrono::milliseconds retention_interval{60'000};  // 0: only on demand
  uint64_t retention_batch = 1'000;
  std::vector<StoreRetentionRule> retention;  // in file order; the first match applies
  std::chrono::milliseconds group_ack_timeout{30'000};
  uint32_t group_max_deliveries = 5;  // 0: unlimited

  friend bool operator==(const StoreSection&, const StoreSection&) = default;
};

void parse_store_section(MapReader& r, StoreSection& out);

}  // namespace chorus::config
