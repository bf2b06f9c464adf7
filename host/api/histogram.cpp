// Fixed-bucket histogram (histogram.h).
#include "api/histogram.h"

#include <algorithm>
#include <cmath>

namespace chorus::api {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i)
    counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::observe(double value) noexcept {
  if (!(value >= 0)) value = 0;  // NaN and negatives count as 0
  const size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) -
                                       bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<uint64_t>(std::llround(std::min(value, 1e12) * 1e6)),
                       std::memory_order_relaxed);
}

HistogramData Histogram::snapshot() const {
  HistogramData h;
  h.bounds = bounds_;
  h.counts.resize(bounds_.size() + 1);
  for (size_t i = 0; i <= bounds_.size(); ++i)
    h.counts[i] = counts_[i].load(std::memory_order_relaxed);
  h.sum = static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
  return h;
}

}  // namespace chorus::api
