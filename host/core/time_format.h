// RFC 3339 timestamps <-> nanoseconds since the Unix epoch (UTC).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace chorus {

// "2026-11-23T05:54:28.123456789Z": UTC, fraction trimmed of trailing zeros
// (none at all on a whole second). Parsing it back gives `ns` exactly.
std::string format_rfc3339(int64_t ns);

// Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm)". 'T'/'Z' may be lower
// case; the fraction may have 1 to 9 digits (more are an error); a leap
// second (:60) counts as the next second. The time must fit int64
// nanoseconds (years 1678 to 2261).
Result<int64_t> parse_rfc3339(std::string_view text);

}  // namespace chorus
