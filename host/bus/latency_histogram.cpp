// Log-linear latency histogram.
#include "bus/latency_histogram.h"

#include <bit>

namespace chorus::bus {

int LatencyHistogram::bucket_of(uint64_t ns) noexcept {
  if (ns < 16) return static_cast<int>(ns);
  const int msb = 63 - std::countl_zero(ns);  // >= 4
  const int sub = static_cast<int>((ns >> (msb - 3)) & 7);
  const int b = 16 + (msb - 4) * 8 + sub;
  return b < kBuckets ? b : kBuckets - 1;
}

uint64_t LatencyHistogram::bucket_upper(int b) noexcept {
  if (b < 16) return static_cast<uint64_t>(b);
  const int msb = (b - 16) / 8 + 4;
  const uint64_t sub = static_cast<uint64_t>((b - 16) % 8);
  const uint64_t base = (uint64_t{8} + sub) << (msb - 3);
  return base + (uint64_t{1} << (msb - 3)) - 1;
}

void LatencyHistogram::record(uint64_t ns) noexcept {
  counts_[static_cast<size_t>(bucket_of(ns))].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(ns, std::memory_order_relaxed);
  uint64_t m = max_.load(std::memory_order_relaxed);
  while (ns > m && !max_.compare_exchange_weak(m, ns, std::memory_order_relaxed)) {
  }
}

void LatencyHistogram::add_to(std::array<uint64_t, kBuckets>& totals, uint64_t& sum,
                              uint64_t& max) const noexcept {
  for (int b = 0; b < kBuckets; ++b)
    totals[b] += counts_[b].load(std::memory_order_relaxed);
  sum += sum_.load(std::memory_order_relaxed);
  const uint64_t m = max_.load(std::memory_order_relaxed);
  if (m > max) max = m;
}

LatencySummary LatencyHistogram::summarize(const std::array<uint64_t, kBuckets>& totals,
                                           uint64_t sum, uint64_t max) noexcept {
  LatencySummary s;
  for (uint64_t c : totals)
    s.count += c;
  if (s.count == 0) return s;
  s.max_ns = max;
  s.mean_ns = static_cast<double>(sum) / static_cast<double>(s.count);
  auto at = [&](double q) {
    const auto rank = static_cast<uint64_t>(q * static_cast<double>(s.count - 1)) + 1;
    uint64_t seen = 0;
    for (int b = 0; b < kBuckets; ++b) {
      seen += totals[b];
      if (seen >= rank) return std::min(bucket_upper(b), max);
    }
    return max;
  };
  s.p50_ns = at(0.50);
  s.p90_ns = at(0.90);
  s.p99_ns = at(0.99);
  s.p999_ns = at(0.999);
  return s;
}

LatencySummary LatencyHistogram::summary() const noexcept {
  std::array<uint64_t, kBuckets> totals{};
  uint64_t sum = 0, max = 0;
  add_to(totals, sum, max);
  return summarize(totals, sum, max);
}

}  // namespace chorus::bus
