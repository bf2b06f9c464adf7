// Durations and byte sizes as typed in YAML and on the command line.
#include "core/units.h"

#include <catch2/catch.hpp>

using namespace chorus;
using namespace std::chrono_literals;

TEST_CASE("units: durations") {
  CHECK(parse_duration("0") == 0ns);
  CHECK(parse_duration("15ns") == 15ns);
  CHECK(parse_duration("50us") == 50us);
  CHECK(parse_duration("250ms") == 250ms);
  CHECK(parse_duration("1.5s") == 1500ms);
  CHECK(parse_duration("15m") == 15min);
  CHECK(parse_duration("2h") == 2h);
  CHECK(parse_duration("7d") == 168h);
  CHECK(parse_duration("106751d") == std::chrono::hours(106751 * 24));
  for (const char* bad : {"", "5", "s", "-5s", "5 s", " 5s", "5sec", "1e3ms", "inf", "nan", "5S",
                          "1..5s", "106752d", "99999999999999999999h"}) {
    INFO(bad);
    CHECK_FALSE(parse_duration(bad));
  }
}

TEST_CASE("units: byte sizes") {
  CHECK(parse_byte_size("0") == 0u);
  CHECK(parse_byte_size("1048576") == 1048576u);
  CHECK(parse_byte_size("512B") == 512u);
  CHECK(parse_byte_size("512KiB") == 512u << 10);
  CHECK(parse_byte_size("64MiB") == 64u << 20);
  CHECK(parse_byte_size("1GiB") == 1ull << 30);
  CHECK(parse_byte_size("2TiB") == 2ull << 40);
  CHECK(parse_byte_size("10kB") == 10'000u);
  CHECK(parse_byte_size("10KB") == 10'000u);
  CHECK(parse_byte_size("3MB") == 3'000'000u);
  CHECK(parse_byte_size("1GB") == 1'000'000'000u);
  CHECK(parse_byte_size("1TB") == 1'000'000'000'000u);
  for (const char* bad : {"", "MiB", "-1", "1.5MiB", "1 MiB", "1mib", "1XB", "17179869184GiB",
                          "18446744073709551616"}) {
    INFO(bad);
    CHECK_FALSE(parse_byte_size(bad));
  }
}
