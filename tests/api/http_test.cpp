// The API server over real sockets on 127.0.0.1, in a host made of the
// runtime's pieces: health and readiness, /metrics as valid Prometheus text
// (and promtool's opinion when it is installed), tokens, and bad input:
// malformed requests, oversize bodies and headers, slow requests, too many
// connections, unknown routes, keep-alive limits, and a stop that drains.
#include <cstdio>
#include <filesystem>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "api/api_metrics.h"
#include "api/api_server.h"
#include "api_host.h"
#include "bus/event_bus.h"
#include "json_check.h"
#include "prom_check.h"
#include "runtime/api_subsystem.h"
#include "support/subprocess.h"
#include "support/wait.h"
#include "wire_client.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const char* kEvent = R"({"specversion":"1.0","type":"task.created","source":"test"})";

}  // namespace

TEST_CASE("api: /healthz and /readyz") {
  ApiHost host;
  auto h = http(host.port(), "GET", "/healthz");
  CHECK(h.status == 200);
  CHECK(h.header("content-type") == "application/json");
  CHECK(h.body == R"({"status":"ok"})");

  auto r = http(host.port(), "GET", "/readyz");
  CHECK(r.status == 200);
  auto d = json(r.body);
  CHECK(d["ready"].GetBool());
  REQUIRE(d["checks"].Size() == 2);
  CHECK(std::string(d["checks"][0]["name"].GetString()) == "store");
  CHECK(std::string(d["checks"][1]["name"].GetString()) == "bus");

  // A subsystem's check that fails makes the host not ready, and says why.
  const uint64_t id = host.readiness().add(
      "plugins", [] { return Status::Unavailable("initial scan of ./plugins running"); });
  r = http(host.port(), "GET", "/readyz");
  CHECK(r.status == 503);
  d = json(r.body);
  CHECK_FALSE(d["ready"].GetBool());
  CHECK(std::string(d["checks"][2]["message"].GetString()) == "initial scan of ./plugins running");
  host.readiness().remove(id);
  CHECK(http(host.port(), "GET", "/readyz").status == 200);
}

TEST_CASE("api: /metrics is valid Prometheus text with the bus, store and api families") {
  ApiHost host;
  // Some traffic first: a persistent publish, a subscriber, a failure.
  REQUIRE(host.bus().subscribe("task.*", [](const EventPtr&) { return Status::OK(); }).ok());
  REQUIRE(http(host.port(), "POST", "/v1/events", {"Content-Type: application/cloudevents+json"},
               kEvent)
              .status == 200);
  REQUIRE(http(host.port(), "POST", "/v1/events", {"Content-Type: application/cloudevents+json"},
               R"({"specversion":"1.0","type":"order.placed","source":"t","stream":"order-1"})")
              .status == 200);
  http(host.port(), "GET", "/nowhere");
  const uint64_t id = host.metrics().add("plugins", [](api::MetricsWriter& w) {
    w.family("chorus_plugins_loaded", api::MetricType::kGauge, "Plugins loaded");
    w.sample(uint64_t{2});
  });

  auto m = http(host.port(), "GET", "/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  const PromDoc doc = parse_prometheus(m.body);
  INFO(m.body);
  for (const std::string& p : doc.problems)
    FAIL_CHECK(p);
  CHECK(doc.value("chorus_bus_published_total") >= 2);
  CHECK(doc.value("chorus_bus_persisted_total") == 1);
  CHECK(doc.value("chorus_bus_topic_published_total", {{"topic", "task.created"}}) == 1);
  CHECK(doc.value("chorus_store_appended_total") >= 1);
  CHECK(doc.value("chorus_store_last_seq") >= 1);
  CHECK(doc.value("chorus_api_requests_total", {{"code", "200"}}) >= 2);
  CHECK(doc.value("chorus_api_requests_total", {{"code", "404"}}) == 1);
  CHECK(doc.value("chorus_api_published_total") == 2);
  CHECK(doc.value("chorus_plugins_loaded") == 2);
  CHECK(doc.types.at("chorus_api_request_duration_seconds") == "histogram");
  CHECK(doc.types.at("chorus_bus_delivery_latency_seconds") == "summary");
  host.metrics().remove(id);
  CHECK_FALSE(parse_prometheus(http(host.port(), "GET", "/metrics").body)
                  .has_family("chorus_plugins_loaded"));

  // promtool, when Debian's prometheus package is installed.
  if (std::filesystem::exists("/usr/bin/promtool")) {
    TempDir dir;
    const std::string file = dir.write("metrics.txt", m.body);
    auto r = run_command({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + file});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
  } else {
    WARN("promtool not installed: only the built-in checker ran");
  }
}

TEST_CASE("api: tokens: missing or wrong is 401, the right one passes, /healthz stays open") {
  ApiHost host([](config::Config& c) { c.api.tokens = {"tok-1", "tok-2"}; });
  const uint16_t port = host.port();
  auto missing = http(port, "GET", "/metrics");
  CHECK(missing.status == 401);
  CHECK(missing.header("www-authenticate") == "Bearer realm=\"chorus\"");
  CHECK(error_code(missing) == "unauthorized");
  auto wrong =
      http(port, "POST", "/v1/events",
           {"Authorization: Bearer tok-3", "Content-Type: application/cloudevents+json"}, kEvent);
  CHECK(wrong.status == 401);
  CHECK(host.bus().stats().published == 0);  // nothing got through
  CHECK(http(port, "GET", "/metrics", {"Authorization: Bearer tok-2"}).status == 200);
  CHECK(http(port, "GET", "/healthz").status == 200);
  CHECK(http(port, "GET", "/not/a/route").status == 401);

  // A reload replaces the tokens for the next request.
  config::Config next = host.config();
  next.api.tokens = {"tok-new"};
  REQUIRE(host.api_subsystem().reload(next).ok());
  CHECK(http(port, "GET", "/metrics", {"Authorization: Bearer tok-1"}).status == 401);
  CHECK(http(port, "GET", "/metrics", {"Authorization: Bearer tok-new"}).status == 200);
}

TEST_CASE("api: api.enabled false starts no listener") {
  ApiHost host([](config::Config& c) { c.api.enabled = false; });
  CHECK(host.api_subsystem().server() == nullptr);
  CHECK(host.metrics().size() == 0);  // nothing registered either
}

TEST_CASE("api: beyond loopback without a token the API refuses to start") {
  // The config check refuses the file (chorus check, chorus run)...
  auto cfg = config::parse_config("api:\n  listen: 0.0.0.0:0\n", "t.yaml");
  REQUIRE_FALSE(cfg.ok());
  CHECK(cfg.error().message().find("beyond loopback") != std::string::npos);
  // ... and the server itself refuses, for options made any other way.
  ApiHost host;  // a bus and a store
  api::ApiOptions o;
  o.host = "0.0.0.0";
  o.port = 0;
  api::ApiServices services{&host.bus(), &host.store(), &host.metrics(), &host.readiness(), {}};
  api::ApiServer open(host.io(), o, services);
  const Status s = open.start();
  CHECK(s.is(StatusCode::kPermissionDenied));
  CHECK(s.message().find("is beyond loopback and api.tokens is empty") != std::string::npos);
  o.tokens = {"a-token"};
  api::ApiServer guarded(host.io(), o, services);
  REQUIRE(guarded.start().ok());
  CHECK(http(guarded.port(), "GET", "/metrics").status == 401);
  // Its tokens may not become empty on a reload.
  o.tokens.clear();
  CHECK(guarded.reload(o).is(StatusCode::kFailedPrecondition));
  CHECK(http(guarded.port(), "GET", "/metrics", {"Authorization: Bearer a-token"}).status == 200);
  guarded.stop(std::chrono::steady_clock::now() + 5s);
}

TEST_CASE("api: malformed requests, unknown routes and bad JSON get JSON errors") {
  ApiHost host;
  const uint16_t port = host.port();
  {
    Connection c(port);
    c.send("THIS IS NOT HTTP\r\n\r\n");
    auto r = c.read_response();
    CHECK(r.status == 400);
    CHECK(error_code(r) == "bad_request");
    CHECK(c.wait_closed());
  }
  {
    Connection c(port);
    c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n");
    CHECK(c.read_response().status == 400);
  }
  auto nf = http(port, "GET", "/v1/nothing");
  CHECK(nf.status == 404);
  CHECK(json(nf.body)["error"]["routes"].Size() > 5);
  auto na = http(port, "PUT", "/v1/events");
  CHECK(na.status == 405);
  CHECK(na.header("allow") == "POST, GET");
  auto bad_json = http(port, "POST", "/v1/events", {"Content-Type: application/cloudevents+json"},
                       R"({"specversion":"1.0",)");
  CHECK(bad_json.status == 400);
  CHECK(json(bad_json.body)["error"]["message"].GetString() ==
        std::string("cloudevent: JSON syntax error at byte 21: Missing a name for object member."));
  auto media = http(port, "POST", "/v1/events", {"Content-Type: application/json"}, "{}");
  CHECK(media.status == 415);
  CHECK(error_code(media) == "unsupported_media_type");
  // HEAD is GET without the body.
  Connection c(port);
  c.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(c.read_some(20s).find("Content-Length: 15\r\n") != std::string::npos);
}

TEST_CASE("api: oversize bodies are 413, oversize headers 431, and the host lives on") {
  ApiHost host([](config::Config& c) {
    c.api.max_body = 1024;
    c.api.max_header = 2048;
  });
  const uint16_t port = host.port();
  auto big = http(port, "POST", "/v1/events", {"Content-Type: application/cloudevents+json"},
                  std::string(1025, ' '));
  CHECK(big.status == 413);
  CHECK(error_code(big) == "payload_too_large");
  CHECK(json(big.body)["error"]["message"].GetString() ==
        std::string("the request body is larger than api.limits.body"));
  // A chunked body that grows past the limit is stopped too.
  {
    Connection c(port);
    c.send(
        "POST /v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/cloudevents+json\r\n\r\n");
    for (int i = 0; i < 3; ++i)
      c.send("200\r\n" + std::string(512, ' ') + "\r\n");
    CHECK(c.read_response().status == 413);
  }
  auto header = http(port, "GET", "/healthz", {"X-Big: " + std::string(3000, 'h')});
  CHECK(header.status == 431);
  CHECK(error_code(header) == "header_too_large");
  CHECK(http(port, "GET", "/healthz").status == 200);
}

TEST_CASE("api: a request that does not arrive whole in time is 408 (slowloris)") {
  ApiHost host([](config::Config& c) { c.api.read_timeout = 300ms; });
  Connection c(host.port());
  c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");  // and nothing more
  auto r = c.read_response();
  CHECK(r.status == 408);
  CHECK(error_code(r) == "request_timeout");
  CHECK(c.wait_closed());
  CHECK(host.server().metrics().requests_with(408) == 1);
  CHECK(http(host.port(), "GET", "/healthz").status == 200);
}

TEST_CASE("api: an idle keep-alive connection is closed after the idle timeout") {
  ApiHost host([](config::Config& c) { c.api.idle_timeout = 200ms; });
  Connection c(host.port());
  c.send(http_request("GET", "/healthz", {}, "", true));
  CHECK(c.read_response().status == 200);
  CHECK(c.wait_closed());  // the server closed it; no response was owed
  CHECK(c.buffer.empty());
}

TEST_CASE("api: over the connection limit a client gets 503 and the others are served") {
  ApiHost host([](config::Config& c) { c.api.max_connections = 2; });
  const uint16_t port = host.port();
  Connection a(port), b(port);
  // Both are registered once each has been answered once.
  a.send(http_request("GET", "/healthz", {}, "", true));
  b.send(http_request("GET", "/healthz", {}, "", true));
  REQUIRE(a.read_response().status == 200);
  REQUIRE(b.read_response().status == 200);
  Connection third(port);
  auto r = third.read_response();
  CHECK(r.status == 503);
  CHECK(error_code(r) == "too_many_connections");
  CHECK(json(r.body)["error"]["message"].GetString() ==
        std::string("the API has api.limits.connections (2) connections open; try again later"));
  CHECK(host.server().metrics().connections_rejected.load() == 1);
  a.send(http_request("GET", "/healthz", {}, "", false));
  CHECK(a.read_response().status == 200);
  CHECK(a.wait_closed());
  // A slot is free again.
  REQUIRE(spin_until([&] { return host.server().metrics().connections.load() < 2; }));
  CHECK(http(port, "GET", "/healthz").status == 200);
}

TEST_CASE("api: keep-alive serves requests_per_connection requests, then closes") {
  ApiHost host([](config::Config& c) { c.api.requests_per_connection = 3; });
  Connection c(host.port());
  for (int i = 1; i <= 3; ++i) {
    c.send(http_request("GET", "/healthz", {}, "", true));
    auto r = c.read_response();
    CHECK(r.status == 200);
    CHECK(r.header("connection") == (i < 3 ? "" : "close"));
  }
  CHECK(c.wait_closed());
}

TEST_CASE("api: Expect: 100-continue gets its interim response") {
  ApiHost host;
  Connection c(host.port());
  const std::string body = kEvent;
  c.send(
      "POST /v1/events HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Type: application/cloudevents+json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n");
  CHECK(c.read_response().status == 100);
  c.send(body);
  CHECK(c.read_response().status == 200);
}

TEST_CASE("api: a stop lets the request in flight finish and closes idle connections") {
  ApiHost host;
  const uint16_t port = host.port();
  // A request whose reply the test holds back while the API stops.
  Gate gate;
  REQUIRE(host.bus()
              .subscribe("slow.op",
                         [&](const EventPtr& e) {
                           gate.pass();
                           return host.bus().reply(*e, EventBuilder("slow.done").source("t"));
                         })
              .ok());
  Connection idle(port);
  idle.send(http_request("GET", "/healthz", {}, "", true));
  REQUIRE(idle.read_response().status == 200);
  Connection busy(port);
  busy.send(http_request("POST", "/v1/requests?timeout=30s",
                         {"Content-Type: application/cloudevents+json"},
                         R"({"specversion":"1.0","type":"slow.op","source":"t"})"));
  REQUIRE(gate.entered(1));
  std::thread stopper([&] { host.stop_api(); });
  CHECK(idle.wait_closed());  // closed at once: nothing was in flight on it
  gate.open();
  auto r = busy.read_response();
  stopper.join();
  CHECK(r.status == 200);
  CHECK(r.header("connection") == "close");
  CHECK(r.body.find("\"type\":\"slow.done\"") != std::string::npos);
  CHECK_THROWS(Connection(port));  // nothing listens any more
}
