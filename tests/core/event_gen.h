// Random valid events for property-style tests (fixed seeds, every field).
#pragma once

#include <random>
#include <string>

#include "core/event.h"

namespace chorus::test {

class EventGen {
 public:
  explicit EventGen(uint32_t seed) : rng_(seed) {}

  EventPtr next() {
    EventBuilder b(topic());
    b.source(text(16)).priority(static_cast<Priority>(pick(4)));
    b.time_ns(static_cast<int64_t>(rng_() % 4'000'000'000'000'000'000ull) + 1);
    b.id(new_uuid_v7());
    if (coin()) b.target(text(16));
    if (coin()) b.correlation_id(text(16));
    if (coin()) b.causation_id(new_uuid_v7().to_string());
    if (coin()) b.stream("order-" + std::to_string(pick(1000)));
    const int md = static_cast<int>(pick(5));
    for (int i = 0; i < md; ++i)
      b.metadata(key(), text(16));
    switch (pick(5)) {
      case 0:
        break;  // no data
      case 1:
        b.data(json());
        break;
      case 2:
        b.data(text(40), "text/plain; charset=utf-8");
        break;
      case 3:
        b.data(bytes(64), "application/octet-stream");
        break;
      case 4:
        b.data(json(), "application/cloudevents+json");
        break;
    }
    auto ev = b.build();
    if (!ev.ok()) throw std::runtime_error(ev.error().to_string());
    return *ev;
  }

  std::string topic() {
    std::string t;
    const size_t n = 1 + pick(5);
    for (size_t i = 0; i < n; ++i) {
      if (i) t += '.';
      t += seg();
    }
    return t;
  }

  // Compact JSON of random shape (as the CloudEvents encoder writes it).
  std::string json(int depth = 0) {
    switch (depth > 3 ? pick(4) : pick(6)) {
      case 0:
        return std::to_string(static_cast<int64_t>(rng_()) >> pick(60));
      case 1:
        return "\"" + text(12, false) + "\"";
      case 2:
        return coin() ? "true" : "false";
      case 3:
        return "12345678901234567890123.50e-7";  // not representable as a double
      case 4: {
        std::string s = "[";
        const size_t n = pick(4);
        for (size_t i = 0; i < n; ++i)
          s += (i ? "," : "") + json(depth + 1);
        return s + "]";
      }
      default: {
        std::string s = "{";
        const size_t n = pick(4);
        for (size_t i = 0; i < n; ++i)
          s += (i ? ",\"" : "\"") + seg() + "\":" + json(depth + 1);
        return s + "}";
      }
    }
  }

  size_t pick(size_t n) { return rng_() % n; }
  bool coin() { return rng_() & 1; }

 private:
  std::string seg() {
    static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789_-";
    std::string s;
    const size_t n = 1 + pick(8);
    for (size_t i = 0; i < n; ++i)
      s += kChars[pick(sizeof kChars - 1)];
    return s;
  }
  std::string key() {
    static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string s = "x";
    const size_t n = pick(10);
    for (size_t i = 0; i < n; ++i)
      s += kChars[pick(sizeof kChars - 1)];
    return s;
  }
  // Printable text, sometimes with multi-byte UTF-8 (no control characters,
  // no JSON escapes other than the ones a writer must produce).
  std::string text(size_t max, bool quotes = true) {
    static const char* kPieces[] = {
        "a", "Z",        " ", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
        "/", "order-42", ":", ".",           "\"",           "\\"};
    const size_t kinds = std::size(kPieces) - (quotes ? 0 : 2);
    std::string s;
    const size_t n = 1 + pick(max);
    for (size_t i = 0; i < n; ++i)
      s += kPieces[pick(kinds)];
    return s;
  }
  std::string bytes(size_t max) {
    std::string s(pick(max) + 1, '\0');
    for (auto& c : s)
      c = static_cast<char>(rng_());
    return s;
  }

  std::mt19937_64 rng_;
};

}  // namespace chorus::test
