// The value codecs of docs/store-format.md: round trips, the worked
// examples, every truncation, random bytes, version bytes, names and the
// glob.
#include "store/internal/records.h"

#include <functional>
#include <iterator>
#include <map>
#include <optional>
#include <random>
#include <vector>

#include "core/event_codec.h"
#include "store/internal/store_format.h"
#include "store/names.h"
#include "store_test_util.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;

namespace {

// One decoder run on some bytes: its status, what its messages must name,
// and (for a value that decoded) the encoder's bytes for the decoded
// fields, which must equal the input: every encoding is canonical.
struct Decoded {
  const char* decoder;
  Status status;
  const char* subject;
  std::optional<std::string> reencoded;  // unset: no encoder, or not decoded
};

// Runs every decoder on `bytes` (never crashing or reading out of bounds:
// the sanitizer build checks that).
std::vector<Decoded> decode_all(std::string_view bytes) {
  std::vector<Decoded> out;
  auto add = [&](const char* name, const auto& r, const char* subject, auto reencode) {
    Decoded d{name, r.status(), subject, std::nullopt};
    if (r.ok()) d.reencoded = reencode(*r);
    out.push_back(std::move(d));
  };
  auto none = [](const auto&) { return std::optional<std::string>(); };
  add("event value", decode_event_value(bytes, 7), "seq 7", [](const EventValueView& v) {
    std::string s(kEventValueHeader, '\0');
    encode_event_value_header(s.data(), v.stream_version);
    s.append(v.record);
    return std::optional<std::string>(s);
  });
  add("record peek", peek_record(bytes, 7, Crc::kVerify), "seq 7", none);
  add("record peek without crc", peek_record(bytes, 7, Crc::kSkip), "seq 7", none);
  add("record type", peek_record_type(bytes, 7), "seq 7", none);
  add("stream record", decode_stream_record(bytes, "s"), "'s'",
      [](const StreamRecord& r) { return std::optional<std::string>(encode_stream_record(r)); });
  add("snapshot value", decode_snapshot_value(bytes, "s", 1), "'s'",
      [](const SnapshotValueView& v) {
        return std::optional<std::string>(encode_snapshot_value(v.saved_ns, v.state));
      });
  add("group record", decode_group_record(bytes, "g"), "'g'",
      [](const GroupRecord& r) { return std::optional<std::string>(encode_group_record(r)); });
  add("pending value", decode_pending_value(bytes, "g", 1), "'g'", [](const PendingValueView& v) {
    return std::optional<std::string>(
        encode_pending_value(v.deliveries, v.delivered_ms, v.consumer));
  });
  add("resolution value", decode_resolution_value(bytes, 3), "version 3",
      [](const ResolutionValueView& v) {
        return std::optional<std::string>(encode_resolution_value(
            v.resolution, v.dead_letter_version, v.dead_letter_seq, v.note));
      });
  return out;
}

}  // namespace

TEST_CASE("records: round trips") {
  StreamRecord s{42, 1'700'000'000'000'000'000, 17, kStreamFlagDeleted};
  auto sv = encode_stream_record(s);
  CHECK(sv.size() == kStreamRecordSize);
  CHECK(*decode_stream_record(sv, "x") == s);

  auto snap = encode_snapshot_value(123, "state bytes");
  auto sd = decode_snapshot_value(snap, "x", 3);
  REQUIRE(sd.ok());
  CHECK(sd->saved_ns == 123);
  CHECK(sd->state == "state bytes");

  GroupRecord g{9, kGroupSourceTypes, "order.*", 1234, 30000, 5, 99};
  CHECK(*decode_group_record(encode_group_record(g), "billing") == g);

  auto res = encode_resolution_value(2, 7, 42, "admin alice");
  auto rd = decode_resolution_value(res, 1);
  REQUIRE(rd.ok());
  CHECK(rd->resolution == 2);
  CHECK(rd->dead_letter_version == 7);
  CHECK(rd->dead_letter_seq == 42);
  CHECK(rd->note == "admin alice");

  auto p = encode_pending_value(3, 1700000000000, "worker-1");
  auto pd = decode_pending_value(p, "g", 5);
  REQUIRE(pd.ok());
  CHECK(pd->deliveries == 3);
  CHECK(pd->delivered_ms == 1700000000000);
  CHECK(pd->consumer == "worker-1");

  auto e = make_ev({"order.placed", "order-42", "{}", "c1", 0});
  std::string value(kEventValueHeader, '\0');
  encode_event_value_header(value.data(), 7);
  encode_event(*e, value);
  auto ev = decode_event_value(value, 1);
  REQUIRE(ev.ok());
  CHECK(ev->stream_version == 7);
  auto peek = peek_record(ev->record, 1, Crc::kVerify);
  REQUIRE(peek.ok());
  CHECK(peek->id == e->id());
  CHECK(peek->time_ns == e->time_ns());
  CHECK(peek->type == "order.placed");
  CHECK(peek->stream == "order-42");
  CHECK(peek->correlation_id == "c1");
  CHECK(*peek_record_type(ev->record, 1) == "order.placed");
}

TEST_CASE("records: every truncation and a future version byte are errors - not crashes") {
  auto e = make_ev({"order.placed", "order-42", "{\"a\":1}", "c1", 0});
  std::string value(kEventValueHeader, '\0');
  encode_event_value_header(value.data(), 7);
  encode_event(*e, value);
  const std::string values[] = {
      value,
      encode_stream_record({1, 2, 3, 0}),
      encode_snapshot_value(5, "abc"),
      encode_group_record({1, kGroupSourceStream, "s", 2, 3, 4, 5}),
      encode_pending_value(1, 2, "c"),
      encode_resolution_value(3, 7, 42, "bus"),
  };
  // Each value's own decoder (for the event value: the header, then the
  // record peek with its checksum, then the full record decode); true when
  // the whole chain succeeds.
  using Decoder = std::function<bool(std::string_view)>;
  const Decoder decoders[] = {
      [](std::string_view b) {
        auto dv = decode_event_value(b, 7);
        if (!dv.ok()) return false;
        if (!peek_record(dv->record, 7, Crc::kVerify).ok()) return false;
        return decode_event(dv->record).ok();
      },
      [](std::string_view b) { return decode_stream_record(b, "s").ok(); },
      [](std::string_view b) { return decode_snapshot_value(b, "s", 1).ok(); },
      [](std::string_view b) { return decode_group_record(b, "g").ok(); },
      [](std::string_view b) { return decode_pending_value(b, "g", 1).ok(); },
      [](std::string_view b) { return decode_resolution_value(b, 1).ok(); },
  };
  static_assert(std::size(values) == std::size(decoders));
  for (size_t i = 0; i < std::size(values); ++i) {
    const std::string& v = values[i];
    const Decoder& decode = decoders[i];
    INFO("value " << i);
    REQUIRE(decode(v));  // the untouched value decodes
    for (size_t n = 0; n < v.size(); ++n) {
      INFO("truncated to " << n << " of " << v.size() << " bytes");
      decode_all(std::string_view(v).substr(0, n));
      CHECK_FALSE(decode(std::string_view(v).substr(0, n)));
    }
    std::string future = v;
    future[0] = 0x7f;
    decode_all(future);
    CHECK_FALSE(decode(future));
    std::string zero = v;
    zero[0] = 0;
    decode_all(zero);
    CHECK_FALSE(decode(zero));
  }
  // Spot checks of the codes and messages.
  CHECK(decode_event_value("", 5).status().is(StatusCode::kCorruption));
  CHECK(decode_event_value(std::string("\x09") + std::string(20, 'x'), 5)
            .status()
            .is(StatusCode::kNotSupported));
  CHECK(decode_event_value(std::string(1, '\0'), 5).status().message().find("seq 5") !=
        std::string::npos);
  CHECK(decode_stream_record(values[1].substr(0, 10), "acct").status().message().find("'acct'") !=
        std::string::npos);
  std::string bad_crc = values[2];
  bad_crc.back() ^= 1;
  CHECK(decode_snapshot_value(bad_crc, "acct", 9).status().message().find("checksum") !=
        std::string::npos);
  // A truncated record inside a whole event value: Corruption from the peek.
  auto p = peek_record(std::string_view(value).substr(kEventValueHeader, 30), 3, Crc::kSkip);
  CHECK(p.status().is(StatusCode::kCorruption));
  CHECK(p.status().message().find("seq 3") != std::string::npos);
}

TEST_CASE("records: the worked example of a dead-letter resolution") {
  // docs/store-format.md "Worked example": dropping dead letter 7 (seq 42), note "bus".
  const std::string expected(
      "\x01\x03\x00\x00\x00\x00\x00\x00\x00\x07"
      "\x00\x00\x00\x00\x00\x00\x00\x2a\x00\x03"
      "bus",
      23);
  CHECK(encode_resolution_value(3, 7, 42, "bus") == expected);
  CHECK(resolution_event_id(7).to_string() == "00000000-0000-8001-8000-000000000007");
  // The variant bits replace the top two bits of the version's first byte.
  CHECK(resolution_event_id(kMaxResolvableVersion).to_string() ==
        "00000000-0000-8001-bfff-ffffffffffff");
  CHECK(resolution_event_id(1) < resolution_event_id(2));
  CHECK(resolution_event_id(kMaxResolvableVersion) < new_uuid_v7());
  auto bad_note = decode_resolution_value(encode_resolution_value(3, 7, 42, "a\x01b"), 5);
  CHECK(bad_note.status().is(StatusCode::kCorruption));
  CHECK(bad_note.status().message().find("'$dead-letters-resolved' version 5") !=
        std::string::npos);
  CHECK(decode_resolution_value(encode_resolution_value(3, 0, 42, ""), 5)
            .status()
            .is(StatusCode::kCorruption));
}

TEST_CASE("records: random bytes") {
  // Every decoder, on 20,000 random values (half with version byte 1, so
  // that the checks past it run): the only errors are Corruption and
  // NotSupported, NotSupported exactly for a version byte above 1, each
  // message names what was decoded, and a value that decodes is exactly
  // what its encoder writes for the decoded fields.
  std::mt19937_64 rng(12345);
  std::map<std::string, std::pair<int, int>> seen;  // decoder -> (decoded, refused)
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 64, '\0');
    for (char& c : s)
      c = static_cast<char>(rng());
    if (!s.empty() && i % 2) s[0] = 1;
    const bool newer = !s.empty() && static_cast<uint8_t>(s[0]) > 1;
    for (const Decoded& d : decode_all(s)) {
      INFO(d.decoder << " on " << s.size() << " bytes, first " << (s.empty() ? -1 : s[0] & 0xff)
                     << ": " << d.status.to_string());
      auto& [decoded, refused] = seen[d.decoder];
      if (d.status.ok()) {
        ++decoded;
        if (d.reencoded) CHECK(*d.reencoded == s);
        continue;
      }
      ++refused;
      REQUIRE((d.status.is(StatusCode::kCorruption) || d.status.is(StatusCode::kNotSupported)));
      CHECK(d.status.is(StatusCode::kNotSupported) == newer);
      CHECK(d.status.message().find(d.subject) != std::string::npos);
    }
  }
  // The inputs reached both outcomes where random bytes can: every decoder
  // refused some; the event value header and the fixed-size stream record
  // also decoded some (the others need checksums or consistent lengths).
  REQUIRE(seen.size() == 9);
  for (const auto& [decoder, counts] : seen) {
    INFO(decoder);
    CHECK(counts.second > 0);
  }
  CHECK(seen["event value"].first > 0);
  CHECK(seen["stream record"].first > 0);
}

TEST_CASE("names: stream - group and consumer names - the glob") {
  CHECK(validate_stream_name("order-42").ok());
  CHECK(validate_stream_name("ünïcode stream").ok());
  CHECK_FALSE(validate_stream_name("").ok());
  CHECK_FALSE(validate_stream_name(std::string(256, 'a')).ok());
  CHECK_FALSE(validate_stream_name("tab\there").ok());
  CHECK_FALSE(validate_stream_name("\xff\xfe").ok());
  CHECK_FALSE(validate_stream_name("$dead-letters").ok());
  CHECK(validate_stream_name("$dead-letters", SystemStreams::kAllow).ok());
  CHECK(validate_group_name("billing.v2:eu-1_a").ok());
  CHECK_FALSE(validate_group_name("with space").ok());
  CHECK_FALSE(validate_consumer_name(std::string(129, 'c')).ok());

  CHECK(glob_match("order-*", "order-42"));
  CHECK(glob_match("order-*", "order-"));
  CHECK_FALSE(glob_match("order-*", "orders"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("a?c", "abc"));
  CHECK_FALSE(glob_match("a?c", "ac"));
  CHECK(glob_match("*-*-x", "a-b-c-x"));
  CHECK_FALSE(glob_match("*-*-x", "a-b-c-y"));
  CHECK(glob_match("$global", "$global"));
  // No exponential blow-up.
  CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(200, 'a')));
}
