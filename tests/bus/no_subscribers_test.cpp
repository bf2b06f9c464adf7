// What no_subscribers counts (docs/bus.md, "No subscriber"): an event is
// taken only when a subscriber that is not a tap accepted it. A filter that
// refuses it, alone or in a queue group, does not take it; a tap
// (observe_all) sees it but does not take it either. Inline subscribers keep
// every case deterministic: the count is made inside publish().
#include <catch2/catch.hpp>

#include "bus_test_util.h"

using namespace chorus;
using namespace chorus::test;
using bus::DeliveryMode;
using bus::EventBus;
using bus::SubscribeOptions;

namespace {

SubscribeOptions inline_options(std::string id) {
  SubscribeOptions o;
  o.subscriber_id = std::move(id);
  o.mode = DeliveryMode::kInline;
  return o;
}

uint64_t no_subscribers_of(const bus::BusStats& st, std::string_view topic) {
  for (const auto& t : st.topics)
    if (t.topic == topic) return t.no_subscribers;
  return 0;
}

}  // namespace

TEST_CASE("no_subscribers: an event a lone subscriber's filter refuses is not taken") {
  IoThreads io;
  EventBus bus(io.io);
  Recorder rec;
  SubscribeOptions o = inline_options("critical-only");
  o.filter = [](const Event& e) { return e.priority() == Priority::kCritical; };
  REQUIRE(bus.subscribe(
                 "alert.*",
                 [&](const EventPtr& e) {
                   rec.add(e);
                   return Status::OK();
                 },
                 o)
              .ok());
  REQUIRE(bus.publish(make_event("alert.disk", Priority::kLow)).ok());      // refused
  REQUIRE(bus.publish(make_event("alert.cpu", Priority::kCritical)).ok());  // taken
  CHECK(rec.types() == std::vector<std::string>{"alert.cpu"});
  auto st = bus.stats();
  CHECK(st.published == 2);
  CHECK(st.no_subscribers == 1);
  CHECK(no_subscribers_of(st, "alert.disk") == 1);
  CHECK(no_subscribers_of(st, "alert.cpu") == 0);
  REQUIRE(st.subscribers.size() == 1);
  CHECK(st.subscribers[0].filtered == 1);
}

TEST_CASE("no_subscribers: a queue group whose members all refuse does not take the event") {
  IoThreads io;
  EventBus bus(io.io);
  std::atomic<int> calls{0};
  for (int i = 0; i < 2; ++i) {
    SubscribeOptions o = inline_options("worker-" + std::to_string(i));
    o.queue_group = "workers";
    o.filter = [](const Event& e) { return e.priority() == Priority::kCritical; };
    REQUIRE(bus.subscribe(
                   "job.*",
                   [&](const EventPtr&) {
                     calls.fetch_add(1);
                     return Status::OK();
                   },
                   o)
                .ok());
  }
  REQUIRE(bus.publish(make_event("job.low", Priority::kLow)).ok());
  REQUIRE(bus.publish(make_event("job.urgent", Priority::kCritical)).ok());
  CHECK(calls.load() == 1);
  auto st = bus.stats();
  CHECK(st.no_subscribers == 1);
  CHECK(no_subscribers_of(st, "job.low") == 1);
}

TEST_CASE("no_subscribers: an event only a tap sees is not taken") {
  IoThreads io;
  EventBus bus(io.io);
  Recorder tap;
  SubscribeOptions ot = inline_options("tap");
  ot.observe_all = true;
  REQUIRE(bus.subscribe(
                 "**",
                 [&](const EventPtr& e) {
                   tap.add(e);
                   return Status::OK();
                 },
                 ot)
              .ok());
  Recorder agent;
  REQUIRE(bus.subscribe(
                 "task.*",
                 [&](const EventPtr& e) {
                   agent.add(e);
                   return Status::OK();
                 },
                 inline_options("agent"))
              .ok());

  // Only the tap matches the type.
  REQUIRE(bus.publish(make_event("audit.login")).ok());
  // The type matches the agent too, but the event is aimed at someone else.
  REQUIRE(bus.publish(*EventBuilder("task.assigned").source("t").target("nobody").build()).ok());
  // Both see it: the agent takes it.
  REQUIRE(bus.publish(make_event("task.created")).ok());

  CHECK(tap.size() == 3);  // the tap saw every event ...
  CHECK(agent.types() == std::vector<std::string>{"task.created"});
  auto st = bus.stats();
  CHECK(st.published == 3);
  CHECK(st.no_subscribers == 2);  // ... but took none
  CHECK(no_subscribers_of(st, "audit.login") == 1);
  CHECK(no_subscribers_of(st, "task.assigned") == 1);
  CHECK(no_subscribers_of(st, "task.created") == 0);
}
