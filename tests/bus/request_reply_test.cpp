// Request/reply: reply, timeout, no responders, late reply ignored, the
// callback and future forms, shutdown with a request pending.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <catch2/catch.hpp>

#include "bus/request_awaitable.h"
#include "bus_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;
using bus::EventBus;
using bus::SubscribeOptions;

namespace {

EventPtr request_event(std::string_view type) {
  return *EventBuilder(type).source("requester").data(R"({"q":1})").build();
}

}  // namespace

TEST_CASE("a request completes with the responder's reply") {
  IoThreads io;
  EventBus bus(io.io);
  REQUIRE(bus.subscribe("math.square",
                        [&](const EventPtr& req) {
                          return bus.reply(
                              *req, EventBuilder("math.squared").source("calc").data(R"({"r":4})"));
                        })
              .ok());
  auto req = request_event("math.square");
  auto reply = bus.request(req, 10s).get();
  REQUIRE(reply.ok());
  const Event& r = **reply;
  CHECK(r.type() == "math.squared");
  CHECK(r.causation_id() == req->id().to_string());
  CHECK(r.correlation_id() == req->id().to_string());
  CHECK(r.target() == "requester");
  CHECK(EventBus::is_reply(r));
  CHECK(r.data() == R"({"r":4})");
  CHECK(bus.stats().requests_pending == 0);
}

TEST_CASE("a request with no matching subscriber fails at once with NoResponders") {
  IoThreads io;
  EventBus bus(io.io);
  REQUIRE(bus.subscribe("other.*", [](const EventPtr&) { return Status::OK(); }).ok());
  auto r = bus.request(request_event("math.square"), 10s).get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(StatusCode::kNoResponders));
  CHECK(r.error().message() == "request 'math.square': no responders");
}

TEST_CASE("a request nobody answers times out - a late reply is ignored") {
  IoThreads io;
  EventBus bus(io.io);
  Gate hold;
  REQUIRE(bus.subscribe("slow.question",
                        [&](const EventPtr& req) {
                          hold.pass();  // answer only after the requester gave up
                          return bus.reply(*req, EventBuilder("slow.answer").source("slowpoke"));
                        })
              .ok());
  std::atomic<int> completions{0};
  Signal done;
  Status got;
  bus.request(request_event("slow.question"), 20ms, [&](Result<EventPtr> r) {
    got = r.status();
    completions.fetch_add(1);
    done.raise();
  });
  REQUIRE(done.wait());
  CHECK(got.is(StatusCode::kTimeout));
  CHECK(got.message() == "request 'slow.question': no reply within 20ms");
  hold.open();
  REQUIRE(spin_until([&] { return bus.stats().replies_late == 1; }));
  CHECK(completions.load() == 1);
}

TEST_CASE("only a reply event completes a request - not another event with the same causation") {
  IoThreads io;
  EventBus bus(io.io);
  SubscribeOptions inline_opts;
  inline_opts.mode = bus::DeliveryMode::kInline;
  REQUIRE(bus.subscribe(
                 "ask.*",
                 [&](const EventPtr& req) {
                   // A follow-up that is not a reply, then the reply.
                   (void)bus.publish(
                       *EventBuilder("progress.ask").source("r").caused_by(*req).build());
                   return bus.reply(*req, EventBuilder("done.ask").source("r"));
                 },
                 inline_opts)
              .ok());
  auto r = bus.request(request_event("ask.now"), 10s).get();
  REQUIRE(r.ok());
  CHECK((*r)->type() == "done.ask");
}

TEST_CASE("a second request with the same id fails at once") {
  IoThreads io;
  EventBus bus(io.io);
  Gate hold;
  REQUIRE(bus.subscribe("dup.q",
                        [&](const EventPtr& req) {
                          hold.pass();
                          return bus.reply(*req, EventBuilder("dup.a").source("r"));
                        })
              .ok());
  auto req = request_event("dup.q");
  auto first = bus.request(req, 10s);
  REQUIRE(hold.entered(1));
  auto second = bus.request(req, 10s).get();
  CHECK(second.error().is(StatusCode::kAlreadyExists));
  hold.open();
  CHECK(first.get().ok());
}

TEST_CASE("inline responders complete the request before request() returns") {
  IoThreads io;
  EventBus bus(io.io);
  SubscribeOptions o;
  o.mode = bus::DeliveryMode::kInline;
  REQUIRE(bus.subscribe(
                 "echo",
                 [&](const EventPtr& req) {
                   return bus.reply(*req, EventBuilder("echo.reply")
                                              .source("e")
                                              .data(req->data(), std::string(req->content_type())));
                 },
                 o)
              .ok());
  auto fut = bus.request(request_event("echo"), 10s);
  CHECK(fut.wait_for(0s) == std::future_status::ready);
  CHECK((*fut.get())->data() == R"({"q":1})");
}

TEST_CASE("shutdown fails pending requests with Unavailable") {
  IoThreads io;
  EventBus bus(io.io);
  Gate hold;
  REQUIRE(bus.subscribe("never",
                        [&](const EventPtr&) {
                          hold.pass();
                          return Status::OK();
                        })
              .ok());
  auto fut = bus.request(request_event("never"), 60s);
  REQUIRE(hold.entered(1));
  std::thread opener([&] {
    // The shutdown waits for the busy handler only until its deadline.
    hold.open();
  });
  REQUIRE(bus.shutdown(std::chrono::milliseconds(10'000)).ok());
  opener.join();
  auto r = fut.get();
  CHECK(r.error().is(StatusCode::kUnavailable));
  auto after = bus.request(request_event("never"), 1s).get();
  CHECK(after.error().is(StatusCode::kUnavailable));
}

TEST_CASE("a coroutine can co_await a request") {
  // One io thread: the coroutine resumes only after the publish that
  // completed its request has returned, so the bus is idle when destroyed.
  IoThreads io(1);
  EventBus bus(io.io);
  REQUIRE(bus.subscribe("math.double",
                        [&](const EventPtr& req) {
                          return bus.reply(
                              *req, EventBuilder("math.doubled").source("calc").data(R"({"r":6})"));
                        })
              .ok());
  Signal done;
  std::string got, missing;
  boost::asio::co_spawn(
      io.io,
      [&]() -> boost::asio::awaitable<void> {
        Result<EventPtr> r = co_await bus::async_request(bus, request_event("math.double"), 10s,
                                                         boost::asio::use_awaitable);
        got = r.ok() ? std::string((*r)->data()) : r.error().to_string();
        Result<EventPtr> none = co_await bus::async_request(bus, request_event("math.none"), 10s,
                                                            boost::asio::use_awaitable);
        missing = none.ok() ? "ok" : std::string(status_code_name(none.error().code()));
        done.raise();
      },
      boost::asio::detached);
  REQUIRE(done.wait());
  CHECK(got == R"({"r":6})");
  CHECK(missing == "no_responders");
}
