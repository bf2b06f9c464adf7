// The API's parts that need no socket: routing (parameters, 404 with the
// routes, 405 with Allow, 401 before anything is told), bearer tokens,
// query parameters, the CloudEvents HTTP binding's modes and binary
// headers, batch splitting, request parsing with the server's limits, and
// the Prometheus writer (the checker in prom_check.h must agree with it).
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "api/cloudevents_http.h"
#include "api/histogram.h"
#include "api/http_parse.h"
#include "api/prometheus.h"
#include "api/query.h"
#include "api/router.h"
#include "api/token_check.h"
#include "core/cloudevents.h"
#include "prom_check.h"

using namespace chorus;
using namespace chorus::api;
using namespace chorus::test;

namespace {

Request request(Method m, std::string target) {
  Request r;
  r.method = m;
  r.method_text = std::string(method_name(m));
  r.target = target;
  const size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = target.substr(q + 1);
  return r;
}

// Dispatches and returns the response (the handlers here answer at once).
Response dispatch(const Router& router, Request req) {
  Response out;
  router.dispatch(req, Reply([&](Response r) { out = std::move(r); }));
  return out;
}

rapidjson::Document json(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

}  // namespace

TEST_CASE("router: parameters are matched and percent-decoded") {
  Router r;
  std::string seen;
  r.add(Method::kGet, "/v1/streams/{id}", Access::kToken, [&](Request& req, Reply reply) {
    seen = std::string(req.param("id"));
    reply.send(json_response(200, "{}"));
  });
  CHECK(dispatch(r, request(Method::kGet, "/v1/streams/order%2D42%2Fx")).status == 200);
  CHECK(seen == "order-42/x");
  CHECK(dispatch(r, request(Method::kGet, "/v1/streams/")).status == 404);
  CHECK(dispatch(r, request(Method::kGet, "/v1/streams/a/b")).status == 404);
  const Response bad = dispatch(r, request(Method::kGet, "/v1/streams/%zz"));
  CHECK(bad.status == 400);
  CHECK(bad.body.find("path parameter 'id'") != std::string::npos);
}

TEST_CASE("router: unknown routes list the routes - wrong methods say which are allowed") {
  Router r;
  auto ok = [](Request&, Reply reply) { reply.send(json_response(200, "{}")); };
  r.add(Method::kGet, "/v1/events", Access::kToken, ok);
  r.add(Method::kPost, "/v1/events", Access::kToken, ok);
  const Response nf = dispatch(r, request(Method::kGet, "/v2/nothing"));
  CHECK(nf.status == 404);
  auto d = json(nf.body);
  CHECK(std::string(d["error"]["code"].GetString()) == "not_found");
  CHECK(std::string(d["error"]["message"].GetString()).find("GET /v2/nothing") !=
        std::string::npos);
  REQUIRE(d["error"]["routes"].Size() == 2);
  CHECK(std::string(d["error"]["routes"][0].GetString()) == "GET /v1/events");
  const Response na = dispatch(r, request(Method::kDelete, "/v1/events"));
  CHECK(na.status == 405);
  REQUIRE(na.headers.size() == 1);
  CHECK(na.headers[0].name == "allow");
  CHECK(na.headers[0].value == "GET, POST");
}

TEST_CASE("router: tokens are checked before routes are revealed") {
  TokenCheck tokens;
  tokens.set({"s3cret"});
  Router r(&tokens);
  auto ok = [](Request&, Reply reply) { reply.send(json_response(200, "{}")); };
  r.add(Method::kGet, "/healthz", Access::kPublic, ok);
  r.add(Method::kGet, "/metrics", Access::kToken, ok);
  CHECK(dispatch(r, request(Method::kGet, "/healthz")).status == 200);
  Request no_token = request(Method::kGet, "/metrics");
  const Response missing = dispatch(r, no_token);
  CHECK(missing.status == 401);
  CHECK(missing.body.find("requires a bearer token") != std::string::npos);
  Request wrong = request(Method::kGet, "/metrics");
  wrong.headers.push_back({"authorization", "Bearer nope"});
  CHECK(dispatch(r, wrong).body.find("not one of api.tokens") != std::string::npos);
  Request basic = request(Method::kGet, "/metrics");
  basic.headers.push_back({"authorization", "Basic abc"});
  CHECK(dispatch(r, basic).body.find("is not 'Bearer TOKEN'") != std::string::npos);
  Request right = request(Method::kGet, "/metrics");
  right.headers.push_back({"authorization", "bearer s3cret"});
  CHECK(dispatch(r, right).status == 200);
  // Without a token an unknown route is 401, not a list of routes.
  CHECK(dispatch(r, request(Method::kGet, "/secret/path")).status == 401);
  tokens.set({});
  CHECK(dispatch(r, request(Method::kGet, "/metrics")).status == 200);
}

TEST_CASE("router: a handler that throws or never answers gives 500") {
  Router r;
  r.add(Method::kGet, "/boom", Access::kToken,
        [](Request&, Reply) { throw std::runtime_error("kaput"); });
  r.add(Method::kGet, "/silent", Access::kToken, [](Request&, Reply) {});
  const Response boom = dispatch(r, request(Method::kGet, "/boom"));
  CHECK(boom.status == 500);
  CHECK(boom.body.find("kaput") != std::string::npos);
  CHECK(dispatch(r, request(Method::kGet, "/silent")).status == 500);
}

TEST_CASE("query: parameters, typed values and errors naming the parameter") {
  auto q = QueryParams::parse("type=order.*&limit=5&x=a%20b+c&flag&since=15m");
  REQUIRE(q.ok());
  CHECK(q->get("type") == "order.*");
  CHECK(q->get("x") == "a b c");
  CHECK(q->get("flag") == "");
  CHECK_FALSE(q->get("missing"));
  CHECK(**q->uint("limit", 1, 10) == 5);
  auto out = q->uint("limit", 10, 20);
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().message().find("'limit': 5 is out of range") != std::string::npos);
  CHECK(q->time("since")->has_value());
  CHECK(check_known_params(*q, {"type", "limit", "x", "flag", "since"}).ok());
  const Status unknown = check_known_params(*q, {"type", "limit"});
  CHECK(unknown.message() == "unknown query parameter 'x' (expected type or limit)");
  CHECK_FALSE(QueryParams::parse("a=%4").ok());
  CHECK(percent_encode("a b/é") == "a%20b%2F%C3%A9");
}

TEST_CASE("cloudevents http: the mode comes from Content-Type and ce- headers") {
  Request r = request(Method::kPost, "/v1/events");
  r.headers.push_back({"content-type", "Application/CloudEvents+JSON; charset=utf-8"});
  CHECK(*cloudevents_mode(r) == CloudEventsMode::kStructured);
  r.headers[0].value = "application/cloudevents-batch+json";
  CHECK(*cloudevents_mode(r) == CloudEventsMode::kBatch);
  r.headers[0].value = "application/json";
  auto none = cloudevents_mode(r);
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().is(StatusCode::kNotSupported));
  r.headers.push_back({"ce-specversion", "1.0"});
  CHECK(*cloudevents_mode(r) == CloudEventsMode::kBinary);
}

TEST_CASE("cloudevents http: binary mode maps headers to the event and names bad ones") {
  Request r = request(Method::kPost, "/v1/events");
  r.headers = {{"ce-specversion", "1.0"},
               {"ce-id", "0190a0d2-8b3c-7def-8123-456789abcdef"},
               {"ce-type", "task.created"},
               {"ce-source", "agent%2F1"},
               {"ce-time", "2026-11-23T05:54:28.5Z"},
               {"ce-priority", "high"},
               {"ce-correlationid", "op-1"},
               {"ce-stream", "task-7"},
               {"ce-traceparent", "00-abc-def-01"},
               {"content-type", "application/json"}};
  r.body = "{\"n\": 1}";
  auto e = decode_binary_cloudevent(r);
  INFO(e.status().to_string());
  REQUIRE(e.ok());
  const Event& ev = **e;
  CHECK(ev.id().to_string() == "0190a0d2-8b3c-7def-8123-456789abcdef");
  CHECK(ev.type() == "task.created");
  CHECK(ev.source() == "agent/1");
  CHECK(ev.priority() == Priority::kHigh);
  CHECK(ev.correlation_id() == "op-1");
  CHECK(ev.stream() == "task-7");
  CHECK(ev.data() == "{\"n\": 1}");
  CHECK(ev.content_type() == "application/json");
  CHECK(ev.find_metadata("traceparent") == "00-abc-def-01");

  auto error_of = [&](std::vector<Header> headers, std::string body = {}) {
    Request b = request(Method::kPost, "/v1/events");
    b.headers = std::move(headers);
    b.body = std::move(body);
    auto res = decode_binary_cloudevent(b);
    REQUIRE_FALSE(res.ok());
    return res.error().message();
  };
  CHECK(error_of({{"ce-specversion", "1.0"}, {"ce-type", "a.b"}}) ==
        "cloudevent (binary mode): header 'ce-source': is required");
  CHECK(error_of({{"ce-specversion", "0.3"}, {"ce-type", "a.b"}, {"ce-source", "s"}})
            .find("header 'ce-specversion': '0.3' is not supported") != std::string::npos);
  CHECK(error_of({{"ce-specversion", "1.0"}, {"ce-type", "A.b"}, {"ce-source", "s"}})
            .find("header 'ce-type'") != std::string::npos);
  CHECK(error_of(
            {{"ce-specversion", "1.0"}, {"ce-type", "a.b"}, {"ce-source", "s"}, {"ce-id", "nope"}})
            .find("header 'ce-id': 'nope' is not a UUID") != std::string::npos);
  CHECK(error_of({{"ce-specversion", "1.0"},
                  {"ce-type", "a.b"},
                  {"ce-source", "s"},
                  {"ce-time", "yesterday"}})
            .find("header 'ce-time'") != std::string::npos);
  CHECK(error_of({{"ce-specversion", "1.0"}, {"ce-type", "a.b"}, {"ce-source", "s"}}, "{not json")
            .find("the body is not valid JSON") != std::string::npos);
  CHECK(error_of({{"ce-specversion", "1.0"}, {"ce-type", "a.b"}, {"ce-source", "s%zz"}})
            .find("header 'ce-source': bad percent-encoding") != std::string::npos);
  CHECK(error_of(
            {{"ce-specversion", "1.0"}, {"ce-type", "a.b"}, {"ce-source", "s"}, {"ce-source", "t"}})
            .find("appears more than once") != std::string::npos);
  // Other media types carry any bytes.
  Request bin = request(Method::kPost, "/v1/events");
  bin.headers = {{"ce-specversion", "1.0"},
                 {"ce-type", "blob.put"},
                 {"ce-source", "s"},
                 {"content-type", "application/octet-stream"}};
  bin.body = std::string("\0\xff\x01", 3);
  auto blob = decode_binary_cloudevent(bin);
  REQUIRE(blob.ok());
  CHECK((*blob)->data() == bin.body);
}

TEST_CASE("cloudevents http: batches split into elements and errors name the element") {
  auto items = split_json_array(R"( [ {"a":"]"} , {"b":[1,{"c":"\"}"}]} ] )");
  REQUIRE(items.ok());
  REQUIRE(items->size() == 2);
  CHECK((*items)[0] == R"({"a":"]"})");
  CHECK((*items)[1] == R"({"b":[1,{"c":"\"}"}]})");
  CHECK(split_json_array("[]")->empty());
  CHECK_FALSE(split_json_array("{}").ok());
  CHECK_FALSE(split_json_array("[{},]").ok());
  CHECK_FALSE(split_json_array("[{}").ok());
  CHECK_FALSE(split_json_array("[{}] x").ok());
  CHECK_FALSE(split_json_array("[{}}]").ok());
  // A string cut by the end of the body, also right after a backslash (found
  // by api_request_fuzz: the scan read past the body); ASan checks the reads.
  for (std::string cut : {R"([{"a":"x)", R"([{"a":"x\)", R"([{"a":"\)", R"([")", R"(["\)"}) {
    const std::vector<char> bytes(cut.begin(), cut.end());  // exactly that long, on the heap
    const std::string_view body(bytes.data(), bytes.size());
    auto r = split_json_array(body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message() == "batch: the array is not closed (expected ']' at byte " +
                                     std::to_string(body.size()) + ")");
  }

  Request r = request(Method::kPost, "/v1/events");
  r.headers = {{"content-type", "application/cloudevents-batch+json"}};
  r.body = R"([{"specversion":"1.0","type":"a.b","source":"s"},
               {"specversion":"1.0","type":"a.b","source":"s","time":"later"}])";
  auto events = decode_cloudevents(r, CloudEventsMode::kBatch);
  REQUIRE_FALSE(events.ok());
  CHECK(events.error().message().find("batch: event [1]: cloudevent: attribute 'time'") == 0);
  r.body = "[]";
  CHECK(decode_cloudevents(r, CloudEventsMode::kBatch).error().message() ==
        "batch: the array is empty");
}

TEST_CASE("http parse: requests with the server's limits") {
  ApiLimits lim;
  lim.max_body = 16;
  lim.max_header = 1024;
  auto ok = parse_http_request(
      "POST /v1/events?x=1 HTTP/1.1\r\nHost: h\r\nContent-Type: a/b\r\nContent-Length: 2\r\n\r\nhi",
      lim);
  REQUIRE(ok.complete);
  REQUIRE_FALSE(ok.error);
  CHECK(ok.request.method == Method::kPost);
  CHECK(ok.request.path == "/v1/events");
  CHECK(ok.request.query == "x=1");
  CHECK(ok.request.header("content-type") == "a/b");
  CHECK(ok.request.body == "hi");
  CHECK_FALSE(parse_http_request("GET / HTTP/1.1\r\nHost: h\r\n", lim).complete);
  auto big =
      parse_http_request("POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n01234567890123456", lim);
  REQUIRE(big.error);
  CHECK(big.error->status == 413);
  auto header =
      parse_http_request("GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n", lim);
  REQUIRE(header.error);
  CHECK(header.error->status == 431);
  auto junk = parse_http_request("\x01\x02 nonsense\r\n\r\n", lim);
  REQUIRE(junk.error);
  CHECK(junk.error->status == 400);
  CHECK(junk.error->body.find("malformed HTTP request") != std::string::npos);
}

TEST_CASE("prometheus: families once, escaped labels, cumulative histograms") {
  MetricsWriter w;
  REQUIRE(w.family("chorus_x_total", MetricType::kCounter, "Help with \\ and\nnewline"));
  w.sample(uint64_t{3}, {{"topic", "a\"b\\c\nd"}});
  CHECK_FALSE(w.family("chorus_x_total", MetricType::kCounter, "again"));
  w.sample(uint64_t{99});  // dropped: the family was refused
  CHECK_FALSE(w.family("bad name", MetricType::kGauge, "x"));
  REQUIRE(w.family("chorus_lat_seconds", MetricType::kHistogram, "Latency"));
  w.sample(1.0);  // not a histogram sample: ignored
  w.histogram({{0.1, 1}, {2, 0, 3}, 4.5});
  REQUIRE(w.family("chorus_q_seconds", MetricType::kSummary, "Quantiles"));
  w.summary({{0.5, 0.25}, {0.99, 1.5}}, 10, 8);
  const std::string text = w.text();
  CHECK(w.duplicates() == std::vector<std::string>{"chorus_x_total", "bad name"});
  CHECK(text.find("# HELP chorus_x_total Help with \\\\ and\\nnewline\n") != std::string::npos);
  CHECK(text.find("chorus_x_total{topic=\"a\\\"b\\\\c\\nd\"} 3\n") != std::string::npos);
  CHECK(text.find("chorus_lat_seconds_bucket{le=\"0.1\"} 2\n") != std::string::npos);
  CHECK(text.find("chorus_lat_seconds_bucket{le=\"1\"} 2\n") != std::string::npos);
  CHECK(text.find("chorus_lat_seconds_bucket{le=\"+Inf\"} 5\n") != std::string::npos);
  CHECK(text.find("chorus_lat_seconds_count 5\n") != std::string::npos);
  CHECK(text.find("chorus_q_seconds{quantile=\"0.99\"} 1.5\n") != std::string::npos);
  const PromDoc doc = parse_prometheus(text);
  CHECK(doc.problems.empty());
  CHECK(doc.value("chorus_x_total", {{"topic", "a\"b\\c\nd"}}) == 3);
}

TEST_CASE("prometheus: the checker catches what the writer prevents") {
  CHECK_FALSE(parse_prometheus("# TYPE chorus_a counter\nchorus_a 1\n").problems.empty());
  CHECK_FALSE(parse_prometheus("# TYPE chorus_a_total counter\n# TYPE chorus_a_total counter\n")
                  .problems.empty());
  CHECK_FALSE(parse_prometheus("chorus_b 1\n").problems.empty());
  CHECK_FALSE(parse_prometheus("# TYPE chorus_h histogram\nchorus_h_bucket{le=\"1\"} 2\n"
                               "chorus_h_bucket{le=\"+Inf\"} 1\nchorus_h_sum 1\nchorus_h_count 1\n")
                  .problems.empty());
  CHECK_FALSE(parse_prometheus("# TYPE chorus_g gauge\nchorus_g 1\n# TYPE chorus_k gauge\n"
                               "chorus_k 1\nchorus_g 2\n")
                  .problems.empty());
}

TEST_CASE("histogram: observations land in their buckets") {
  Histogram h({0.001, 0.01});
  h.observe(0.0005);
  h.observe(0.001);
  h.observe(0.005);
  h.observe(3);
  const HistogramData d = h.snapshot();
  CHECK(d.counts == std::vector<uint64_t>{2, 1, 1});
  CHECK(d.sum == Approx(3.0065));
}
