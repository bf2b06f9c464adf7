// Middleware (before-publish, around-deliver) and shutdown (drain within the
// deadline, dead-letter the rest, refuse new work), plus the latency
// histogram's arithmetic.
#include <atomic>

#include <catch2/catch.hpp>

#include "bus_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;
using bus::EventBus;
using bus::SubscribeOptions;

TEST_CASE("before-publish hooks can reject or replace an event") {
  IoThreads io;
  EventBus bus(io.io);
  bus.add_before_publish("no-secrets", [](EventPtr& e) {
    if (e->type() == "secret.leak") return Status::PermissionDenied("secrets stay home");
    return Status::OK();
  });
  bus.add_before_publish("tracing", [](EventPtr& e) {
    auto b = EventBuilder::copy_of(*e);
    b.metadata("traceparent", "00-abc-def-01");
    auto r = b.build();
    if (!r.ok()) return r.error();
    e = *r;
    return Status::OK();
  });
  Recorder rec;
  SubscribeOptions o;
  o.mode = bus::DeliveryMode::kInline;
  REQUIRE(bus.subscribe(
                 "**",
                 [&](const EventPtr& e) {
                   rec.add(e);
                   return Status::OK();
                 },
                 o)
              .ok());
  Status s = bus.publish(make_event("secret.leak"));
  CHECK(s.is(StatusCode::kPermissionDenied));
  CHECK(s.message() == "publish 'secret.leak' rejected by 'no-secrets': secrets stay home");
  auto original = make_event("task.created");
  REQUIRE(bus.publish(original).ok());
  REQUIRE(rec.size() == 1);
  const Event& got = *rec.entries()[0].event;
  CHECK(got.id() == original->id());
  CHECK(got.find_metadata("traceparent") == std::optional<std::string_view>("00-abc-def-01"));
}

TEST_CASE("around-deliver hooks wrap handler calls in order and can fail them") {
  IoThreads io;
  auto dl_owned = std::make_unique<WaitableDeadLetters>();
  WaitableDeadLetters* dl = dl_owned.get();
  EventBus bus(io.io, {}, std::move(dl_owned));
  std::vector<std::string> trace;
  std::mutex mu;
  auto note = [&](std::string s) {
    std::lock_guard lock(mu);
    trace.push_back(std::move(s));
  };
  bus.add_around_deliver("outer", [&](const EventPtr&, const bus::DeliveryInfo& info,
                                      const std::function<Status()>& next) {
    note("outer>" + std::string(info.subscriber_id));
    Status s = next();
    note("outer<");
    return s;
  });
  bus.add_around_deliver("gate", [&](const EventPtr& e, const bus::DeliveryInfo&,
                                     const std::function<Status()>& next) {
    if (e->type() == "blocked.x") return Status::PermissionDenied("blocked by gate");
    return next();
  });
  SubscribeOptions o;
  o.subscriber_id = "h";
  o.mode = bus::DeliveryMode::kInline;
  o.retry = quick_retry(1);
  REQUIRE(bus.subscribe(
                 "*.x",
                 [&](const EventPtr&) {
                   note("handler");
                   return Status::OK();
                 },
                 o)
              .ok());
  REQUIRE(bus.publish(make_event("ok.x")).ok());
  CHECK(trace == std::vector<std::string>{"outer>h", "handler", "outer<"});
  REQUIRE(bus.publish(make_event("blocked.x")).ok());
  REQUIRE(dl->wait_size(1));
  CHECK(dl->all()[0].reason == "permission_denied: blocked by gate");
}

TEST_CASE("shutdown drains queued events within the deadline") {
  IoThreads io;
  EventBus bus(io.io);
  Gate gate;
  std::atomic<int> delivered{0};
  REQUIRE(bus.subscribe("d.*",
                        [&](const EventPtr& e) {
                          if (e->type() == "d.first") gate.pass();
                          delivered.fetch_add(1);
                          return Status::OK();
                        })
              .ok());
  REQUIRE(bus.publish(make_event("d.first")).ok());
  REQUIRE(gate.entered(1));
  for (int i = 0; i < 100; ++i)
    REQUIRE(bus.publish(make_event("d.more")).ok());
  std::thread opener([&] { gate.open(); });
  REQUIRE(bus.shutdown(30'000ms).ok());
  opener.join();
  CHECK(delivered.load() == 101);
  CHECK(bus.dead_letters().size() == 0);
  CHECK(bus.publish(make_event("d.late")).is(StatusCode::kUnavailable));
  CHECK(bus.subscribe("x", [](const EventPtr&) { return Status::OK(); })
            .error()
            .is(StatusCode::kUnavailable));
  CHECK(bus.shutdown().ok());  // idempotent
}

TEST_CASE("shutdown dead-letters what did not drain before the deadline") {
  IoThreads io;
  auto dl_owned = std::make_unique<WaitableDeadLetters>();
  WaitableDeadLetters* dl = dl_owned.get();
  EventBus bus(io.io, {}, std::move(dl_owned));
  Gate gate;
  SubscribeOptions o;
  o.subscriber_id = "stuck";
  REQUIRE(bus.subscribe(
                 "s.*",
                 [&](const EventPtr&) {
                   gate.pass();
                   return Status::OK();
                 },
                 o)
              .ok());
  REQUIRE(bus.publish(make_event("s.first")).ok());
  REQUIRE(gate.entered(1));
  for (int i = 0; i < 10; ++i)
    REQUIRE(bus.publish(make_event("s.queued")).ok());
  std::atomic<bool> dead_lettered_first{false};
  std::thread closer([&] {
    // Unblock the handler only after shutdown gave up on the queue; the
    // queued events must already be dead letters by then.
    dead_lettered_first.store(dl->wait_size(10));
    gate.open();
  });
  REQUIRE(bus.shutdown(10ms).ok());
  closer.join();
  CHECK(dead_lettered_first.load());
  const auto all = dl->all();
  REQUIRE(all.size() == 10);
  for (const auto& d : all) {
    CHECK(d.subscriber_id == "stuck");
    CHECK(d.reason == "shutdown: not delivered within the shutdown timeout");
  }
}

TEST_CASE("retries pending at shutdown become dead letters") {
  IoThreads io;
  auto dl_owned = std::make_unique<WaitableDeadLetters>();
  WaitableDeadLetters* dl = dl_owned.get();
  EventBus bus(io.io, {}, std::move(dl_owned));
  SubscribeOptions o;
  o.subscriber_id = "retrying";
  bus::RetryPolicy slow;
  slow.max_attempts = 5;
  slow.initial_backoff = std::chrono::hours(1);
  slow.max_backoff = std::chrono::hours(1);
  o.retry = slow;
  o.breaker = no_breaker();
  Signal failed;
  REQUIRE(bus.subscribe(
                 "r.*",
                 [&](const EventPtr&) {
                   failed.raise();
                   return Status::Unavailable("later");
                 },
                 o)
              .ok());
  REQUIRE(bus.publish(make_event("r.x")).ok());
  REQUIRE(failed.wait());
  REQUIRE(spin_until([&] { return bus.stats().subscribers[0].retried == 1; }));
  REQUIRE(bus.shutdown(10'000ms).ok());
  REQUIRE(dl->wait_size(1));
  CHECK(dl->all()[0].reason == "shutdown before retry");
  CHECK(dl->all()[0].attempts == 1);
}

TEST_CASE("an inline handler that republishes what it receives is stopped - not a crash") {
  IoThreads io;
  EventBus bus(io.io);
  SubscribeOptions o;
  o.mode = bus::DeliveryMode::kInline;
  o.retry = quick_retry(1);
  o.breaker = no_breaker();
  std::atomic<int> calls{0};
  Status deepest;
  REQUIRE(bus.subscribe(
                 "echo.*",
                 [&](const EventPtr& e) {
                   calls.fetch_add(1);
                   Status s = bus.publish(e);
                   if (!s.ok() && deepest.ok()) deepest = s;
                   return s;
                 },
                 o)
              .ok());
  (void)bus.publish(make_event("echo.loop"));
  CHECK(calls.load() == 64);
  CHECK(deepest.is(StatusCode::kResourceExhausted));
  CHECK(deepest.message().find("nested 64 deep through inline handlers") != std::string::npos);
}

TEST_CASE("latency histogram buckets and percentiles") {
  bus::LatencyHistogram h;
  for (uint64_t v = 1; v <= 1000; ++v)
    h.record(v * 1000);  // 1 us .. 1 ms
  auto s = h.summary();
  CHECK(s.count == 1000);
  CHECK(s.max_ns == 1'000'000);
  // Within the bucket resolution (12.5%).
  CHECK(s.p50_ns >= 500'000);
  CHECK(s.p50_ns <= 563'000);
  CHECK(s.p99_ns >= 990'000);
  CHECK(s.p99_ns <= 1'000'000);
  for (uint64_t v : {0ull, 15ull, 16ull, 17ull, 1000ull, 123456789ull}) {
    const int b = bus::LatencyHistogram::bucket_of(v);
    CHECK(bus::LatencyHistogram::bucket_upper(b) >= v);
    if (b > 0) CHECK(bus::LatencyHistogram::bucket_upper(b - 1) < v);
  }
}
