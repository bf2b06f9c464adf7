// Query strings and percent-encoding.
#include "api/query.h"

#include <algorithm>
#include <charconv>

#include <fmt/core.h>

#include "core/clock.h"
#include "core/text.h"
#include "core/time_format.h"
#include "core/units.h"

namespace chorus::api {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<std::string> percent_decode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      const bool room = i + 2 < in.size();
      const int hi = room ? hex_value(in[i + 1]) : -1;
      const int lo = room ? hex_value(in[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return Status::InvalidArgument(fmt::format(
            "bad percent-encoding in '{}' at byte {} (expected %XX)", printable(in), i));
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string percent_encode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : in) {
    const auto u = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

Result<QueryParams> QueryParams::parse(std::string_view query) {
  QueryParams q;
  size_t i = 0;
  while (i <= query.size() && !query.empty()) {
    size_t amp = query.find('&', i);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view item = query.substr(i, amp - i);
    if (!item.empty()) {
      const size_t eq = item.find('=');
      CHORUS_ASSIGN_OR_RETURN(std::string name, percent_decode(item.substr(0, eq), true));
      std::string value;
      if (eq != std::string_view::npos) {
        auto v = percent_decode(item.substr(eq + 1), true);
        if (!v.ok()) return v.error().with_context(fmt::format("query parameter '{}'", name));
        value = std::move(*v);
      }
      q.items_.emplace_back(std::move(name), std::move(value));
    }
    i = amp + 1;
  }
  return q;
}

std::optional<std::string_view> QueryParams::get(std::string_view name) const {
  for (const auto& [k, v] : items_)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

std::vector<std::string_view> QueryParams::all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : items_)
    if (k == name) out.emplace_back(v);
  return out;
}

std::vector<std::string> QueryParams::unknown(std::initializer_list<std::string_view> known) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : items_)
    if (std::find(known.begin(), known.end(), k) == known.end() &&
        std::find(out.begin(), out.end(), k) == out.end())
      out.push_back(k);
  return out;
}

Result<std::optional<uint64_t>> QueryParams::uint(std::string_view name, uint64_t min,
                                                  uint64_t max) const {
  auto v = get(name);
  if (!v) return std::optional<uint64_t>();
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  if (v->empty() || ec != std::errc() || p != v->data() + v->size())
    return Status::InvalidArgument(fmt::format(
        "query parameter '{}': '{}' is not a non-negative integer", name, printable(*v)));
  if (x < min || x > max)
    return Status::InvalidArgument(fmt::format(
        "query parameter '{}': {} is out of range (expected {} to {})", name, x, min, max));
  return std::optional<uint64_t>(x);
}

Result<std::optional<std::chrono::milliseconds>> QueryParams::duration(
    std::string_view name) const {
  auto v = get(name);
  if (!v) return std::optional<std::chrono::milliseconds>();
  auto d = parse_duration(*v);
  if (!d)
    return Status::InvalidArgument(
        fmt::format("query parameter '{}': '{}' is not a duration (expected e.g. 500ms, 5s, 2m)",
                    name, printable(*v)));
  return std::optional<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(*d));
}

Result<std::optional<int64_t>> QueryParams::time(std::string_view name) const {
  auto v = get(name);
  if (!v) return std::optional<int64_t>();
  if (auto t = parse_rfc3339(*v); t.ok()) return std::optional<int64_t>(*t);
  auto ago = parse_duration(*v);
  if (!ago)
    return Status::InvalidArgument(
        fmt::format("query parameter '{}': '{}' is neither an RFC 3339 time nor a duration ago "
                    "like 15m, 2h or 7d",
                    name, printable(*v)));
  return std::optional<int64_t>(wall_clock_ns() - ago->count());
}

Status check_known_params(const QueryParams& q, std::initializer_list<std::string_view> known) {
  const std::vector<std::string> unknown = q.unknown(known);
  if (unknown.empty()) return Status::OK();
  std::string list;
  size_t i = 0;
  for (std::string_view k : known) {
    if (i > 0) list += i + 1 == known.size() ? " or " : ", ";
    list += k;
    ++i;
  }
  return Status::InvalidArgument(fmt::format("unknown query parameter '{}' (expected {})",
                                             printable(unknown.front()),
                                             known.size() ? list : std::string("none")));
}

}  // namespace chorus::api
