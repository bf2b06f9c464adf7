// Small text helpers shared by validators and error messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chorus {

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
bool is_valid_utf8(std::string_view s) noexcept;

// `s` made safe to embed in an error or log message: control and non-ASCII
// bytes become \xNN, and text longer than `max_bytes` is cut with "...".
std::string printable(std::string_view s, size_t max_bytes = 80);

}  // namespace chorus
