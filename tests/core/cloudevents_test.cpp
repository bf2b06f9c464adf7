// CloudEvents 1.0 JSON: round trips (property style), the data rules, strict
// decoding with messages that name the attribute.
#include "core/cloudevents.h"

#include <catch2/catch.hpp>

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
