// CloudEvents 1.0 JSON: round trips (property style), the data rules, strict
// decoding with messages that name the attribute.
#include "core/cloudevents.h"

#include <algorithm>
#include <cstdio>

#include <catch2/catch.hpp>

#include "core/base64.h"
#include "core/text.h"
#include "core/time_format.h"
#include "event_gen.h"

using namespace chorus;

namespace {

std::string decode_error(std::string_view json) {
  auto r = parse_cloudevent_json(json);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(StatusCode::kInvalidArgument));
  return r.error().message();
}

const char* kMinimal =
    R"({"specversion":"1.0","id":"01936f0e-1c2a-7b3c-8d4e-5f6a7b8c9d0e","source":"planner","type":"task.created"})";

}  // namespace

TEST_CASE("CloudEvents round trip of 20000 random events - every field") {
  test::EventGen gen(11);
  for (int i = 0; i < 20000; ++i) {
    EventPtr e = gen.next();
    const std::string json = to_cloudevent_json(*e);
    auto back = parse_cloudevent_json(json);
    INFO(json);
    REQUIRE(back.ok());
    REQUIRE(**back == *e);
  }
}

TEST_CASE("encoding: attribute names and data forms") {
  auto e = *EventBuilder("task.created")
                .source("planner")
                .id(*Uuid::parse("01936f0e-1c2a-7b3c-8d4e-5f6a7b8c9d0e"))
                .time_ns(1'500'000'000)
                .priority(Priority::kHigh)
                .correlation_id("req_1")
                .causation_id("c")
                .target("worker")
                .stream("task-7")
                .metadata("traceparent", "00-x")
                .data(R"({ "n": 1.50, "big": 12345678901234567890123 })")
                .build();
  CHECK(
      to_cloudevent_json(*e) ==
      R"({"specversion":"1.0","id":"01936f0e-1c2a-7b3c-8d4e-5f6a7b8c9d0e","source":"planner",)"
      R"("type":"task.created","time":"1970-01-01T00:00:01.5Z","datacontenttype":"application/json",)"
      R"("priority":"high","correlationid":"req_1","causationid":"c","target":"worker",)"
      R"("stream":"task-7","traceparent":"00-x","data":{"n":1.50,"big":12345678901234567890123}})");

  auto text = *EventBuilder("a").source("s").data("héllo", "text/plain").build();
  CHECK(to_cloudevent_json(*text).find(R"("data":"héllo")") != std::string::npos);

  auto bin = *EventBuilder("a")
                  .source("s")
                  .data(std::string("\x00\xff", 2), "application/octet-stream")
                  .build();
  CHECK(to_cloudevent_json(*bin).find(R"("data_base64":"AP8=")") != std::string::npos);

  // JSON content that is not JSON keeps its bytes through base64.
  auto broken = *EventBuilder("a").source("s").data("{not json").build();
  const std::string bj = to_cloudevent_json(*broken);
  CHECK(bj.find("data_base64") != std::string::npos);
  CHECK((*parse_cloudevent_json(bj))->data() == "{not json");

  // A JSON null payload keeps its 4 bytes.
  auto null_data = *EventBuilder("a").source("s").data("null").build();
  CHECK((*parse_cloudevent_json(to_cloudevent_json(*null_data)))->data() == "null");
}

TEST_CASE("decoding: data forms by content type") {
  const std::string base = std::string(kMinimal).substr(0, std::string(kMinimal).size() - 1);
  auto dec = [&](const std::string& extra) {
    return parse_cloudevent_json(base + "," + extra + "}");
  };

  auto j = dec(R"("data": {"a": [1, 2.0, "x"]})");
  REQUIRE(j.ok());
  CHECK((*j)->data() == R"({"a":[1,2.0,"x"]})");
  CHECK((*j)->content_type() == "application/json");

  auto s = dec(R"("datacontenttype":"text/plain","data":"line\nbreak")");
  REQUIRE(s.ok());
  CHECK((*s)->data() == "line\nbreak");

  auto js = dec(R"("data":"just a string")");
  CHECK((*js)->data() == R"("just a string")");

  auto b = dec(R"("datacontenttype":"image/png","data_base64":"iVBORw==")");
  CHECK((*b)->data() == std::string("\x89PNG", 4));

  auto nodata = dec(R"("data":null)");
  CHECK((*nodata)->data().empty());

  auto prio = dec(R"("priority":0)");
  CHECK((*prio)->priority() == Priority::kCritical);

  auto ext = dec(R"("subject":"x","count":42,"flag":true,"gone":null)");
  REQUIRE(ext.ok());
  CHECK(*(*ext)->find_metadata("subject") == "x");
  CHECK(*(*ext)->find_metadata("count") == "42");
  CHECK(*(*ext)->find_metadata("flag") == "true");
  CHECK_FALSE((*ext)->find_metadata("gone").has_value());

  auto t = dec(R"("time":"2026-01-01T00:00:00+02:00")");
  CHECK(format_rfc3339((*t)->time_ns()) == "2025-12-31T22:00:00Z");
}

TEST_CASE("decoding is strict and names the attribute") {
  const std::string base = std::string(kMinimal).substr(0, std::string(kMinimal).size() - 1);
  auto err = [&](const std::string& extra) { return decode_error(base + "," + extra + "}"); };

  CHECK(decode_error("").find("cloudevent: JSON syntax error at byte 0") == 0);
  CHECK(decode_error("{\"specversion\":").find("JSON syntax error at byte") != std::string::npos);
  CHECK(decode_error("[]") ==
        "cloudevent: the input is a JSON array; expected one CloudEvent object");
  CHECK(decode_error("\"x\"") == "cloudevent: the input is not a JSON object");
  CHECK(decode_error(std::string(kMinimal) + " {}").find("cloudevent: JSON syntax error") == 0);
  CHECK(decode_error(R"({"id":"01936f0e-1c2a-7b3c-8d4e-5f6a7b8c9d0e","source":"s","type":"a"})") ==
        "cloudevent: attribute 'specversion': is required (expected \"1.0\")");
  CHECK(
      decode_error(
          R"({"specversion":"0.3","id":"01936f0e-1c2a-7b3c-8d4e-5f6a7b8c9d0e","source":"s","type":"a"})") ==
      "cloudevent: attribute 'specversion': '0.3' is not supported (expected \"1.0\")");
  CHECK(decode_error(R"({"specversion":"1.0","source":"s","type":"a"})") ==
        "cloudevent: attribute 'id': is required");
  CHECK(decode_error(R"({"specversion":"1.0","id":"A234-1234","source":"s","type":"a"})") ==
        "cloudevent: attribute 'id': 'A234-1234' is not a UUID (Chorus event ids are UUIDs)");
  CHECK(decode_error(
            R"({"specversion":"1.0","id":"01936f0e-1c2a-7b3c-8d4e-5f6a7b8c9d0e","type":"a"})") ==
        "cloudevent: attribute 'source': is required");
  CHECK(
      decode_error(
          R"({"specversion":"1.0","id":"01936f0e-1c2a-7b3c-8d4e-5f6a7b8c9d0e","source":"s","type":"A.b"})")
          .find("cloudevent: attribute 'type': 'A.b': segment 1") == 0);
  CHECK(err(R"("source":"again")") == "cloudevent: attribute 'source': appears more than once");
  CHECK(err(R"("user_id":"u")") ==
        "cloudevent: attribute 'user_id': invalid attribute name: CloudEvents attribute names are "
        "a-z and 0-9 only");
  CHECK(err(R"("time":"yesterday")").find("cloudevent: attribute 'time': timestamp 'yesterday'") ==
        0);
  CHECK(err(R"("priority":"urgent")").find("cloudevent: attribute 'priority'") == 0);
  CHECK(err(R"("meta":{"a":1})") ==
        "cloudevent: attribute 'meta': must be a string, number or boolean, not an object");
  CHECK(err(R"("tags":[1])") ==
        "cloudevent: attribute 'tags': must be a string, number or boolean, not an array");
  CHECK(err(R"("data":1,"data_base64":"AA==")") ==
        "cloudevent: attribute 'data': 'data' and 'data_base64' may not both be present");
  CHECK(err(R"("data_base64":"A")").find("cloudevent: attribute 'data_base64': base64") == 0);
  CHECK(err(R"("datacontenttype":"text/plain","data":{"a":1})") ==
        "cloudevent: attribute 'data': content type 'text/plain' is not JSON, so 'data' must be a "
        "string (or use data_base64)");
  CHECK(err(R"("source":5)").find("appears more than once") != std::string::npos);
  CHECK(
      decode_error(
          R"({"specversion":"1.0","id":"01936f0e-1c2a-7b3c-8d4e-5f6a7b8c9d0e","source":5,"type":"a"})") ==
      "cloudevent: attribute 'source': must be a string");
  CHECK(err("\"bad\":\"\xff\"").find("cloudevent: JSON syntax error") == 0);  // invalid UTF-8
  CHECK(decode_error(std::string(kMinimal) + std::string("\0{}", 3)).find("NUL") !=
        std::string::npos);
}

TEST_CASE("missing id is allowed when the caller says so") {
  CloudEventDecodeOptions opts;
  opts.require_id = false;
  auto r = parse_cloudevent_json(R"({"specversion":"1.0","source":"s","type":"a"})", opts);
  REQUIRE(r.ok());
  CHECK((*r)->id().version() == 7);
}

TEST_CASE("deeply nested data is refused without exhausting the stack") {
  const std::string base = std::string(kMinimal).substr(0, std::string(kMinimal).size() - 1);
  std::string deep =
      base + ",\"data\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  CHECK(decode_error(deep).find("nested more than 512 levels") != std::string::npos);
  std::string ok = base + ",\"data\":" + std::string(500, '[') + std::string(500, ']') + "}";
  CHECK(parse_cloudevent_json(ok).ok());
}

TEST_CASE("content type classification") {
  CHECK(is_json_content_type("application/json"));
  CHECK(is_json_content_type("Application/JSON; charset=utf-8"));
  CHECK(is_json_content_type("application/cloudevents+json"));
  CHECK(is_json_content_type("text/json"));
  CHECK_FALSE(is_json_content_type("text/plain"));
  CHECK_FALSE(is_json_content_type("application/jsonx"));
}

namespace {

// kMinimal with one more member: `"name":"<at x 'a'><control>z"`, the control
// character at string offset `at`. Returns the JSON and the control byte's
// offset in it.
std::pair<std::string, size_t> with_control(std::string_view member, size_t at, char c) {
  std::string json = std::string(kMinimal).substr(0, std::string(kMinimal).size() - 1);
  json += ",\"";
  json += member;
  json += "\":\"";
  json += std::string(at, 'a');
  const size_t offset = json.size();
  json += c;
  json += "z\"}";
  return {json, offset};
}

std::string control_message(std::string_view attr, int c, size_t offset) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "%04X", c);
  return "cloudevent: attribute '" + std::string(attr) + "': unescaped control character U+" + hex +
         " at byte " + std::to_string(offset);
}

}  // namespace

TEST_CASE("decoding refuses every raw control character at every string offset") {
  // `source` appears twice in the JSON below, so it goes where kMinimal has
  // it; `data` and an extension go after the required attributes.
  size_t checked = 0, wrong = 0;
  for (int c = 0; c < 0x20; ++c) {
    for (size_t at = 0; at <= 40; ++at) {
      std::vector<std::pair<std::string, std::pair<std::string, size_t>>> cases = {
          {"data", with_control("data", at, static_cast<char>(c))},
          {"subject", with_control("subject", at, static_cast<char>(c))},
      };
      std::string src =
          R"({"specversion":"1.0","id":"01936f0e-1c2a-7b3c-8d4e-5f6a7b8c9d0e","source":")";
      const size_t offset = src.size() + at;
      src += std::string(at, 's') + static_cast<char>(c) + R"(x","type":"task.created"})";
      cases.push_back({"source", {src, offset}});
      for (const auto& [attr, input] : cases) {
        ++checked;
        auto r = parse_cloudevent_json(input.first);
        const std::string want = control_message(attr, c, input.second);
        if (r.ok() || r.error().message() != want) {
          ++wrong;
          if (wrong <= 5) {
            INFO("input: " << printable(input.first, 200));
            CHECK((r.ok() ? std::string("accepted") : r.error().message()) == want);
          }
        }
      }
    }
  }
  CHECK(checked == 32 * 41 * 3);
  CHECK(wrong == 0);
}

TEST_CASE("decoding: raw control characters in nested data, data_base64 and names") {
  const std::string base = std::string(kMinimal).substr(0, std::string(kMinimal).size() - 1);
  // Inside nested data, in a key or a value: the attribute is `data`.
  std::string json = base + ",\"data\":{\"list\":[1,\"" + std::string(30, 'v') + "\x1e\"]}}";
  CHECK(decode_error(json) ==
        "cloudevent: attribute 'data': unescaped control character U+001E "
        "at byte " +
            std::to_string(json.find('\x1e')));
  json = base + ",\"data\":{\"k\x01\":1}}";
  CHECK(decode_error(json) ==
        "cloudevent: attribute 'data': unescaped control character U+0001 "
        "at byte " +
            std::to_string(json.find('\x01')));
  json = base + ",\"datacontenttype\":\"text/plain\",\"data\":\"tab\there\"}";
  CHECK(decode_error(json) ==
        "cloudevent: attribute 'data': unescaped control character U+0009 "
        "at byte " +
            std::to_string(json.find('\t')));
  json = base + ",\"data_base64\":\"AA\n==\"}";
  CHECK(decode_error(json) ==
        "cloudevent: attribute 'data_base64': unescaped control character "
        "U+000A at byte " +
            std::to_string(json.find('\n')));
  // In an attribute name: the name is not known yet, its opening quote is.
  json = base + ",\"sub\x1fject\":\"x\"}";
  CHECK(decode_error(json) ==
        "cloudevent: attribute name at byte " + std::to_string(base.size() + 1) +
            ": unescaped control character U+001F at byte " + std::to_string(json.find('\x1f')));
  // Outside any attribute.
  CHECK(decode_error(std::string("\"a\x02\"")) ==
        "cloudevent: unescaped control character U+0002 at byte 2");
  // Whitespace between tokens is not in a string, and escaped control
  // characters are fine.
  auto ok = parse_cloudevent_json(base + ",\n\t\"data\" :\r\n {\"k\":\"a\\u001fb\\n\"}\n}");
  REQUIRE(ok.ok());
  CHECK((*ok)->data() == "{\"k\":\"a\\u001fb\\n\"}");
  // An error earlier in the text is reported first.
  json = base + ",\"source\":\"x\",\"subject\":\"\x1f\"}";
  CHECK(decode_error(json) == "cloudevent: attribute 'source': appears more than once");
  json = base + ",\"a\" \"b\",\"subject\":\"\x1f\"}";
  CHECK(decode_error(json).find("cloudevent: JSON syntax error at byte " +
                                std::to_string(base.size() + 5)) == 0);
}

TEST_CASE("the fuzzer's round-trip crash: raw 0x1F at the end of a data string") {
  // Issue 13; also tests/fuzz/corpus/cloudevent/raw-control-in-data.json.
  const std::string json = *base64_decode(
      "eyJzcGVjdmVyc2lvbiI6IjEuMCIsImlkIjoiMDE5MzZmMGUtMWMyYS03YjNjLThkNGUtNWY2YTdiOGM5ZDBlIiwic2"
      "91cmNlIjoicyIsInR5cGUiOiJhIiwiZGF0YWNvbnRhYWF0dHlwZSI6InR9fX19fX19fX19fX19fX19fX19fX19fX19f"
      "X19fX1leHQqL3BsYWluIiwiZGF0YSI6IiRkYXRhY29udGVubWQfHx8ifQ==");
  REQUIRE(json.find("\"data\":\"$datacontenmd\x1f\x1f\x1f\"}") != std::string::npos);
  CHECK(decode_error(json) ==
        "cloudevent: attribute 'data': unescaped control character U+001F "
        "at byte " +
            std::to_string(json.find('\x1f')));
}

TEST_CASE("encoding escapes every control character, so the output decodes again") {
  std::string all;
  for (int c = 0; c < 0x20; ++c)
    all += static_cast<char>(c);
  for (size_t at = 0; at <= 40; ++at) {
    // Text data: a JSON string of every control character at every offset.
    const std::string text = std::string(at, 'a') + all + "\"\\ caf\xc3\xa9 " + all;
    auto e = *EventBuilder("a").source("s").data(text, "text/plain").build();
    const std::string json = to_cloudevent_json(*e);
    INFO(printable(json, 400));
    CHECK(std::none_of(json.begin(), json.end(), [](char ch) { return ch >= 0 && ch < 0x20; }));
    CHECK(json.find("\\u0000\\u0001") != std::string::npos);
    CHECK(json.find("\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f") != std::string::npos);
    CHECK(json.find("\\b\\t\\n\\u000b\\f\\r") != std::string::npos);
    auto back = parse_cloudevent_json(json);
    REQUIRE(back.ok());
    CHECK(**back == *e);

    // JSON data whose strings hold escaped control characters: re-compacted
    // on encode, still escaped.
    std::string escaped;
    for (int c = 0; c < 0x20; ++c) {
      char u[8];
      std::snprintf(u, sizeof u, "\\u%04x", c);
      escaped += u;
    }
    const std::string data =
        "{\"" + std::string(at, 'k') + escaped + "\":\"" + std::string(at, 'v') + escaped + "\"}";
    auto j = *EventBuilder("a").source("s").data(data).build();
    const std::string jj = to_cloudevent_json(*j);
    INFO(printable(jj, 400));
    CHECK(std::none_of(jj.begin(), jj.end(), [](char ch) { return ch >= 0 && ch < 0x20; }));
    auto jback = parse_cloudevent_json(jj);
    REQUIRE(jback.ok());
    CHECK(to_cloudevent_json(**jback) == jj);
  }
}

TEST_CASE("JSON data holding a raw control character goes out as data_base64, byte for byte") {
  // Such data can be in a store written before decoding refused it, or come
  // from a plugin: it is not JSON until escaped, so its bytes are kept.
  for (size_t at = 0; at <= 40; ++at) {
    const std::string data = "{\"k\":\"" + std::string(at, 'v') + "\x1f\x01\"}";
    auto e = *EventBuilder("a").source("s").data(data).build();
    const std::string json = to_cloudevent_json(*e);
    CHECK(json.find("\"data_base64\"") != std::string::npos);
    CHECK(json.find("\"datacontenttype\":\"application/json\"") != std::string::npos);
    auto back = parse_cloudevent_json(json);
    REQUIRE(back.ok());
    CHECK(**back == *e);
  }
}

TEST_CASE("JSON data escaping half a surrogate pair goes out as data_base64; decoding refuses it") {
  // Found by cloudevent_data_fuzz: RapidJSON decodes a lone low surrogate
  // escape into ill-formed UTF-8, so the encoder wrote bytes its decoder
  // refused. Such data is not JSON text that means characters: its bytes are
  // kept, and a CloudEvent holding it is refused naming the escape.
  const std::string data = "{\"k\":\"a\\uDDD002fb\\n\",\"n\":[1,2.50,\"caf\xc3\xa9\"]}";
  auto e = *EventBuilder("a").source("s").data(data).build();
  const std::string json = to_cloudevent_json(*e);
  CHECK(json.find("\"data_base64\"") != std::string::npos);
  auto back = parse_cloudevent_json(json);
  REQUIRE(back.ok());
  CHECK(**back == *e);
  const std::string bad =
      R"({"specversion":"1.0","id":"x","source":"s","type":"a","data":{"k":"a\uDDD0"}})";
  auto refused = parse_cloudevent_json(bad);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message() ==
        "cloudevent: JSON syntax error at byte " + std::to_string(bad.find("\\uDDD0")) +
            ": a \\u escape of half a UTF-16 surrogate pair (not a character)");
}

TEST_CASE("JSON stored before encoding escaped every control character can still be read") {
  // As the encoder wrote text data before issue 13's fix (ANSI colours: ESC
  // is 0x1B, one of the bytes RapidJSON's SSE2 writer let through).
  const std::string old =
      std::string(kMinimal).substr(0, std::string(kMinimal).size() - 1) +
      ",\"datacontenttype\":\"text/plain\",\"data\":\"a long line of log \x1b[31m"
      "red\x1b[0m\"}";
  CHECK(decode_error(old).find("unescaped control character U+001B") != std::string::npos);
  CloudEventDecodeOptions lenient;
  lenient.raw_control_characters = RawControlCharacters::kEscape;
  auto e = parse_cloudevent_json(old, lenient);
  REQUIRE(e.ok());
  CHECK((*e)->data() == "a long line of log \x1b[31mred\x1b[0m");
  // Everything else is as strict as ever.
  CHECK_FALSE(parse_cloudevent_json(old.substr(0, old.size() - 1), lenient).ok());
  // And its encoding escapes them.
  CHECK(to_cloudevent_json(**e).find("\\u001b[31mred\\u001b[0m") != std::string::npos);
}
