// Events for tests, one copy for every suite (bus, store, integration).
// Building never fails with the inputs tests use; if it does, the helper
// prints why and aborts, because tests call these from worker threads too,
// where Catch2's assertions and exceptions do not belong.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"

namespace chorus::test {

// The built event, or abort with the builder's error.
inline EventPtr build_or_abort(EventBuilder& b) {
  auto e = b.build();
  if (!e.ok()) {
    std::fprintf(stderr, "test event: %s\n", e.error().to_string().c_str());
    std::abort();
  }
  return *e;
}

// An event of `type` from source "test", with a priority and optional data.
inline EventPtr make_event(std::string_view type, Priority p = Priority::kNormal,
                           std::string_view data = {}) {
  EventBuilder b(type);
  b.source("test").priority(p);
  if (!data.empty()) b.data(data);
  return build_or_abort(b);
}

// The fields a test may set; the rest are the builder's (id, time now).
struct EvSpec {
  std::string type = "test.event";
  std::string stream;
  std::string data = R"({"n":1})";
  std::string correlation;
  int64_t time_ns = 0;  // 0: now
};

inline EventPtr make_ev(const EvSpec& s) {
  EventBuilder b(s.type);
  b.source("test").data(s.data);
  if (!s.stream.empty()) b.stream(s.stream);
  if (!s.correlation.empty()) b.correlation_id(s.correlation);
  if (s.time_ns) b.time_ns(s.time_ns);
  return build_or_abort(b);
}

// An event of `type` on `stream` (empty: none) with data {"n":1}.
inline EventPtr ev(std::string type = "test.event", std::string stream = {}) {
  EvSpec s;
  s.type = std::move(type);
  s.stream = std::move(stream);
  return make_ev(s);
}

// `n` events of `type` on `stream`, with data {"i":<index>}.
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

}  // namespace chorus::test
