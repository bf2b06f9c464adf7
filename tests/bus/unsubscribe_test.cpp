// The unsubscribe guarantee: when unsubscribe() returns, the handler is
// never called again, also while other threads are publishing; and a handler
// may unsubscribe itself.
#include <atomic>

#include <catch2/catch.hpp>

#include "bus_test_util.h"

using namespace chorus;
using namespace chorus::test;
using bus::DeliveryMode;
using bus::EventBus;
using bus::SubscribeOptions;

namespace {

void stress(DeliveryMode mode) {
  IoThreads io(2);
  EventBus bus(io.io);
  std::atomic<bool> stop{false};
  std::vector<std::thread> publishers;
  for (int p = 0; p < 2; ++p) {
    publishers.emplace_back([&] {
      auto ev = make_event("load.tick");
      while (!stop.load(std::memory_order_relaxed))
        (void)bus.publish(ev);
    });
  }
  int violations = 0;
  uint64_t calls_total = 0;
  for (int round = 0; round < 300; ++round) {
    std::atomic<bool> unsubscribed{false};
    std::atomic<int> late{0};
    std::atomic<uint64_t> calls{0};
    SubscribeOptions o;
    o.mode = mode;
    auto id = bus.subscribe(
        "load.*",
        [&](const EventPtr&) {
          if (unsubscribed.load(std::memory_order_acquire)) late.fetch_add(1);
          calls.fetch_add(1, std::memory_order_relaxed);
          return Status::OK();
        },
        o);
    REQUIRE(id.ok());
    // Let some deliveries race with the unsubscribe.
    REQUIRE(spin_until([&] { return calls.load(std::memory_order_relaxed) >= 3; }));
    REQUIRE(bus.unsubscribe(*id).ok());
    unsubscribed.store(true, std::memory_order_release);
    // Anything still in flight would have to enter the handler now; give the
    // publishers a few more publishes to prove none does.
    const uint64_t published = bus.stats().published;
    REQUIRE(spin_until([&] { return bus.stats().published >= published + 200; }));
    violations += late.load();
    calls_total += calls.load();
  }
  stop.store(true);
  for (auto& t : publishers)
    t.join();
  CHECK(violations == 0);
  CHECK(calls_total >= 900);
}

}  // namespace

TEST_CASE("unsubscribe under concurrent publishing: no call after it returns (async)") {
  stress(DeliveryMode::kAsync);
}

TEST_CASE("unsubscribe under concurrent publishing: no call after it returns (inline)") {
  stress(DeliveryMode::kInline);
}

TEST_CASE("unsubscribe waits for a call in progress on another thread") {
  IoThreads io;
  EventBus bus(io.io);
  Gate gate;
  std::atomic<bool> handler_done{false};
  auto id = bus.subscribe("slow.*", [&](const EventPtr&) {
    gate.pass();
    handler_done.store(true);
    return Status::OK();
  });
  REQUIRE(id.ok());
  REQUIRE(bus.publish(make_event("slow.op")).ok());
  REQUIRE(gate.entered(1));
  std::atomic<bool> returned{false};
  std::atomic<bool> unsubscribed{false};
  std::thread t([&] {
    unsubscribed.store(bus.unsubscribe(*id).ok());
    returned.store(true);
  });
  // unsubscribe cannot return while the handler is inside.
  CHECK_FALSE(returned.load());
  gate.open();
  t.join();
  CHECK(unsubscribed.load());
  CHECK(handler_done.load());
  CHECK(returned.load());
}

TEST_CASE("a handler can unsubscribe itself - queued events are dropped and counted") {
  IoThreads io;
  EventBus bus(io.io);
  std::atomic<int> calls{0};
  std::atomic<bool> self_unsubscribed{false};
  bus::SubscriptionId self = 0;
  Signal first;
  Gate gate;
  SubscribeOptions o;
  o.subscriber_id = "once";
  auto id = bus.subscribe(
      "once.*",
      [&](const EventPtr&) {
        calls.fetch_add(1);
        gate.pass();  // hold the strand so the rest queues up
        self_unsubscribed.store(bus.unsubscribe(self).ok());
        first.raise();
        return Status::OK();
      },
      o);
  REQUIRE(id.ok());
  self = *id;
  REQUIRE(bus.publish(make_event("once.a")).ok());
  REQUIRE(gate.entered(1));
  for (int i = 0; i < 5; ++i)
    REQUIRE(bus.publish(make_event("once.b")).ok());
  gate.open();
  REQUIRE(first.wait());
  CHECK(self_unsubscribed.load());
  // Later publishes find no subscriber.
  REQUIRE(bus.publish(make_event("once.c")).ok());
  CHECK(calls.load() == 1);
  CHECK(bus.stats().no_subscribers == 1);
}

TEST_CASE("unsubscribe releases the handler's captured state") {
  IoThreads io;
  EventBus bus(io.io);
  auto token = std::make_shared<int>(42);
  std::weak_ptr<int> watch = token;
  SubscribeOptions o;
  o.mode = DeliveryMode::kInline;
  auto id = bus.subscribe(
      "x.*", [token](const EventPtr&) { return Status::OK(); }, o);
  token.reset();
  REQUIRE(id.ok());
  REQUIRE(bus.publish(make_event("x.y")).ok());  // a cached match result holds the subscriber
  CHECK_FALSE(watch.expired());
  REQUIRE(bus.unsubscribe(*id).ok());
  CHECK(watch.expired());
}
