// Options of an EventStore: where it lives, how durable a commit is, how the
// LMDB map grows, retention rules and consumer-group defaults. The YAML
// `store:` section (host/config/store_section.h) maps onto this one to one;
// docs/store.md explains each choice.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace chorus::store {

// When an append is reported complete (docs/store.md "Durability").
enum class Durability : uint8_t {
  kAlways,    // after its commit was synced to disk (fsync on every commit)
  kInterval,  // after a sync, made at most every sync_interval
  kNone,      // after its commit (in the OS page cache; a power loss loses it)
};

// One retention rule. Rules are tried in order; the first whose pattern
// matches a stream name applies. The pattern is a glob over stream names
// (`*` any run of characters, `?` one character); the pattern "$global"
// names the events that have no stream.
struct RetentionRule {
  std::string pattern;
  std::chrono::milliseconds max_age{0};  // 0: no age limit
  uint64_t max_count = 0;                // 0: no count limit

  friend bool operator==(const RetentionRule&, const RetentionRule&) = default;
};

struct StoreOptions {
  // The environment directory (created when missing unless read_only).
  std::string path;
  // Read-only: no writer thread, no retention; appends fail with
  // FailedPrecondition. Used by `chorus store` while a host runs.
  bool read_only = false;

  Durability durability = Durability::kAlways;
  std::chrono::milliseconds sync_interval{10};  // for kInterval

  // LMDB map: starts at map_initial, grows by map_growth (or doubles while
  // smaller than that) before it is full, never beyond map_max.
  uint64_t map_initial = 64ull << 20;
  uint64_t map_max = 1ull << 40;
  uint64_t map_growth = 1ull << 30;

  // At most this many events in one group-commit transaction; more queued
  // appends wait for the next one (bounds the transaction's dirty pages).
  size_t max_events_per_txn = 16384;

  std::vector<RetentionRule> retention;
  // How often the background task enforces retention (0: only on demand).
  std::chrono::milliseconds retention_interval{60'000};
  // Events deleted per retention transaction.
  size_t retention_batch = 1000;

  // Defaults for consumer groups created without explicit values.
  std::chrono::milliseconds group_ack_timeout{30'000};
  uint32_t group_max_deliveries = 5;  // 0: unlimited
};

}  // namespace chorus::store
