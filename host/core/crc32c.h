// CRC-32C (Castagnoli), the checksum of stored event records
// (docs/event-format.md). Uses the SSE4.2 instruction when the CPU has it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace chorus {

// CRC-32C of `data`, continuing from `crc` (0 to start).
uint32_t crc32c(const void* data, size_t n, uint32_t crc = 0) noexcept;
inline uint32_t crc32c(std::string_view s, uint32_t crc = 0) noexcept {
  return crc32c(s.data(), s.size(), crc);
}

}  // namespace chorus
