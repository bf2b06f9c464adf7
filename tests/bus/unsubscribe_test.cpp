// The unsubscribe guarantee: when unsubscribe() returns, the handler is
// never called again, also while other threads are publishing; and a handler
// may unsubscribe itself.
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "bus_test_util.h"

using namespace chorus;
using namespace chorus::test;
using bus::DeliveryMode;
using bus::EventBus;
using bus::SubscribeOptions;

namespace {

// One round's state. Every round's state lives until stress() returns, past
// the publisher threads and the bus: a (buggy) late call can never touch
// freed memory, and the counts can be read again after everything stopped.
struct Round {
  std::atomic<bool> unsubscribed{false};
  std::atomic<int> late{0};
  std::atomic<uint64_t> calls{0};
  uint64_t calls_at_unsubscribe = 0;  // calls counted when unsubscribe returned
};

void stress(DeliveryMode mode) {
  constexpr int kRounds = 300;
  std::vector<std::unique_ptr<Round>> rounds;  // declared first: destroyed last
  rounds.reserve(kRounds);
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
  // Stops and joins the publishers also when a REQUIRE below throws.
  struct JoinPublishers {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~JoinPublishers() {
      stop.store(true);
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } join_publishers{stop, publishers};
  int violations = 0;
  for (int round = 0; round < kRounds; ++round) {
    rounds.push_back(std::make_unique<Round>());
    Round& r = *rounds.back();
    SubscribeOptions o;
    o.mode = mode;
    auto id = bus.subscribe(
        "load.*",
        [&r](const EventPtr&) {
          if (r.unsubscribed.load(std::memory_order_acquire)) r.late.fetch_add(1);
          r.calls.fetch_add(1, std::memory_order_relaxed);
          return Status::OK();
        },
        o);
    REQUIRE(id.ok());
    // Let some deliveries race with the unsubscribe.
    REQUIRE(spin_until([&] { return r.calls.load(std::memory_order_relaxed) >= 3; }));
    REQUIRE(bus.unsubscribe(*id).ok());
    r.calls_at_unsubscribe = r.calls.load();
    r.unsubscribed.store(true, std::memory_order_release);
    // Anything still in flight would have to enter the handler now; give the
    // publishers a few more publishes to prove none does.
    const uint64_t published = bus.stats().published;
    REQUIRE(spin_until([&] { return bus.stats().published >= published + 200; }));
    violations += r.late.load();
  }
  stop.store(true);
  for (auto& t : publishers)
    t.join();
  CHECK(violations == 0);
  // No round's handler ran after its unsubscribe returned, until the very end
  // (every publisher has stopped).
  int changed_after_unsubscribe = 0;
  for (const auto& r : rounds)
    if (r->calls.load() != r->calls_at_unsubscribe) ++changed_after_unsubscribe;
  CHECK(changed_after_unsubscribe == 0);
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
  Signal handler_entered;
  std::atomic<bool> handler_done{false};
  auto id = bus.subscribe("slow.*", [&](const EventPtr&) {
    handler_entered.raise();
    gate.pass();
    handler_done.store(true);
    return Status::OK();
  });
  REQUIRE(id.ok());
  REQUIRE(bus.publish(make_event("slow.op")).ok());
  // The handler is inside (held by the gate) before unsubscribe is called.
  REQUIRE(handler_entered.wait());
  REQUIRE(gate.entered(1));
  Signal unsubscriber_started;
  std::atomic<bool> returned{false};
  std::atomic<bool> unsubscribed{false};
  std::atomic<bool> done_when_returned{false};
  std::thread t([&] {
    unsubscriber_started.raise();
    const bool ok = bus.unsubscribe(*id).ok();
    // Read right after unsubscribe returns: the call in progress must have
    // finished by now.
    done_when_returned.store(handler_done.load());
    unsubscribed.store(ok);
    returned.store(true);
  });
  const bool started = unsubscriber_started.wait();
  // unsubscribe cannot return while the handler is inside.
  CHECK_FALSE(returned.load());
  gate.open();  // only now may the handler finish
  t.join();
  CHECK(started);
  CHECK(unsubscribed.load());
  CHECK(done_when_returned.load());
  CHECK(handler_done.load());
  CHECK(returned.load());
}

TEST_CASE("a handler can unsubscribe itself - queued events are dropped") {
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
  // Shutting down drains every queue: had the five queued "once.b" survived
  // the unsubscribe, they would have been delivered by now.
  REQUIRE(bus.shutdown().ok());
  CHECK(calls.load() == 1);
  CHECK(bus.stats().no_subscribers == 1);
  // Dropped, not dead-lettered.
  CHECK(bus.stats().dead_letters == 0);
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
