// A small benchmark harness: runs a body for a minimum time, reports ns/op
// and ops/s as one JSON object per line (machine-readable), and a ratio to a
// ceiling measured in the same process when one is given.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace chorus::bench {

using Clock = std::chrono::steady_clock;

// Keeps the optimizer from dropping a computed value.
template <typename T>
inline void keep(T&& v) {
  asm volatile("" : : "g"(&v) : "memory");
}

struct Measure {
  double ns_per_op = 0;
  double ops_per_sec = 0;
  uint64_t ops = 0;
};

// Calls body(n) with growing n until one call takes >= min_time; body does n
// operations and returns how many it did (usually n).
template <typename Body>
Measure run_for(Body&& body, std::chrono::milliseconds min_time = std::chrono::milliseconds(500)) {
  uint64_t n = 1;
  while (true) {
    const auto t0 = Clock::now();
    const uint64_t done = body(n);
    const auto dt = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    if (dt >= static_cast<double>(std::chrono::nanoseconds(min_time).count()) ||
        n >= (1ull << 40)) {
      Measure m;
      m.ops = done;
      m.ns_per_op = dt / static_cast<double>(done);
      m.ops_per_sec = 1e9 / m.ns_per_op;
      return m;
    }
    n = dt < 1e6 ? n * 10 : static_cast<uint64_t>(static_cast<double>(n) * 1.5e9 / dt) + 1;
  }
}

// {"bench":"<name>","ns_per_op":...,"ops_per_sec":...[,"ceiling":"<c>","ratio":...][,extra]}
inline void report(const std::string& name, const Measure& m, const std::string& ceiling_name = "",
                   const Measure* ceiling = nullptr, const std::string& extra = "") {
  std::printf("{\"bench\":\"%s\",\"ns_per_op\":%.2f,\"ops_per_sec\":%.0f", name.c_str(),
              m.ns_per_op, m.ops_per_sec);
  if (ceiling)
    std::printf(",\"ceiling\":\"%s\",\"ceiling_ops_per_sec\":%.0f,\"ratio\":%.3f",
                ceiling_name.c_str(), ceiling->ops_per_sec, m.ops_per_sec / ceiling->ops_per_sec);
  if (!extra.empty()) std::printf(",%s", extra.c_str());
  std::printf("}\n");
  std::fflush(stdout);
}

}  // namespace chorus::bench
