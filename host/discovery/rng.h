// A small, fast pseudo-random generator (SplitMix64) for the random and
// power-of-two strategies. Not thread-safe: the registry's lock guards it.
#pragma once

#include <cstdint>

namespace chorus::discovery {

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed) {}
  uint64_t next() noexcept {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n). REQUIRES: n > 0. (Lemire's multiply-shift; the bias
  // for pools below 2^32 members is negligible.)
  uint32_t below(uint32_t n) noexcept {
    return static_cast<uint32_t>(((next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }

 private:
  uint64_t s_;
};

}  // namespace chorus::discovery
