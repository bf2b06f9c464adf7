// UUIDv7: layout, text form, and uniqueness/monotonicity across threads.
#include "core/uuid.h"

#include <algorithm>
#include <thread>
#include <unordered_set>
#include <vector>

#include <catch2/catch.hpp>

#include "core/clock.h"

using namespace chorus;

TEST_CASE("v7 layout: version and variant and timestamp") {
  const int64_t before_ms = wall_clock_ns() / 1'000'000;
  Uuid u = new_uuid_v7();
  const int64_t after_ms = wall_clock_ns() / 1'000'000;
  CHECK(u.version() == 7);
  CHECK((u.bytes[8] >> 6) == 0b10);
  CHECK(u.unix_ms() >= before_ms);
  CHECK(u.unix_ms() <= after_ms + 1);
  CHECK_FALSE(u.is_nil());
  CHECK(Uuid{}.is_nil());
}

TEST_CASE("text form round trips and parse errors name the position") {
  Uuid u = new_uuid_v7();
  const std::string s = u.to_string();
  REQUIRE(s.size() == 36);
  CHECK(s[8] == '-');
  CHECK(s[14] == '7');
  auto back = Uuid::parse(s);
  REQUIRE(back.ok());
  CHECK(*back == u);
  std::string upper = s;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  CHECK(*Uuid::parse(upper) == u);

  CHECK(Uuid::parse("0190").error().message() ==
        "uuid '0190': expected 36 characters (8-4-4-4-12 hex), got 4");
  CHECK(Uuid::parse("01900000x0000-7000-8000-000000000000")
            .error()
            .message()
            .find("expected '-' at position 8") != std::string::npos);
  CHECK(Uuid::parse("0190000g-0000-7000-8000-000000000000")
            .error()
            .message()
            .find("non-hex character at position 7") != std::string::npos);
  CHECK(Uuid::parse("00000000-0000-0000-0000-000000000000")->is_nil());
}

TEST_CASE("ids in one thread are strictly increasing - also within a millisecond") {
  std::vector<Uuid> ids(200'000);
  for (auto& id : ids)
    id = new_uuid_v7();
  for (size_t i = 1; i < ids.size(); ++i)
    REQUIRE(ids[i - 1] < ids[i]);
  // 200k ids take well under 200 ms here, so many share a millisecond.
  CHECK(ids.front().unix_ms() != 0);
}

TEST_CASE("4 threads x 100000 ids: all unique - each thread increasing") {
  constexpr int kThreads = 4, kPer = 100'000;
  std::vector<std::vector<Uuid>> per(kThreads, std::vector<Uuid>(kPer));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&per, t] {
      for (auto& id : per[t])
        id = new_uuid_v7();
    });
  for (auto& th : threads)
    th.join();

  std::unordered_set<Uuid, UuidHash> all;
  for (const auto& v : per) {
    for (size_t i = 1; i < v.size(); ++i)
      REQUIRE(v[i - 1] < v[i]);
    for (const auto& id : v)
      all.insert(id);
  }
  CHECK(all.size() == size_t{kThreads} * kPer);
}

TEST_CASE("new_uuid_v7_at never goes backwards when the clock does") {
  Uuid a = new_uuid_v7();
  Uuid b = new_uuid_v7_at(1'000'000);  // 1970: behind every id made so far
  CHECK(a < b);
  CHECK(b.unix_ms() >= a.unix_ms());
}
