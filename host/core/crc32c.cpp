// CRC-32C: hardware path (SSE4.2 crc32 instruction, 8 bytes per step) chosen
// once at startup, and a table-driven software path for other CPUs.
#include "core/crc32c.h"

#include <array>
#include <cstring>

namespace chorus {
namespace {

constexpr uint32_t kPoly = 0x82f63b78;  // reflected Castagnoli polynomial

constexpr std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k)
      c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kTable = make_table();

uint32_t crc_soft(const uint8_t* p, size_t n, uint32_t crc) noexcept {
  crc = ~crc;
  while (n--)
    crc = kTable[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t crc_hw(const uint8_t* p, size_t n,
                                                  uint32_t crc) noexcept {
  uint64_t c = ~crc;
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    c = __builtin_ia32_crc32di(c, v);
    p += 8;
    n -= 8;
  }
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n--)
    c32 = __builtin_ia32_crc32qi(c32, *p++);
  return ~c32;
}

using CrcFn = uint32_t (*)(const uint8_t*, size_t, uint32_t) noexcept;
CrcFn pick() noexcept {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") ? crc_hw : crc_soft;
}
const CrcFn g_crc = pick();
#endif

}  // namespace

uint32_t crc32c(const void* data, size_t n, uint32_t crc) noexcept {
#if defined(__x86_64__)
  return g_crc(static_cast<const uint8_t*>(data), n, crc);
#else
  return crc_soft(static_cast<const uint8_t*>(data), n, crc);
#endif
}

}  // namespace chorus
