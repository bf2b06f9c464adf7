// The registry's journal records (docs/store-format.md "Registry stream"):
// round trips, the worked example's bytes, and every way a value can be
// malformed: short, trailing bytes, bad codes, a newer version.
#include <catch2/catch.hpp>

#include "discovery/registry_records.h"
#include "support/temp_dir.h"

using namespace chorus;
using namespace chorus::discovery;
using namespace std::chrono_literals;

namespace {

ServiceRecord full_record() {
  ServiceRecord r;
  ServiceSpec& s = r.spec;
  s.id = "calc-1";
  s.agent_id = "calc";
  s.name = "Calculator";
  s.type = "agent";
  s.host = "10.0.0.5";
  s.port = 8080;
  s.protocol = "http";
  s.version = "2.1.0";
  s.weight = 7;
  s.ttl = 15s;
  s.capabilities = {"math", "statistics"};
  s.tags = {"prod", "region=eu"};
  s.metadata = {{"owner", "team-a"}, {"zone", "b"}};
  s.check.kind = CheckKind::kHttp;
  s.check.path = "/healthz";
  s.check.port = 8081;
  s.check.interval = 5s;
  s.check.failures_before_unhealthy = 4;
  r.registered_ns = 1'700'000'000'000'000'000;
  r.last_heartbeat_ns = r.registered_ns + 5;
  r.status_since_ns = r.registered_ns + 7;
  r.status = ServiceStatus::kHealthy;
  r.check_state = CheckState::kPassing;
  r.override_status = ServiceStatus::kStopping;
  return r;
}

std::string hex(std::string_view b) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    if (!out.empty()) out += ' ';
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

}  // namespace

TEST_CASE("records: a registered record round-trips every field") {
  const ServiceRecord r = full_record();
  auto back = decode_registered(encode_registered(r));
  REQUIRE(back.ok());
  CHECK(back->spec == r.spec);
  CHECK(back->registered_ns == r.registered_ns);
  CHECK(back->last_heartbeat_ns == r.last_heartbeat_ns);
  CHECK(back->status_since_ns == r.status_since_ns);
  CHECK(back->status == r.status);
  CHECK(back->check_state == r.check_state);
  CHECK(back->override_status == r.override_status);
  CHECK_FALSE(back->spec.check.timeout.has_value());  // "the default" survives as unset

  ServiceRecord plain;
  plain.spec.id = "a";
  plain.spec.agent_id = "a";
  plain.spec.name = "a";
  plain.spec.type = "agent";
  plain.status = ServiceStatus::kStarting;
  auto p = decode_registered(encode_registered(plain));
  REQUIRE(p.ok());
  CHECK(p->spec == plain.spec);
  CHECK_FALSE(p->spec.ttl.has_value());
  CHECK_FALSE(p->override_status.has_value());
}

TEST_CASE("records: the status record of the worked example, byte for byte") {
  StatusRecord r{"calc-1",     ServiceStatus::kHealthy,   CheckState::kPassing,
                 std::nullopt, 1'700'000'000'000'000'000, 1'700'000'000'000'000'000 - 1'000'000};
  const std::string b = encode_status(r);
  CHECK(b.size() == 27);
  CHECK(hex(b) ==
        "01 06 63 61 6c 63 2d 31 02 02 00 17 97 9c fe 36 2a 00 00 17 97 9c fe 36 1a bd c0");
  auto back = decode_status(b);
  REQUIRE(back.ok());
  CHECK(back->id == "calc-1");
  CHECK(back->last_heartbeat_ns == r.last_heartbeat_ns);
}

TEST_CASE("records: unregistered, heartbeats and snapshot round-trip") {
  auto u = decode_unregistered(encode_unregistered({"calc-1", UnregisterReason::kRemoved, 123}));
  REQUIRE(u.ok());
  CHECK(u->reason == UnregisterReason::kRemoved);
  CHECK(u->at_ns == 123);

  HeartbeatsRecord h;
  h.beats = {{"a", 1}, {"b", -2}};
  auto hb = decode_heartbeats(encode_heartbeats(h));
  REQUIRE(hb.ok());
  CHECK(hb->beats == h.beats);

  ServiceRecord a = full_record(), b = full_record();
  b.spec.id = "calc-2";
  b.spec.check = {};
  auto snap = decode_snapshot(encode_snapshot({&a, &b}));
  REQUIRE(snap.ok());
  REQUIRE(snap->size() == 2);
  CHECK((*snap)[1].spec == b.spec);
  // Many of the smallest possible records: the count bound must not refuse them.
  std::vector<ServiceRecord> tiny(100);
  std::vector<const ServiceRecord*> tiny_ptrs;
  for (auto& t : tiny) {
    t.spec.id = t.spec.agent_id = t.spec.name = t.spec.type = "x";
    t.spec.weight = 1;
    t.status = ServiceStatus::kHealthy;
    tiny_ptrs.push_back(&t);
  }
  const std::string tiny_bytes = encode_snapshot(tiny_ptrs);
  CHECK(tiny_bytes.size() == 5 + 100 * 56);
  auto tiny_back = decode_snapshot(tiny_bytes);
  INFO(tiny_back.status().to_string());
  REQUIRE(tiny_back.ok());
  CHECK(tiny_back->size() == 100);
  auto empty = decode_snapshot(encode_snapshot({}));
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("records: malformed values are Corruption naming the field, newer ones NotSupported") {
  const std::string good = encode_registered(full_record());
  // Every truncation fails cleanly.
  for (size_t n = 0; n < good.size(); ++n) {
    auto r = decode_registered(std::string_view(good).substr(0, n));
    INFO(n);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().is(StatusCode::kCorruption));
  }
  auto trailing = decode_registered(good + "x");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.error().message() == "registered record: 1 bytes after the last field (at byte " +
                                          std::to_string(good.size()) + ")");

  std::string v2 = good;
  v2[0] = 2;
  auto newer = decode_registered(v2);
  REQUIRE_FALSE(newer.ok());
  CHECK(newer.error().is(StatusCode::kNotSupported));
  CHECK(newer.error().message() ==
        "registered record: version 2 (this build reads up to 1; written by a newer chorus)");
  std::string v0 = good;
  v0[0] = 0;
  CHECK(decode_registered(v0).status().is(StatusCode::kCorruption));

  std::string bad_status =
      encode_status({"x", ServiceStatus::kHealthy, CheckState::kNone, std::nullopt, 0, 0});
  bad_status[3] = 9;  // the status code
  auto bs = decode_status(bad_status);
  REQUIRE_FALSE(bs.ok());
  CHECK(bs.error().message() == "status record: field 'status': status code 9 (expected 1 to 5)");

  std::string bad_reason = encode_unregistered({"x", UnregisterReason::kUnregistered, 0});
  bad_reason[3] = 7;
  CHECK(decode_unregistered(bad_reason).error().message() ==
        "unregistered record: field 'reason': code 7 (expected 1 or 2)");

  // A snapshot count that cannot fit in the value is caught before any allocation.
  std::string huge = "\x01\xff\xff\xff\xff";
  auto hs = decode_snapshot(huge);
  REQUIRE_FALSE(hs.ok());
  CHECK(hs.error().is(StatusCode::kCorruption));
  CHECK(decode_heartbeats(std::string("\x01\x00\x00\x00\x00", 5)).error().message() ==
        "heartbeats record: field 'count': 0 (expected 1 to 100000)");
}

TEST_CASE("records: the fuzz corpus seeds are valid records") {
  const std::string dir = std::string(CHORUS_SOURCE_DIR) + "/tests/fuzz/corpus/registry_record/";
  auto body = [&](const char* name) {
    const std::string bytes = test::read_file(dir + name);
    REQUIRE(bytes.size() > 1);
    return bytes.substr(1);  // the first byte picks the decoder
  };
  auto reg = decode_registered(body("registered.bin"));
  INFO(reg.status().to_string());
  REQUIRE(reg.ok());
  CHECK(reg->spec.capabilities == std::vector<std::string>{"math", "stats"});
  CHECK(reg->spec.check.kind == CheckKind::kHttp);
  CHECK(decode_status(body("status.bin")).ok());
  CHECK(decode_unregistered(body("unregistered.bin")).ok());
  CHECK(decode_heartbeats(body("heartbeats.bin")).ok());
  auto snap = decode_snapshot(body("snapshot.bin"));
  REQUIRE(snap.ok());
  CHECK(snap->size() == 1);
}

TEST_CASE("records: every byte of a valid value flipped decodes or fails cleanly") {
  // What the fuzz target does at random, here exhaustively for one record of
  // each kind (and under the sanitizers with the rest of the tests).
  ServiceRecord a = full_record();
  const std::vector<std::pair<int, std::string>> values = {
      {0, encode_registered(a)},
      {1, encode_status(
              {"calc-1", ServiceStatus::kHealthy, CheckState::kPassing, std::nullopt, 1, 2})},
      {2, encode_unregistered({"calc-1", UnregisterReason::kRemoved, 3})},
      {3, encode_heartbeats({{{"a", 1}, {"b", 2}}})},
      {4, encode_snapshot({&a, &a})},
  };
  for (const auto& [kind, good] : values) {
    for (size_t i = 0; i < good.size(); ++i) {
      for (int x : {0x01, 0x80, 0xff}) {
        std::string bad = good;
        bad[i] = static_cast<char>(bad[i] ^ x);
        Status s;
        switch (kind) {
          case 0:
            s = decode_registered(bad).status();
            break;
          case 1:
            s = decode_status(bad).status();
            break;
          case 2:
            s = decode_unregistered(bad).status();
            break;
          case 3:
            s = decode_heartbeats(bad).status();
            break;
          default:
            s = decode_snapshot(bad).status();
            break;
        }
        INFO(kind << " byte " << i << " ^ " << x << ": " << s.to_string());
        CHECK((s.ok() || s.is(StatusCode::kCorruption) || s.is(StatusCode::kNotSupported)));
      }
    }
  }
}
