// The WebSocket tail over a real socket: matching events arrive as
// CloudEvents JSON in order (directed events too); a client that falls
// behind is sent a close frame with the reason, a client that reads nothing
// is cut off, and in both cases the bus and its other subscribers go on
// unaffected; a tail is not a subscriber for no_subscribers; a stop closes
// tails with "going away".
#include <catch2/catch.hpp>

#include "api/api_metrics.h"
#include "api/api_server.h"
#include "api/cloudevents_http.h"
#include "api_host.h"
#include "bus/event_bus.h"
#include "core/cloudevents.h"
#include "support/wait.h"
#include "wire_client.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

EventPtr event(const std::string& type, const std::string& data = "{}") {
  return *EventBuilder(type).source("test").data(data).build();
}

size_t subscriptions(const ApiHost& host) {
  return host.bus().stats().subscriptions;
}

}  // namespace

TEST_CASE("tail: matching events arrive as CloudEvents JSON, in order") {
  ApiHost host;
  const size_t before = subscriptions(host);
  WsClient ws(host.port(), "/v1/tail?pattern=task.*&pattern=audit.**");
  REQUIRE(ws.handshake().status == 101);
  REQUIRE(spin_until([&] { return subscriptions(host) == before + 1; }));

  std::vector<EventPtr> sent = {event("task.created", R"({"n":1})"), event("other.thing"),
                                event("audit.login.ok"), event("task.done", R"({"n":2})")};
  sent.push_back(*EventBuilder("task.assigned").source("test").target("agent-7").build());
  for (const EventPtr& e : sent)
    REQUIRE(host.bus().publish(e).ok());
  for (const size_t i : {0, 2, 3, 4}) {
    const WsMessage m = ws.read_data();
    REQUIRE(m.opcode == 1);
    auto got = parse_cloudevent_json(m.payload);
    REQUIRE(got.ok());
    CHECK(**got == *sent[i]);
  }
  ws.send_close();
  const WsMessage closing = ws.read_data();
  CHECK(closing.opcode == 8);
  REQUIRE(spin_until([&] { return subscriptions(host) == before; }));
  CHECK(host.server().metrics().tail_events.load() == 4);
}

TEST_CASE("tail: batch=true sends JSON arrays of CloudEvents, in order") {
  ApiHost host;
  WsClient ws(host.port(), "/v1/tail?pattern=b.*&batch=true");
  REQUIRE(ws.handshake().status == 101);
  REQUIRE(spin_until([&] { return host.server().metrics().tails.load() == 1; }));
  for (int i = 0; i < 500; ++i)
    REQUIRE(host.bus().publish(event("b.x", std::to_string(i))).ok());
  int next = 0;
  while (next < 500) {
    const WsMessage m = ws.read_data();
    REQUIRE(m.opcode == 1);
    REQUIRE(m.payload.front() == '[');
    auto items = api::split_json_array(m.payload);
    REQUIRE(items.ok());
    for (std::string_view item : *items) {
      auto e = parse_cloudevent_json(item);
      REQUIRE(e.ok());
      CHECK((*e)->data() == std::to_string(next++));
    }
  }
  CHECK(next == 500);
  CHECK(WsClient(host.port(), "/v1/tail?pattern=b.*&batch=maybe").handshake().status == 400);
}

TEST_CASE("tail: bad patterns are 400 and a plain GET is 426") {
  ApiHost host;
  CHECK(http(host.port(), "GET", "/v1/tail?pattern=task.*").status == 426);
  WsClient bad(host.port(), "/v1/tail?pattern=Task.**");
  CHECK(bad.handshake().status == 400);
  WsClient none(host.port(), "/v1/tail");
  CHECK(none.handshake().status == 400);
  ApiHost guarded([](config::Config& c) { c.api.tokens = {"t0ken"}; });
  CHECK(WsClient(guarded.port(), "/v1/tail?pattern=a.b").handshake().status == 401);
  CHECK(WsClient(guarded.port(), "/v1/tail?pattern=a.b", {"Authorization: Bearer t0ken"})
            .handshake()
            .status == 101);
}

TEST_CASE("tail: a client that falls behind gets a close frame with the reason") {
  ApiHost host([](config::Config& c) {
    c.api.tail_queue = 50;
    c.api.tail_close_timeout = 60s;  // this client reads again: it gets the close frame
  });
  Recorder others;
  REQUIRE(host.bus()
              .subscribe("load.*",
                         [&](const EventPtr& e) {
                           others.add(e);
                           return Status::OK();
                         })
              .ok());
  WsClient ws(host.port(), "/v1/tail?pattern=load.*", {}, 4096);
  REQUIRE(ws.handshake().status == 101);
  const auto& m = host.server().metrics();
  REQUIRE(spin_until([&] { return m.tails.load() == 1; }));
  // The client reads nothing while the events pour in.
  const std::string data = R"({"pad":")" + std::string(200, 'x') + "\"}";
  size_t published = 0;
  while (m.tail_disconnects.load() == 0 && published < 200'000) {
    REQUIRE(host.bus().publish(event("load.tick", data)).ok());
    ++published;
  }
  REQUIRE(m.tail_disconnects.load() == 1);
  // Now it reads: what was sent, then the close frame with the reason.
  WsMessage msg;
  size_t texts = 0;
  while ((msg = ws.read_data()).opcode == 1)
    ++texts;
  REQUIRE(msg.opcode == 8);
  CHECK(msg.close_code() == 1013);
  CHECK(msg.close_reason() == "tail too slow: fell 50 events behind; events dropped");
  CHECK(texts < published);
  // The bus went on: every publish succeeded and the other subscriber got all.
  REQUIRE(others.wait_count(published));
  REQUIRE(spin_until([&] { return m.tails.load() == 0; }));
  CHECK(m.tail_dropped.load() > 0);
  CHECK(m.tail_dropped.load() + m.tail_events.load() <= published);
  CHECK(host.bus().stats().publish_errors == 0);
}

TEST_CASE("tail: a client that reads nothing at all is cut off - the bus is unaffected") {
  ApiHost host([](config::Config& c) {
    c.api.tail_queue = 20;
    c.api.tail_close_timeout = 200ms;
  });
  WsClient ws(host.port(), "/v1/tail?pattern=load.*", {}, 4096);
  REQUIRE(ws.handshake().status == 101);
  const auto& m = host.server().metrics();
  REQUIRE(spin_until([&] { return m.tails.load() == 1; }));
  const size_t subs = subscriptions(host);
  const std::string data = R"({"pad":")" + std::string(200, 'x') + "\"}";
  size_t published = 0;
  while (m.tail_disconnects.load() == 0) {
    REQUIRE(host.bus().publish(event("load.tick", data)).ok());
    ++published;
  }
  // Cut off without reading a byte; the tail's subscription is gone.
  REQUIRE(spin_until([&] { return m.tails.load() == 0; }));
  CHECK(subscriptions(host) == subs - 1);
  CHECK(ws.connection().wait_closed());
  for (int i = 0; i < 1000; ++i)
    REQUIRE(host.bus().publish(event("load.tick")).ok());
  CHECK(host.bus().stats().publish_errors == 0);
}

TEST_CASE("tail: a tail does not count as a subscriber for no_subscribers") {
  ApiHost host;
  WsClient ws(host.port(), "/v1/tail?pattern=lonely.*");
  REQUIRE(ws.handshake().status == 101);
  REQUIRE(spin_until([&] { return host.server().metrics().tails.load() == 1; }));
  REQUIRE(host.bus().publish(event("lonely.event")).ok());
  CHECK(ws.read_data().opcode == 1);              // the tail saw it ...
  CHECK(host.bus().stats().no_subscribers == 1);  // ... and it still counts as untaken
}

TEST_CASE("tail: a stop closes tails with going away") {
  ApiHost host;
  WsClient ws(host.port(), "/v1/tail?pattern=x.*");
  REQUIRE(ws.handshake().status == 101);
  REQUIRE(spin_until([&] { return host.server().metrics().tails.load() == 1; }));
  std::thread stopper([&] { host.stop_api(); });
  const WsMessage m = ws.read_data();
  ws.send_close(1001);  // the close handshake: the stop need not wait for its timeout
  stopper.join();
  REQUIRE(m.opcode == 8);
  CHECK(m.close_code() == 1001);
  CHECK(m.close_reason() == "the host is shutting down");
}

TEST_CASE("tail: a burst leaves as one message per event, in order, large events too") {
  ApiHost host;
  WsClient ws(host.port(), "/v1/tail?pattern=burst.*");
  REQUIRE(ws.handshake().status == 101);
  REQUIRE(spin_until([&] { return host.server().metrics().tails.load() == 1; }));
  // Many frames share a write; one event's frame needs the 64-bit length.
  const std::string big = R"({"blob":")" + std::string(70'000, 'q') + "\"}";
  for (int i = 0; i < 3000; ++i)
    REQUIRE(host.bus().publish(event("burst.x", i == 1500 ? big : std::to_string(i))).ok());
  for (int i = 0; i < 3000; ++i) {
    const WsMessage m = ws.read_data();
    REQUIRE(m.opcode == 1);
    REQUIRE(m.fin);
    auto e = parse_cloudevent_json(m.payload);
    REQUIRE(e.ok());
    REQUIRE((*e)->data() == (i == 1500 ? big : std::to_string(i)));
  }
  CHECK(host.server().metrics().tail_events.load() == 3000);
}

TEST_CASE("tail: a ping is answered with its payload, a close is echoed with its code") {
  ApiHost host;
  WsClient ws(host.port(), "/v1/tail?pattern=p.*");
  REQUIRE(ws.handshake().status == 101);
  REQUIRE(spin_until([&] { return host.server().metrics().tails.load() == 1; }));
  ws.send_frame(9, "marco");
  WsMessage m = ws.read();
  REQUIRE(m.opcode == 10);
  CHECK(m.payload == "marco");
  // Text from the client is read past; the tail goes on.
  ws.send_frame(1, "hello, server");
  REQUIRE(host.bus().publish(event("p.one")).ok());
  CHECK(ws.read().opcode == 1);

  ws.send_close(4001);
  m = ws.read();
  REQUIRE(m.opcode == 8);
  CHECK(m.close_code() == 4001);
  CHECK(ws.connection().wait_closed());  // the server closes the TCP connection first
  REQUIRE(spin_until([&] { return host.server().metrics().tails.load() == 0; }));
}

TEST_CASE("tail: a client that breaks the WebSocket protocol gets 1002 naming it") {
  ApiHost host;
  WsClient ws(host.port(), "/v1/tail?pattern=p.*");
  REQUIRE(ws.handshake().status == 101);
  REQUIRE(spin_until([&] { return host.server().metrics().tails.load() == 1; }));
  ws.connection().send(std::string("\x81\x02hi", 4));  // not masked
  const WsMessage m = ws.read();
  REQUIRE(m.opcode == 8);
  CHECK(m.close_code() == 1002);
  CHECK(m.close_reason() == "client frames must be masked");
  CHECK(ws.connection().wait_closed());
  REQUIRE(spin_until([&] { return host.server().metrics().tails.load() == 0; }));

  WsClient chatty(host.port(), "/v1/tail?pattern=p.*");
  REQUIRE(chatty.handshake().status == 101);
  chatty.send_frame(2, std::string(70'000, 'x'));  // over the 64 KiB a client may send
  const WsMessage big = chatty.read();
  REQUIRE(big.opcode == 8);
  CHECK(big.close_code() == 1009);
  CHECK(big.close_reason() == "a message larger than 65536 bytes");
}

TEST_CASE("tail: an idle client is pinged, and cut off when it answers nothing") {
  ApiHost host([](config::Config& c) { c.api.idle_timeout = 1s; });
  const auto& m = host.server().metrics();
  {
    // A client that answers is pinged again and again, and stays.
    WsClient answers(host.port(), "/v1/tail?pattern=i.*");
    REQUIRE(answers.handshake().status == 101);
    REQUIRE(spin_until([&] { return m.tails.load() == 1; }));
    for (int i = 0; i < 3; ++i) {
      const WsMessage ping = answers.read();
      REQUIRE(ping.opcode == 9);
      answers.send_frame(10, ping.payload);
    }
    REQUIRE(host.bus().publish(event("i.here")).ok());
    CHECK(answers.read_data().opcode == 1);
    CHECK(m.tails.load() == 1);
  }
  REQUIRE(spin_until([&] { return m.tails.load() == 0; }));

  // A silent one gets a ping, does not answer, and is cut off.
  WsClient silent(host.port(), "/v1/tail?pattern=i.*");
  REQUIRE(silent.handshake().status == 101);
  REQUIRE(spin_until([&] { return m.tails.load() == 1; }));
  CHECK(silent.read().opcode == 9);
  CHECK(silent.connection().wait_closed());
  REQUIRE(spin_until([&] { return m.tails.load() == 0; }));
}
