// RFC 3339 formatting and strict parsing, with civil-date arithmetic after
// H. Hinnant's days_from_civil / civil_from_days.
#include "core/time_format.h"

#include <cstdint>

#include <fmt/format.h>

#include "core/text.h"

namespace chorus {
namespace {

constexpr int64_t kNsPerSec = 1'000'000'000;

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) noexcept {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool is_leap(int64_t y) noexcept {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(int64_t y, unsigned m) noexcept {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

std::string format_rfc3339(int64_t ns) {
  int64_t secs = ns / kNsPerSec;
  int64_t frac = ns % kNsPerSec;
  if (frac < 0) {
    frac += kNsPerSec;
    secs -= 1;
  }
  int64_t days = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  // Written by hand: this runs for every event at every JSON boundary.
  char buf[32];
  auto two = [](char* p, int64_t v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
  };
  size_t n = 0;
  if (y < 0 || y > 9999) {
    n = static_cast<size_t>(fmt::format_to(buf, "{:04}", y) - buf);
  } else {
    two(buf, y / 100);
    two(buf + 2, y % 100);
    n = 4;
  }
  buf[n] = '-';
  two(buf + n + 1, m);
  buf[n + 3] = '-';
  two(buf + n + 4, d);
  buf[n + 6] = 'T';
  two(buf + n + 7, sod / 3600);
  buf[n + 9] = ':';
  two(buf + n + 10, (sod / 60) % 60);
  buf[n + 12] = ':';
  two(buf + n + 13, sod % 60);
  std::string out(buf, n + 15);
  if (frac != 0) {
    char digits[10];
    int64_t f = frac;
    for (int i = 8; i >= 0; --i) {
      digits[i] = static_cast<char>('0' + f % 10);
      f /= 10;
    }
    int len = 9;
    while (len > 1 && digits[len - 1] == '0')
      --len;
    out.push_back('.');
    out.append(digits, static_cast<size_t>(len));
  }
  out.push_back('Z');
  return out;
}

Result<int64_t> parse_rfc3339(std::string_view t) {
  auto fail = [&](std::string_view why) {
    return Status::InvalidArgument(
        fmt::format("timestamp '{}' is not RFC 3339 ({}; expected e.g. 2026-01-31T12:00:00.5Z)",
                    printable(t), why));
  };
  size_t pos = 0;
  auto digits = [&](size_t n, int64_t& out) {
    if (pos + n > t.size()) return false;
    int64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = t[pos + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    out = v;
    pos += n;
    return true;
  };
  auto expect = [&](char a, char b = 0) {
    if (pos < t.size() && (t[pos] == a || (b && t[pos] == b))) {
      ++pos;
      return true;
    }
    return false;
  };
  int64_t year, month, day, hour, minute, second;
  if (!digits(4, year) || !expect('-') || !digits(2, month) || !expect('-') || !digits(2, day))
    return fail("bad date");
  if (!expect('T', 't')) return fail("missing 'T' between date and time");
  if (!digits(2, hour) || !expect(':') || !digits(2, minute) || !expect(':') || !digits(2, second))
    return fail("bad time of day");
  if (month < 1 || month > 12) return fail("month out of range");
  if (day < 1 || day > days_in_month(year, static_cast<unsigned>(month)))
    return fail("day out of range");
  if (hour > 23 || minute > 59 || second > 60) return fail("time of day out of range");
  int64_t frac_ns = 0;
  if (expect('.')) {
    size_t n = 0;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (n == 9) return fail("more than 9 fraction digits");
      frac_ns = frac_ns * 10 + (t[pos] - '0');
      ++pos;
      ++n;
    }
    if (n == 0) return fail("empty fraction");
    for (; n < 9; ++n)
      frac_ns *= 10;
  }
  int64_t offset_s = 0;
  if (expect('Z', 'z')) {
  } else if (pos < t.size() && (t[pos] == '+' || t[pos] == '-')) {
    const int sign = t[pos] == '-' ? -1 : 1;
    ++pos;
    int64_t oh, om;
    if (!digits(2, oh) || !expect(':') || !digits(2, om) || oh > 23 || om > 59)
      return fail("bad UTC offset");
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return fail("missing time zone ('Z' or +hh:mm)");
  }
  if (pos != t.size()) return fail("trailing characters");

  const int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const __int128 secs =
      static_cast<__int128>(days) * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  const __int128 ns = secs * kNsPerSec + frac_ns;
  if (ns > INT64_MAX || ns < INT64_MIN) return fail("outside the years 1678 to 2261");
  return static_cast<int64_t>(ns);
}

}  // namespace chorus
