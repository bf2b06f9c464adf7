// The parts of a request target a handler reads: percent-decoded path
// segments and query parameters, and the typed values taken from them
// (counts, positions, durations, times). Errors are InvalidArgument naming
// the parameter, so a handler answers them as 400 unchanged.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace chorus::api {

// %XX decoding; `plus_is_space` for query components. InvalidArgument for a
// '%' not followed by two hex digits.
Result<std::string> percent_decode(std::string_view in, bool plus_is_space);
// %XX-encodes everything but unreserved characters (for links and clients).
std::string percent_encode(std::string_view in);

class QueryParams {
 public:
  // Splits "a=1&b=x%20y" into decoded pairs, in order (repeats kept).
  static Result<QueryParams> parse(std::string_view query);

  // The first value of `name`, nullopt when absent.
  std::optional<std::string_view> get(std::string_view name) const;
  std::vector<std::string_view> all(std::string_view name) const;
  // The names present that are not in `known`: for "unknown parameter" errors.
  std::vector<std::string> unknown(std::initializer_list<std::string_view> known) const;

  // Typed reads: nullopt when absent; InvalidArgument naming the parameter
  // when present and malformed or out of [min, max].
  Result<std::optional<uint64_t>> uint(std::string_view name, uint64_t min, uint64_t max) const;
  // "250ms", "5s", "2m" (core/units.h).
  Result<std::optional<std::chrono::milliseconds>> duration(std::string_view name) const;
  // RFC 3339, or a duration ago ("15m"): nanoseconds since the epoch.
  Result<std::optional<int64_t>> time(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// InvalidArgument "unknown query parameter 'x' (expected a, b or c)" when
// `q` has a parameter not in `known`.
Status check_known_params(const QueryParams& q, std::initializer_list<std::string_view> known);

}  // namespace chorus::api
