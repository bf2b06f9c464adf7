// Histogram: a Prometheus histogram with fixed bucket bounds and lock-free
// observation, for latencies the API measures itself (request durations).
// Subsystems with their own histograms convert them to HistogramData.
//
// Threading: observe() and snapshot() are thread-safe; a snapshot taken
// during observations may be one observation behind in some buckets.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "api/prometheus.h"

namespace chorus::api {

class Histogram {
 public:
  // `bounds` ascending (e.g. latency_buckets_seconds()).
  explicit Histogram(std::vector<double> bounds);

  void observe(double value) noexcept;
  HistogramData snapshot() const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<uint64_t> sum_micro_{0};               // sum in millionths (no atomic double add)
};

}  // namespace chorus::api
