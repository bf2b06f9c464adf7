// LatencyHistogram: log-linear buckets (8 per power of two, so values are
// kept to within 12.5%) of nanosecond latencies, with lock-free recording.
// Used for publish-to-handler latency per subscriber; merged for the bus.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace chorus::bus {

struct LatencySummary {
  uint64_t count = 0;
  uint64_t p50_ns = 0, p90_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;
  double mean_ns = 0;
};

class LatencyHistogram {
 public:
  static constexpr int kBuckets = 16 + 44 * 8;  // exact below 16 ns, then up to ~2^48 ns

  void record(uint64_t ns) noexcept;
  // Adds this histogram's counts into `totals` (for merging).
  void add_to(std::array<uint64_t, kBuckets>& totals, uint64_t& sum, uint64_t& max) const noexcept;
  LatencySummary summary() const noexcept;
  static LatencySummary summarize(const std::array<uint64_t, kBuckets>& totals, uint64_t sum,
                                  uint64_t max) noexcept;

  static int bucket_of(uint64_t ns) noexcept;
  // The largest value that falls in bucket `b` (what percentiles report).
  static uint64_t bucket_upper(int b) noexcept;

 private:
  std::array<std::atomic<uint64_t>, kBuckets> counts_{};
  std::atomic<uint64_t> sum_{0};
  std::atomic<uint64_t> max_{0};
};

}  // namespace chorus::bus
