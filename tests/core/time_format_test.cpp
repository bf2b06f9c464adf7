// RFC 3339 formatting and parsing.
#include "core/time_format.h"

#include <random>

#include <catch2/catch.hpp>

using namespace chorus;

TEST_CASE("rfc3339 formats UTC with a trimmed fraction") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(1'000'000'000) == "1970-01-01T00:00:01Z");
  CHECK(format_rfc3339(1'500'000'000) == "1970-01-01T00:00:01.5Z");
  CHECK(format_rfc3339(1'000'000'001) == "1970-01-01T00:00:01.000000001Z");
  CHECK(format_rfc3339(1'795'412'068'123'456'789) == "2026-11-23T05:34:28.123456789Z");
  CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59.999999999Z");
  CHECK(format_rfc3339(951'782'400'000'000'000) == "2000-02-29T00:00:00Z");
}

TEST_CASE("rfc3339 parses offsets - lower case and fractions") {
  CHECK(*parse_rfc3339("1970-01-01T00:00:00Z") == 0);
  CHECK(*parse_rfc3339("1970-01-01t00:00:01.5z") == 1'500'000'000);
  CHECK(*parse_rfc3339("1970-01-01T01:00:00+01:00") == 0);
  CHECK(*parse_rfc3339("1969-12-31T23:00:00-01:00") == 0);
  CHECK(*parse_rfc3339("2026-11-23T05:34:28.123456789Z") == 1'795'412'068'123'456'789);
  CHECK(*parse_rfc3339("2016-12-31T23:59:60Z") == *parse_rfc3339("2017-01-01T00:00:00Z"));
}

TEST_CASE("rfc3339 rejects malformed timestamps with a reason") {
  auto msg = [](const char* t) { return parse_rfc3339(t).error().message(); };
  CHECK(msg("2026-13-01T00:00:00Z").find("month out of range") != std::string::npos);
  CHECK(msg("2026-02-29T00:00:00Z").find("day out of range") != std::string::npos);
  CHECK(msg("2026-01-01 00:00:00Z").find("missing 'T'") != std::string::npos);
  CHECK(msg("2026-01-01T24:00:00Z").find("time of day out of range") != std::string::npos);
  CHECK(msg("2026-01-01T00:00:00").find("missing time zone") != std::string::npos);
  CHECK(msg("2026-01-01T00:00:00.Z").find("empty fraction") != std::string::npos);
  CHECK(msg("2026-01-01T00:00:00.1234567891Z").find("more than 9") != std::string::npos);
  CHECK(msg("2026-01-01T00:00:00Zjunk").find("trailing") != std::string::npos);
  CHECK(msg("2300-01-01T00:00:00Z").find("1678 to 2261") != std::string::npos);
  CHECK(msg("").find("bad date") != std::string::npos);
}

TEST_CASE("rfc3339 round trips random instants exactly") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20000; ++i) {
    const int64_t ns = static_cast<int64_t>(rng() >> 1) - (int64_t{1} << 62);
    auto back = parse_rfc3339(format_rfc3339(ns));
    REQUIRE(back.ok());
    REQUIRE(*back == ns);
  }
}
