// Duration and byte-size parsing (units.h).
#include "core/units.h"

#include <charconv>
#include <cmath>
#include <limits>

namespace chorus {
namespace {

bool plain_number(std::string_view text) {
  // from_chars accepts "inf", "nan", exponents and a leading '-': refuse them.
  if (text.empty()) return false;
  for (char c : text)
    if ((c < '0' || c > '9') && c != '.') return false;
  return true;
}

}  // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  const char* end = text.data() + text.size();
  const char* p = text.data();
  while (p != end && ((*p >= '0' && *p <= '9') || *p == '.'))
    ++p;
  const std::string_view number(text.data(), static_cast<size_t>(p - text.data()));
  const std::string_view unit(p, static_cast<size_t>(end - p));
  if (!plain_number(number)) return std::nullopt;
  double x = 0;
  auto [q, ec] = std::from_chars(number.data(), number.data() + number.size(), x);
  if (ec != std::errc() || q != number.data() + number.size()) return std::nullopt;
  double scale = 0;
  if (unit == "ns")
    scale = 1;
  else if (unit == "us")
    scale = 1e3;
  else if (unit == "ms")
    scale = 1e6;
  else if (unit == "s")
    scale = 1e9;
  else if (unit == "m")
    scale = 60e9;
  else if (unit == "h")
    scale = 3600e9;
  else if (unit == "d")
    scale = 86400e9;
  else if (unit.empty() && x == 0)
    scale = 1;  // a bare 0 needs no unit
  if (scale == 0) return std::nullopt;
  const double ns = std::round(x * scale);
  // 2^63 is exactly representable; anything at or above it does not fit.
  if (!std::isfinite(ns) || ns >= 9223372036854775808.0) return std::nullopt;
  return std::chrono::nanoseconds(static_cast<int64_t>(ns));
}

std::optional<uint64_t> parse_byte_size(std::string_view text) {
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  if (ec != std::errc() || p == text.data()) return std::nullopt;
  const std::string_view unit(p, static_cast<size_t>(text.data() + text.size() - p));
  uint64_t scale = 0;
  if (unit.empty() || unit == "B")
    scale = 1;
  else if (unit == "KiB")
    scale = 1ull << 10;
  else if (unit == "MiB")
    scale = 1ull << 20;
  else if (unit == "GiB")
    scale = 1ull << 30;
  else if (unit == "TiB")
    scale = 1ull << 40;
  else if (unit == "KB" || unit == "kB")
    scale = 1'000;
  else if (unit == "MB")
    scale = 1'000'000;
  else if (unit == "GB")
    scale = 1'000'000'000;
  else if (unit == "TB")
    scale = 1'000'000'000'000;
  if (scale == 0 || x > std::numeric_limits<uint64_t>::max() / scale) return std::nullopt;
  return x * scale;
}

}  // namespace chorus
