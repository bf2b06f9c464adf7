// The value codecs of docs/store-format.md: round trips, every truncation,
// random bytes, version bytes, names and the glob.
#include "store/internal/records.h"

#include <functional>
#include <iterator>
#include <random>

#include "core/event_codec.h"
#include "store/internal/store_format.h"
#include "store/names.h"
#include "store_test_util.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;

namespace {

// Runs every decoder on `bytes`; they must return (never crash or read out
// of bounds: the sanitizer build checks that).
void decode_all(std::string_view bytes) {
  (void)decode_event_value(bytes, 7);
  (void)peek_record(bytes, 7, true);
  (void)peek_record(bytes, 7, false);
  (void)peek_record_type(bytes, 7);
  (void)decode_stream_record(bytes, "s");
  (void)decode_snapshot_value(bytes, "s", 1);
  (void)decode_group_record(bytes, "g");
  (void)decode_pending_value(bytes, "g", 1);
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
  auto peek = peek_record(ev->record, 1, true);
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
  };
  // Each value's own decoder (for the event value: the header, then the
  // record peek with its checksum, then the full record decode); true when
  // the whole chain succeeds.
  using Decoder = std::function<bool(std::string_view)>;
  const Decoder decoders[] = {
      [](std::string_view b) {
        auto dv = decode_event_value(b, 7);
        if (!dv.ok()) return false;
        if (!peek_record(dv->record, 7, true).ok()) return false;
        return decode_event(dv->record).ok();
      },
      [](std::string_view b) { return decode_stream_record(b, "s").ok(); },
      [](std::string_view b) { return decode_snapshot_value(b, "s", 1).ok(); },
      [](std::string_view b) { return decode_group_record(b, "g").ok(); },
      [](std::string_view b) { return decode_pending_value(b, "g", 1).ok(); },
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
  auto p = peek_record(std::string_view(value).substr(kEventValueHeader, 30), 3, false);
  CHECK(p.status().is(StatusCode::kCorruption));
  CHECK(p.status().message().find("seq 3") != std::string::npos);
}

TEST_CASE("records: random bytes") {
  std::mt19937_64 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    std::string s(rng() % 64, '\0');
    for (char& c : s)
      c = static_cast<char>(rng());
    if (!s.empty() && i % 2) s[0] = 1;  // get past the version byte half the time
    decode_all(s);
  }
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
