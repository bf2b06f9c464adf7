// Helpers for store tests: a store in a temporary directory, and events.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/event.h"
#include "store/event_store.h"
#include "support/temp_dir.h"

namespace chorus::test {

struct EvSpec {
  std::string type = "test.event";
  std::string stream;
  std::string data = R"({"n":1})";
  std::string correlation;
  int64_t time_ns = 0;
};

inline EventPtr make_ev(const EvSpec& s) {
  EventBuilder b(s.type);
  b.source("test").data(s.data);
  if (!s.stream.empty()) b.stream(s.stream);
  if (!s.correlation.empty()) b.correlation_id(s.correlation);
  if (s.time_ns) b.time_ns(s.time_ns);
  auto e = b.build();
  // Not REQUIRE: tests call this from several threads, and Catch2's
  // assertions are for the test's own thread.
  if (!e.ok()) {
    std::fprintf(stderr, "make_ev: %s\n", e.error().to_string().c_str());
    std::abort();
  }
  return *e;
}

inline EventPtr ev(std::string type = "test.event", std::string stream = {}) {
  EvSpec s;
  s.type = std::move(type);
  s.stream = std::move(stream);
  return make_ev(s);
}

inline std::vector<EventPtr> evs(size_t n, const std::string& stream = {},
                                 const std::string& type = "test.event") {
  std::vector<EventPtr> out;
  for (size_t i = 0; i < n; ++i) {
    EvSpec s;
    s.type = type;
    s.stream = stream;
    s.data = "{\"i\":" + std::to_string(i) + "}";
    out.push_back(make_ev(s));
  }
  return out;
}

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
