// Backpressure: a bounded queue per async subscriber and each overflow
// policy's behaviour and counts; the publisher never waits on a slow
// subscriber unless the policy is block.
#include <catch2/catch.hpp>

#include "bus/delivery_queue.h"
#include "bus_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;
using bus::EventBus;
using bus::OverflowPolicy;
using bus::SubscribeOptions;

namespace {

// A subscriber with queue bound 2 whose first delivery blocks on `gate`, so
// that what follows fills the queue deterministically.
struct Slow {
  // Declared before the io threads and the bus: the handler uses them, so
  // they must outlive the bus (whose destructor drains through the handler).
  Gate gate;
  Recorder rec;
  IoThreads io;
  EventBus bus{io.io};
  explicit Slow(OverflowPolicy policy, std::chrono::milliseconds block_timeout = 1000ms) {
    SubscribeOptions o;
    o.subscriber_id = "slow";
    o.queue_bound = 2;
    o.overflow = policy;
    o.block_timeout = block_timeout;
    REQUIRE(bus.subscribe(
                   "q.*",
                   [this](const EventPtr& e) {
                     if (e->type() == "q.first") gate.pass();
                     rec.add(e);
                     return Status::OK();
                   },
                   o)
                .ok());
    REQUIRE(bus.publish(make_event("q.first")).ok());
    REQUIRE(gate.entered(1));
  }
  bus::SubscriberStats stats() { return bus.stats().subscribers.at(0); }
};

}  // namespace

TEST_CASE("drop_newest keeps the queue and drops what does not fit") {
  Slow s(OverflowPolicy::kDropNewest);
  for (int i = 0; i < 5; ++i)
    CHECK(s.bus.publish(make_event("q.e" + std::to_string(i))).ok());
  CHECK(s.stats().dropped == 3);
  CHECK(s.stats().queue_depth == 2);
  s.gate.open();
  REQUIRE(s.rec.wait_count(3));
  CHECK(s.rec.types() == std::vector<std::string>{"q.first", "q.e0", "q.e1"});
}

TEST_CASE("drop_oldest keeps the newest events") {
  Slow s(OverflowPolicy::kDropOldest);
  for (int i = 0; i < 5; ++i)
    CHECK(s.bus.publish(make_event("q.e" + std::to_string(i))).ok());
  CHECK(s.stats().dropped == 3);
  s.gate.open();
  REQUIRE(s.rec.wait_count(3));
  CHECK(s.rec.types() == std::vector<std::string>{"q.first", "q.e3", "q.e4"});
}

TEST_CASE("drop_oldest never evicts a higher priority for a lower one") {
  Slow s(OverflowPolicy::kDropOldest);
  CHECK(s.bus.publish(make_event("q.c1", Priority::kCritical)).ok());
  CHECK(s.bus.publish(make_event("q.c2", Priority::kCritical)).ok());
  CHECK(s.bus.publish(make_event("q.low", Priority::kLow)).ok());      // dropped itself
  CHECK(s.bus.publish(make_event("q.c3", Priority::kCritical)).ok());  // evicts c1
  CHECK(s.stats().dropped == 2);
  s.gate.open();
  REQUIRE(s.rec.wait_count(3));
  CHECK(s.rec.types() == std::vector<std::string>{"q.first", "q.c2", "q.c3"});
}

TEST_CASE("reject tells the publisher - names the subscriber - and counts") {
  Slow s(OverflowPolicy::kReject);
  CHECK(s.bus.publish(make_event("q.a")).ok());
  CHECK(s.bus.publish(make_event("q.b")).ok());
  Status st = s.bus.publish(make_event("q.c"));
  CHECK(st.is(StatusCode::kResourceExhausted));
  CHECK(st.message() == "publish 'q.c': queue of subscriber 'slow' is full (2 events)");
  CHECK(s.stats().rejected == 1);
  CHECK(s.bus.stats().publish_errors == 1);
  s.gate.open();
  REQUIRE(s.rec.wait_count(3));
}

TEST_CASE("block waits for room - then times out with an error") {
  Slow s(OverflowPolicy::kBlock, 20ms);
  CHECK(s.bus.publish(make_event("q.a")).ok());
  CHECK(s.bus.publish(make_event("q.b")).ok());
  Status st = s.bus.publish(make_event("q.c"));  // nobody drains within 20 ms
  CHECK(st.is(StatusCode::kTimeout));
  CHECK(s.stats().rejected == 1);
  s.gate.open();
  REQUIRE(s.rec.wait_count(3));
}

TEST_CASE("block lets the publisher through as soon as the subscriber makes room") {
  Slow s(OverflowPolicy::kBlock, 60'000ms);
  CHECK(s.bus.publish(make_event("q.a")).ok());
  CHECK(s.bus.publish(make_event("q.b")).ok());
  Status blocked_result = Status::Internal("not returned");
  Signal returned;
  std::thread publisher([&] {
    blocked_result = s.bus.publish(make_event("q.c"));
    returned.raise();
  });
  s.gate.open();  // the drain frees room; the blocked publish completes
  REQUIRE(returned.wait());
  publisher.join();
  CHECK(blocked_result.ok());
  REQUIRE(s.rec.wait_count(4));
  CHECK(s.stats().rejected == 0);
  CHECK(s.stats().dropped == 0);
}

TEST_CASE("delivery queue pops by priority and reports idle once") {
  bus::DeliveryQueue q(10, OverflowPolicy::kReject, 0ms);
  bool schedule = false;
  auto push = [&](Priority p) {
    return q.push(bus::QueuedEvent{make_event("a", p), 0, 1}, schedule, nullptr);
  };
  CHECK(push(Priority::kLow) == bus::DeliveryQueue::PushResult::kQueued);
  CHECK(schedule);  // idle -> busy: the caller posts one drain
  CHECK(push(Priority::kCritical) == bus::DeliveryQueue::PushResult::kQueued);
  CHECK_FALSE(schedule);
  std::vector<bus::QueuedEvent> out;
  CHECK(q.pop_batch(out, 8) == 1);
  CHECK(out[0].event->priority() == Priority::kCritical);
  CHECK(q.pop_batch(out, 8) == 1);
  CHECK(q.pop_batch(out, 8) == 0);  // now idle
  push(Priority::kNormal);
  CHECK(schedule);
  std::vector<bus::QueuedEvent> rest;
  q.close(&rest);
  CHECK(rest.size() == 1);
  CHECK(push(Priority::kNormal) == bus::DeliveryQueue::PushResult::kClosed);
}
