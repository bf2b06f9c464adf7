// Helpers for store tests: a store in a temporary directory, and the
// versions/seqs of a read page (events: support/events.h, shared by suites).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/event.h"
#include "store/event_store.h"
#include "support/events.h"
#include "support/temp_dir.h"

namespace chorus::test {

inline store::StoreOptions options_for(const TempDir& dir, const std::string& sub = "store") {
  store::StoreOptions o;
  o.path = dir.file(sub);
  o.map_initial = 1u << 20;  // small, so that tests exercise growth
  o.retention_interval = std::chrono::milliseconds(0);
  return o;
}

inline std::unique_ptr<store::EventStore> open_store(const store::StoreOptions& o) {
  auto s = store::EventStore::open(o);
  INFO(s.status().to_string());
  REQUIRE(s.ok());
  return std::move(*s);
}

// Versions of a page's events.
inline std::vector<uint64_t> versions(const store::ReadPage& p) {
  std::vector<uint64_t> v;
  for (const auto& e : p.events)
    v.push_back(e.stream_version);
  return v;
}
inline std::vector<uint64_t> seqs(const store::ReadPage& p) {
  std::vector<uint64_t> v;
  for (const auto& e : p.events)
    v.push_back(e.seq);
  return v;
}

}  // namespace chorus::test
