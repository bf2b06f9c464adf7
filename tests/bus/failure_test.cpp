// Failures: errors and throws are isolated, retried per policy, then
// dead-lettered with subscriber, reason and attempts; dead letters are
// replayed (to the subscriber or re-published) and dropped; the circuit
// breaker opens, half-opens and closes, announcing each change.
#include <atomic>
#include <map>

#include <catch2/catch.hpp>

#include "bus/circuit_breaker.h"
#include "bus/retry.h"
#include "bus_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;
using bus::CallOutcome;
using bus::EventBus;
using bus::SubscribeOptions;

TEST_CASE("a failing handler is retried - then dead-lettered with the reason") {
  IoThreads io;
  auto dl_owned = std::make_unique<WaitableDeadLetters>();
  WaitableDeadLetters* dl = dl_owned.get();
  EventBus bus(io.io, {}, std::move(dl_owned));
  std::atomic<int> calls{0};
  SubscribeOptions o;
  o.subscriber_id = "flaky";
  o.retry = quick_retry(3);
  o.breaker = no_breaker();
  Recorder healthy;
  REQUIRE(bus.subscribe(
                 "job.*",
                 [&](const EventPtr&) {
                   calls.fetch_add(1);
                   return Status::Unavailable("database down");
                 },
                 o)
              .ok());
  REQUIRE(bus.subscribe("job.*",
                        [&](const EventPtr& e) {
                          healthy.add(e);
                          return Status::OK();
                        })
              .ok());
  auto ev = make_event("job.run");
  REQUIRE(bus.publish(ev).ok());
  REQUIRE(dl->wait_size(1));
  REQUIRE(healthy.wait_count(1));  // the other subscriber is not affected
  CHECK(calls.load() == 3);
  auto all = dl->all();
  REQUIRE(all.size() == 1);
  CHECK(all[0].event == ev);
  CHECK(all[0].subscriber_id == "flaky");
  CHECK(all[0].attempts == 3);
  CHECK(all[0].reason == "unavailable: database down");
  CHECK(all[0].time_ns > 0);
  auto st = bus.stats().subscribers[0];
  CHECK(st.failed == 3);
  CHECK(st.retried == 2);
  CHECK(st.dead_lettered == 1);
}

TEST_CASE("handlers that throw anything are isolated") {
  IoThreads io;
  auto dl_owned = std::make_unique<WaitableDeadLetters>();
  WaitableDeadLetters* dl = dl_owned.get();
  EventBus bus(io.io, {}, std::move(dl_owned));
  SubscribeOptions a, b, c;
  a.subscriber_id = "std-throw";
  b.subscriber_id = "int-throw";
  c.subscriber_id = "inline-throw";
  c.mode = bus::DeliveryMode::kInline;
  for (auto* o : {&a, &b, &c}) {
    o->retry = quick_retry(1);
    o->breaker = no_breaker();
  }
  REQUIRE(bus.subscribe(
                 "t.*", [](const EventPtr&) -> Status { throw std::runtime_error("kaput"); }, a)
              .ok());
  REQUIRE(bus.subscribe(
                 "t.*", [](const EventPtr&) -> Status { throw 42; }, b)
              .ok());
  REQUIRE(bus.subscribe(
                 "t.*", [](const EventPtr&) -> Status { throw std::string("s"); }, c)
              .ok());
  REQUIRE(bus.publish(make_event("t.x")).ok());
  REQUIRE(dl->wait_size(3));
  std::map<std::string, std::string> reasons;
  for (const auto& d : dl->all())
    reasons[d.subscriber_id] = d.reason;
  CHECK(reasons["std-throw"] == "internal: handler threw: kaput");
  CHECK(reasons["int-throw"] == "internal: handler threw a non-standard exception");
  CHECK(reasons["inline-throw"] == "internal: handler threw a non-standard exception");
}

TEST_CASE("retry delays grow exponentially with jitter and a cap") {
  bus::RetryPolicy p;
  p.initial_backoff = 100ms;
  p.multiplier = 2;
  p.max_backoff = 1000ms;
  p.jitter = 0;
  CHECK(bus::retry_delay(p, 2, 0.5) == 100ms);
  CHECK(bus::retry_delay(p, 3, 0.5) == 200ms);
  CHECK(bus::retry_delay(p, 4, 0.5) == 400ms);
  CHECK(bus::retry_delay(p, 6, 0.5) == 1000ms);  // capped
  p.jitter = 0.5;
  CHECK(bus::retry_delay(p, 2, 0.0) == 50ms);
  CHECK(bus::retry_delay(p, 2, 0.999999) > 149ms);
  CHECK(bus::retry_delay(p, 6, 0.999999) == 1000ms);  // jitter never exceeds the cap
}

TEST_CASE("dead letters can be replayed to their subscriber - re-published - and dropped") {
  IoThreads io;
  auto dl_owned = std::make_unique<WaitableDeadLetters>();
  WaitableDeadLetters* dl = dl_owned.get();
  EventBus bus(io.io, {}, std::move(dl_owned));
  std::atomic<bool> healthy{false};
  Recorder ok;
  SubscribeOptions o;
  o.subscriber_id = "recovering";
  o.retry = quick_retry(1);
  o.breaker = no_breaker();
  REQUIRE(bus.subscribe(
                 "r.*",
                 [&](const EventPtr& e) {
                   if (!healthy.load()) return Status::Unavailable("not yet");
                   ok.add(e);
                   return Status::OK();
                 },
                 o)
              .ok());
  for (int i = 0; i < 3; ++i)
    REQUIRE(bus.publish(make_event("r.job")).ok());
  REQUIRE(dl->wait_size(3));
  auto items = dl->all();
  healthy.store(true);

  REQUIRE(bus.replay_dead_letter(items[0].id, bus::ReplayTarget::kOriginalSubscriber).ok());
  REQUIRE(ok.wait_count(1));
  CHECK(ok.entries()[0].event == items[0].event);

  Recorder watcher;
  REQUIRE(bus.subscribe("r.*",
                        [&](const EventPtr& e) {
                          watcher.add(e);
                          return Status::OK();
                        })
              .ok());
  REQUIRE(bus.replay_dead_letter(items[1].id, bus::ReplayTarget::kRepublish).ok());
  REQUIRE(ok.wait_count(2));
  REQUIRE(watcher.wait_count(1));

  REQUIRE(bus.drop_dead_letter(items[2].id).ok());
  CHECK(dl->size() == 0);
  CHECK(bus.drop_dead_letter(items[2].id).is(StatusCode::kNotFound));
  CHECK(bus.replay_dead_letter(12345, bus::ReplayTarget::kRepublish).is(StatusCode::kNotFound));
}

TEST_CASE("replaying to a subscriber that is gone is NotFound and keeps the dead letter") {
  IoThreads io;
  auto dl_owned = std::make_unique<WaitableDeadLetters>();
  WaitableDeadLetters* dl = dl_owned.get();
  EventBus bus(io.io, {}, std::move(dl_owned));
  SubscribeOptions o;
  o.subscriber_id = "gone";
  o.retry = quick_retry(1);
  auto id = bus.subscribe(
      "g.*", [](const EventPtr&) { return Status::Internal("no"); }, o);
  REQUIRE(bus.publish(make_event("g.x")).ok());
  REQUIRE(dl->wait_size(1));
  REQUIRE(bus.unsubscribe(*id).ok());
  const auto d = dl->all()[0];
  auto s = bus.replay_dead_letter(d.id, bus::ReplayTarget::kOriginalSubscriber);
  CHECK(s.is(StatusCode::kNotFound));
  CHECK(s.message() == "dead letter " + std::to_string(d.id) + ": subscriber 'gone' is gone");
  CHECK(dl->size() == 1);
}

TEST_CASE("the circuit breaker opens - sends events to dead letters - half-opens and closes") {
  IoThreads io;
  auto dl_owned = std::make_unique<WaitableDeadLetters>();
  EventBus bus(io.io, {}, std::move(dl_owned));
  Recorder transitions;
  SubscribeOptions tap;
  tap.subscriber_id = "breaker-watch";
  REQUIRE(bus.subscribe(
                 "system.breaker.*",
                 [&](const EventPtr& e) {
                   transitions.add(e);
                   return Status::OK();
                 },
                 tap)
              .ok());

  std::atomic<bool> failing{true};
  std::atomic<int> calls{0};
  SubscribeOptions o;
  o.subscriber_id = "fragile";
  o.mode = bus::DeliveryMode::kInline;
  o.retry = quick_retry(1);
  bus::BreakerPolicy bp;
  bp.failure_threshold = 3;
  bp.cooldown = 0ms;  // half-open as soon as it is asked again
  bp.success_threshold = 2;
  o.breaker = bp;
  REQUIRE(bus.subscribe(
                 "svc.*",
                 [&](const EventPtr&) {
                   calls.fetch_add(1);
                   return failing.load() ? Status::Unavailable("down") : Status::OK();
                 },
                 o)
              .ok());
  for (int i = 0; i < 3; ++i)
    REQUIRE(bus.publish(make_event("svc.call")).ok());
  REQUIRE(transitions.wait_count(1));
  CHECK(transitions.types()[0] == "system.breaker.opened");
  CHECK(bus.stats().subscribers[1].breaker_state == "open");
  failing.store(false);
  REQUIRE(bus.publish(make_event("svc.call")).ok());  // half-open: let through, succeeds
  REQUIRE(bus.publish(make_event("svc.call")).ok());  // second success closes it
  REQUIRE(transitions.wait_count(3));
  CHECK(transitions.types() == std::vector<std::string>{"system.breaker.opened",
                                                        "system.breaker.half_opened",
                                                        "system.breaker.closed"});
  CHECK(std::string(transitions.entries()[0].event->data()).find("\"subscriber\":\"fragile\"") !=
        std::string::npos);
  CHECK(calls.load() == 5);
  CHECK(bus.stats().subscribers[1].breaker_state == "closed");
}

TEST_CASE("while the breaker is open events go to dead letters as circuit open") {
  IoThreads io;
  auto dl_owned = std::make_unique<WaitableDeadLetters>();
  WaitableDeadLetters* dl = dl_owned.get();
  EventBus bus(io.io, {}, std::move(dl_owned));
  std::atomic<int> calls{0};
  SubscribeOptions o;
  o.subscriber_id = "tripped";
  o.mode = bus::DeliveryMode::kInline;
  o.retry = quick_retry(1);
  bus::BreakerPolicy bp;
  bp.failure_threshold = 2;
  bp.cooldown = std::chrono::hours(1);
  o.breaker = bp;
  REQUIRE(bus.subscribe(
                 "svc.*",
                 [&](const EventPtr&) {
                   calls.fetch_add(1);
                   return Status::Unavailable("down");
                 },
                 o)
              .ok());
  for (int i = 0; i < 5; ++i)
    REQUIRE(bus.publish(make_event("svc.call")).ok());
  REQUIRE(dl->wait_size(5));
  CHECK(calls.load() == 2);
  int circuit_open = 0;
  for (const auto& d : dl->all())
    if (d.reason == "circuit open") {
      ++circuit_open;
      CHECK(d.attempts == 0);
    }
  CHECK(circuit_open == 3);
}

TEST_CASE("breaker state machine with explicit time") {
  bus::BreakerPolicy p;
  p.failure_threshold = 2;
  p.cooldown = 100ms;
  p.success_threshold = 1;
  bus::CircuitBreaker b(p);
  std::optional<bus::CircuitBreaker::Transition> t;
  const int64_t ms = 1'000'000;
  CHECK(b.allow(0, t));
  b.record(CallOutcome::kFailure, 0, t);
  CHECK_FALSE(t);
  b.record(CallOutcome::kSuccess, 1 * ms, t);  // a success resets the consecutive count
  b.record(CallOutcome::kFailure, 2 * ms, t);
  CHECK_FALSE(t);
  b.record(CallOutcome::kFailure, 3 * ms, t);
  REQUIRE(t);
  CHECK(t->to == bus::CircuitBreaker::State::kOpen);
  CHECK(t->reason == "2 consecutive failures");
  t.reset();
  CHECK_FALSE(b.allow(50 * ms, t));
  CHECK(b.allow(104 * ms, t));
  REQUIRE(t);
  CHECK(t->to == bus::CircuitBreaker::State::kHalfOpen);
  t.reset();
  b.record(CallOutcome::kFailure, 105 * ms, t);  // failure while half-open re-opens
  REQUIRE(t);
  CHECK(t->to == bus::CircuitBreaker::State::kOpen);
  t.reset();
  CHECK(b.allow(206 * ms, t));
  REQUIRE(t);  // the open period passed again: half-open once more
  CHECK(t->to == bus::CircuitBreaker::State::kHalfOpen);
  t.reset();
  b.record(CallOutcome::kSuccess, 207 * ms, t);
  REQUIRE(t);
  CHECK(t->to == bus::CircuitBreaker::State::kClosed);
}

TEST_CASE("breaker opens on a failure ratio over its window") {
  bus::BreakerPolicy p;
  p.failure_threshold = 0;  // ratio only
  p.failure_ratio = 0.5;
  p.min_calls = 10;
  p.ratio_window = 1000ms;
  bus::CircuitBreaker b(p);
  std::optional<bus::CircuitBreaker::Transition> t;
  const int64_t ms = 1'000'000;
  for (int i = 0; i < 9; ++i)
    b.record(i % 2 == 0 ? CallOutcome::kSuccess : CallOutcome::kFailure, i * ms,
             t);  // 4 failures of 9: below min_calls
  CHECK_FALSE(t);
  b.record(CallOutcome::kFailure, 9 * ms, t);  // 5 of 10
  REQUIRE(t);
  CHECK(t->reason == "5 of 10 calls failed within 1000ms");
  // Old calls fall out of the window.
  bus::CircuitBreaker c(p);
  t.reset();
  for (int i = 0; i < 9; ++i)
    c.record(CallOutcome::kFailure, i * ms, t);
  CHECK_FALSE(t);  // 9 calls < min_calls
  for (int i = 0; i < 20; ++i)
    c.record(CallOutcome::kSuccess, 5000 * ms + i * ms, t);
  c.record(CallOutcome::kFailure, 5030 * ms, t);
  CHECK_FALSE(t);  // 1 of 21 in the current window
}
