// UUIDs as 16 raw bytes, and UUIDv7 generation (RFC 9562).
//
// Layout of the ids we generate (big-endian bit order, as in the RFC):
//   48 bits  unix_ts_ms    milliseconds since the Unix epoch
//    4 bits  version = 7
//   12 bits  counter, high part   ┐ a 16-bit counter that makes ids strictly
//    2 bits  variant = 0b10       │ increasing within one millisecond
//    4 bits  counter, low part    ┘ (RFC 9562 §6.2 method 1, fixed-length counter)
//   58 bits  random
// The (timestamp, counter) pair comes from one process-wide atomic, so ids are
// unique and strictly increasing within the process, across threads too, and
// byte order equals creation order. If more than 65,536 ids are made in one
// millisecond the counter carries into the timestamp, which then runs ahead of
// the clock by at most that overflow (RFC 9562 allows this); it falls back in
// step as soon as the clock catches up.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace chorus {

struct Uuid {
  std::array<uint8_t, 16> bytes{};

  bool is_nil() const noexcept;
  // Version nibble (7 for ids made by new_uuid_v7()).
  int version() const noexcept { return bytes[6] >> 4; }
  // For v7 ids: the embedded Unix time in milliseconds.
  int64_t unix_ms() const noexcept;

  // Canonical lowercase 8-4-4-4-12 text form (36 characters).
  std::string to_string() const;
  // Writes the 36-character text form to `out` (no terminator).
  void format_to(char* out) const noexcept;
  // Parses the 36-character hyphenated form (either case). Errors name the
  // offending position.
  static Result<Uuid> parse(std::string_view text);

  friend auto operator<=>(const Uuid&, const Uuid&) = default;
  friend bool operator==(const Uuid&, const Uuid&) = default;
};

// A new UUIDv7. Thread-safe; strictly greater than every id this process made
// before (see the layout above).
Uuid new_uuid_v7() noexcept;
// Same, with the millisecond timestamp taken from `unix_ns` when it is ahead
// of the last id (lets a caller share one clock read between an event's time
// and its id).
Uuid new_uuid_v7_at(int64_t unix_ns) noexcept;

struct UuidHash {
  size_t operator()(const Uuid& u) const noexcept;
};

}  // namespace chorus
