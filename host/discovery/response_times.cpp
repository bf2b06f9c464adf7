// Response-time EWMA and histogram.
#include "discovery/response_times.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace chorus::discovery {

void record_response(ResponseTimes& r, uint64_t us) noexcept {
  r.ewma_us = r.count == 0 ? static_cast<double>(us)
                           : kEwmaAlpha * static_cast<double>(us) + (1 - kEwmaAlpha) * r.ewma_us;
  ++r.count;
  r.max_us = std::max(r.max_us, us);
  // Bucket i >= 1 holds [2^(i-1), 2^i): bit_width(us) is exactly that i.
  const size_t b = std::min<size_t>(static_cast<size_t>(std::bit_width(us)), kResponseBuckets - 1);
  ++r.buckets[b];
}

uint64_t ResponseTimes::quantile_us(double q) const noexcept {
  if (count == 0) return 0;
  const auto want = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count)));
  uint64_t seen = 0;
  for (size_t i = 0; i < kResponseBuckets; ++i) {
    seen += buckets[i];
    if (seen >= std::max<uint64_t>(want, 1)) {
      if (i + 1 == kResponseBuckets) return max_us;
      return std::min<uint64_t>(uint64_t{1} << i, max_us);
    }
  }
  return max_us;
}

}  // namespace chorus::discovery
