// Durations and byte sizes as people write them ("250ms", "15m", "7d",
// "64MiB"): one parser for the configuration and the command line, so a
// value means the same thing wherever it is typed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace chorus {

// A non-negative number (decimals allowed: "1.5s") followed by a unit: "ns",
// "us", "ms", "s", "m", "h" or "d". A bare "0" needs no unit. Nothing else
// is accepted: no spaces, no sign, no exponent. nullopt when `text` is not
// such a duration or does not fit in int64 nanoseconds (about 292 years).
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text);

// A non-negative integer with an optional unit: none or "B" (bytes),
// "KiB", "MiB", "GiB", "TiB" (powers of 1024), "KB"/"kB", "MB", "GB", "TB"
// (powers of 1000). nullopt when `text` is not such a size or overflows.
std::optional<uint64_t> parse_byte_size(std::string_view text);

}  // namespace chorus
