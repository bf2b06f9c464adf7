// UUIDv7 generation and the text form. See uuid.h for the bit layout.
#include "core/uuid.h"

#include <atomic>
#include <bit>
#include <cstring>
#include <random>
#include <thread>

#include <fmt/core.h>

#include "core/clock.h"

namespace chorus {
namespace {

// (unix_ms << 16 | counter) of the last id handed out, process-wide.
std::atomic<uint64_t> g_last_tick{0};

// splitmix64: a fast per-thread generator for the 58 random bits. Ids are not
// secrets; uniqueness comes from the counter, randomness only spreads them.
struct ThreadRandom {
  uint64_t state;
  ThreadRandom() {
    std::random_device rd;
    state = (static_cast<uint64_t>(rd()) << 32) ^ rd() ^
            std::hash<std::thread::id>{}(std::this_thread::get_id());
  }
  uint64_t next() noexcept {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
};

uint64_t next_tick(uint64_t now_ms) noexcept {
  const uint64_t now_tick = now_ms << 16;
  uint64_t last = g_last_tick.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    next = now_tick > last ? now_tick : last + 1;
  } while (!g_last_tick.compare_exchange_weak(last, next, std::memory_order_relaxed));
  return next;
}

constexpr char kHex[] = "0123456789abcdef";

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool Uuid::is_nil() const noexcept {
  uint64_t a, b;
  std::memcpy(&a, bytes.data(), 8);
  std::memcpy(&b, bytes.data() + 8, 8);
  return (a | b) == 0;
}

int64_t Uuid::unix_ms() const noexcept {
  int64_t ms = 0;
  for (int i = 0; i < 6; ++i)
    ms = (ms << 8) | bytes[i];
  return ms;
}

void Uuid::format_to(char* out) const noexcept {
  int o = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out[o++] = '-';
    out[o++] = kHex[bytes[i] >> 4];
    out[o++] = kHex[bytes[i] & 0xf];
  }
}

std::string Uuid::to_string() const {
  std::string s(36, '\0');
  format_to(s.data());
  return s;
}

Result<Uuid> Uuid::parse(std::string_view text) {
  if (text.size() != 36)
    return Status::InvalidArgument(fmt::format(
        "uuid '{}': expected 36 characters (8-4-4-4-12 hex), got {}", text, text.size()));
  Uuid u;
  size_t b = 0;
  for (size_t i = 0; i < 36;) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-')
        return Status::InvalidArgument(
            fmt::format("uuid '{}': expected '-' at position {}", text, i));
      ++i;
      continue;
    }
    int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
    if (hi < 0 || lo < 0)
      return Status::InvalidArgument(
          fmt::format("uuid '{}': non-hex character at position {}", text, hi < 0 ? i : i + 1));
    u.bytes[b++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return u;
}

Uuid new_uuid_v7_at(int64_t unix_ns) noexcept {
  thread_local ThreadRandom rng;
  const uint64_t tick = next_tick(static_cast<uint64_t>(unix_ns < 0 ? 0 : unix_ns / 1'000'000));
  const uint64_t ms = tick >> 16;
  const uint64_t counter = tick & 0xffff;
  const uint64_t rnd = rng.next();
  // High 64 bits: ms(48) | ver(4) | counter high 12.
  const uint64_t hi = (ms << 16) | (uint64_t{7} << 12) | (counter >> 4);
  // Low 64 bits: variant(2) | counter low 4 | random 58.
  const uint64_t lo = (uint64_t{2} << 62) | ((counter & 0xf) << 58) | (rnd >> 6);
  Uuid u;
  static_assert(std::endian::native == std::endian::little, "ids are written big-endian");
  const uint64_t hi_be = __builtin_bswap64(hi), lo_be = __builtin_bswap64(lo);
  std::memcpy(u.bytes.data(), &hi_be, 8);
  std::memcpy(u.bytes.data() + 8, &lo_be, 8);
  return u;
}

Uuid new_uuid_v7() noexcept {
  return new_uuid_v7_at(wall_clock_ns());
}

size_t UuidHash::operator()(const Uuid& u) const noexcept {
  // The low 8 bytes are mostly random: a good hash as they are.
  uint64_t a, b;
  std::memcpy(&a, u.bytes.data(), 8);
  std::memcpy(&b, u.bytes.data() + 8, 8);
  return static_cast<size_t>(b ^ (a * 0x9e3779b97f4a7c15ULL));
}

}  // namespace chorus
