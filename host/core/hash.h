// A fast 64-bit hash of short byte strings (event types, stream names), for
// in-memory indexes only: it is not stable across versions and never stored.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace chorus {

// Eight bytes per step with a multiply-rotate mix, then a final avalanche.
inline uint64_t hash_bytes(std::string_view s) noexcept {
  constexpr uint64_t kMul = 0x9e3779b97f4a7c15ULL;
  uint64_t h = 0x243f6a8885a308d3ULL ^ (s.size() * kMul);
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h = (h << 29) | (h >> 35);
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * kMul;
  }
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return h;
}

}  // namespace chorus
