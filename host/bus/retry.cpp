// Backoff computation and the per-thread random source for jitter.
#include "bus/retry.h"

#include <algorithm>
#include <cmath>
#include <random>

namespace chorus::bus {

std::chrono::nanoseconds retry_delay(const RetryPolicy& p, uint32_t next_attempt, double random01) {
  using ns = std::chrono::nanoseconds;
  const double cap = static_cast<double>(ns(p.max_backoff).count());
  const double exponent = next_attempt >= 2 ? static_cast<double>(next_attempt - 2) : 0.0;
  double d = static_cast<double>(ns(p.initial_backoff).count()) * std::pow(p.multiplier, exponent);
  d = std::min(d, cap);
  d *= 1.0 + p.jitter * (2.0 * random01 - 1.0);
  d = std::clamp(d, 0.0, cap);
  return ns(static_cast<int64_t>(d));
}

double random01() noexcept {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

}  // namespace chorus::bus
