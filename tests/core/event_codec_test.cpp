// Binary event record v1: round trips (property style), every truncation,
// flipped bits, versions, trailing bytes, random garbage.
#include "core/event_codec.h"

#include <random>

#include <catch2/catch.hpp>

#include "event_gen.h"

using namespace chorus;

TEST_CASE("binary round trip of 20000 random events - every field") {
  test::EventGen gen(1);
  for (int i = 0; i < 20000; ++i) {
    EventPtr e = gen.next();
    const std::string bytes = encode_event(*e);
    REQUIRE(bytes.size() == encoded_event_size(*e));
    auto back = decode_event(bytes);
    REQUIRE(back.ok());
    REQUIRE(**back == *e);
  }
}

TEST_CASE("the documented worked example has the documented size and layout") {
  auto e = *EventBuilder("a.b").source("s").time_ns(1'000'000'000).data("{}").build();
  const std::string b = encode_event(*e);
  CHECK(b.size() == 61);  // 57 bytes + CRC, docs/event-format.md
  CHECK(b[0] == 1);
  CHECK(b[1] == 2);
  CHECK(b.substr(18, 8) == std::string("\x00\xca\x9a\x3b\x00\x00\x00\x00", 8));
  CHECK(b.substr(26, 4) ==
        "\x03"
        "a.b");
  auto minimal = *EventBuilder("a").source("s").build();
  CHECK(encode_event(*minimal).size() == 41);
  auto typical =
      *EventBuilder("task.created").source("planner-01").data(std::string(200, '1')).build();
  CHECK(encode_event(*typical).size() == 278);
}

TEST_CASE("truncation at every byte offset is Corruption") {
  test::EventGen gen(2);
  for (int i = 0; i < 50; ++i) {
    const std::string bytes = encode_event(*gen.next());
    for (size_t cut = 0; cut < bytes.size(); ++cut) {
      auto r = decode_event(std::string_view(bytes).substr(0, cut));
      INFO("cut at " << cut << " of " << bytes.size());
      REQUIRE_FALSE(r.ok());
      REQUIRE(r.error().is(StatusCode::kCorruption));
    }
  }
}

TEST_CASE("a flipped bit anywhere is detected") {
  test::EventGen gen(3);
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::string bytes = encode_event(*gen.next());
    const size_t pos = 1 + rng() % (bytes.size() - 1);  // byte 0 is the version
    bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << (rng() % 8)));
    auto r = decode_event(bytes);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.error().is(StatusCode::kCorruption));
  }
}

TEST_CASE("versions: 0 is corrupt - newer is NotSupported with a clear message") {
  auto e = *EventBuilder("a").source("s").build();
  std::string bytes = encode_event(*e);
  bytes[0] = 0;
  CHECK(decode_event(bytes).error().is(StatusCode::kCorruption));
  bytes[0] = 2;
  auto r = decode_event(bytes);
  REQUIRE(r.error().is(StatusCode::kNotSupported));
  CHECK(r.error().message() ==
        "event record: format version 2 is newer than this build reads (up to 1); it was "
        "written by a newer chorus");
}

TEST_CASE("trailing bytes - bad lengths and broken rules are Corruption with a reason") {
  auto e = *EventBuilder("a").source("s").build();
  std::string bytes = encode_event(*e);
  CHECK(decode_event(bytes + "x").error().is(StatusCode::kCorruption));
  CHECK(decode_event("").error().message() == "event record: empty");

  // A length that runs past the end.
  std::string huge = bytes;
  huge[26] = '\x7f';
  CHECK(decode_event(huge).error().message().find("field 'type' at byte") != std::string::npos);
  // A 6-byte varint.
  std::string longvar = bytes.substr(0, 26) + std::string("\x80\x80\x80\x80\x80\x01", 6);
  CHECK(decode_event(longvar).error().is(StatusCode::kCorruption));
}

TEST_CASE("random garbage never crashes and never decodes") {
  std::mt19937 rng(4);
  for (int i = 0; i < 20000; ++i) {
    std::string junk(rng() % 120, '\0');
    for (auto& c : junk)
      c = static_cast<char>(rng());
    if (!junk.empty()) junk[0] = 1;
    auto r = decode_event(junk);
    REQUIRE_FALSE(r.ok());
  }
}
