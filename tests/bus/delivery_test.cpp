// Delivery semantics: inline vs async, per-subscriber order under several
// publishing threads, no self-concurrency, priority order within a queue,
// queue groups, directed events, filters, multi-pattern subscriptions,
// differential matching through the bus with the cache on and off, stats.
#include <atomic>
#include <map>
#include <random>
#include <set>

#include <catch2/catch.hpp>

#include "bus_test_util.h"
#include "core/topic.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;
using bus::DeliveryMode;
using bus::EventBus;
using bus::SubscribeOptions;

TEST_CASE("inline handlers run on the publisher's thread before publish returns") {
  IoThreads io;
  EventBus bus(io.io);
  std::thread::id seen;
  int calls = 0;
  SubscribeOptions o;
  o.mode = DeliveryMode::kInline;
  REQUIRE(bus.subscribe(
                 "task.*",
                 [&](const EventPtr&) {
                   seen = std::this_thread::get_id();
                   ++calls;
                   return Status::OK();
                 },
                 o)
              .ok());
  REQUIRE(bus.publish(make_event("task.created")).ok());
  CHECK(calls == 1);
  CHECK(seen == std::this_thread::get_id());
}

TEST_CASE("async handlers run on an io thread") {
  IoThreads io;
  EventBus bus(io.io);
  Recorder rec;
  REQUIRE(bus.subscribe("task.*",
                        [&](const EventPtr& e) {
                          rec.add(e);
                          return Status::OK();
                        })
              .ok());
  REQUIRE(bus.publish(make_event("task.created")).ok());
  REQUIRE(rec.wait_count(1));
  CHECK(rec.entries()[0].thread != std::this_thread::get_id());
}

TEST_CASE("each subscriber sees each publisher's events in order and never runs concurrently") {
  IoThreads io(2);
  EventBus bus(io.io);
  constexpr int kPublishers = 3, kPer = 20000, kSubs = 3;
  struct Seen {
    std::mutex mu;
    std::vector<std::pair<int, int>> events;  // (publisher, seq)
    std::atomic<int> inside{0};
    std::atomic<int> overlaps{0};
  };
  std::vector<std::unique_ptr<Seen>> seen;
  Recorder done;
  for (int s = 0; s < kSubs; ++s) {
    seen.push_back(std::make_unique<Seen>());
    Seen* st = seen.back().get();
    REQUIRE(bus.subscribe("order.**",
                          [st, &done](const EventPtr& e) {
                            if (st->inside.fetch_add(1) != 0) st->overlaps.fetch_add(1);
                            const std::string_view d = e->data();
                            const int pub = d[0] - '0';
                            const int seq = std::stoi(std::string(d.substr(2)));
                            {
                              std::lock_guard lock(st->mu);
                              st->events.emplace_back(pub, seq);
                            }
                            st->inside.fetch_sub(1);
                            done.add(e);
                            return Status::OK();
                          })
                .ok());
  }
  std::vector<std::thread> pubs;
  std::atomic<int> publish_failures{0};
  for (int p = 0; p < kPublishers; ++p) {
    pubs.emplace_back([&bus, &publish_failures, p] {
      for (int i = 0; i < kPer; ++i) {
        auto e = EventBuilder("order.placed")
                     .source("p")
                     .data(std::to_string(p) + ":" + std::to_string(i), "text/plain")
                     .build();
        if (!e.ok() || !bus.publish(*e).ok()) publish_failures.fetch_add(1);
      }
    });
  }
  for (auto& t : pubs)
    t.join();
  REQUIRE(publish_failures.load() == 0);
  REQUIRE(done.wait_count(size_t{kPublishers} * kPer * kSubs));
  for (auto& st : seen) {
    CHECK(st->overlaps.load() == 0);
    std::map<int, int> last;
    for (auto [pub, seq] : st->events) {
      auto it = last.find(pub);
      if (it != last.end())
        REQUIRE(seq == it->second + 1);
      else
        REQUIRE(seq == 0);
      last[pub] = seq;
    }
    CHECK(st->events.size() == size_t{kPublishers} * kPer);
  }
}

TEST_CASE("queued events of higher priority are delivered first - FIFO within a priority") {
  IoThreads io;
  EventBus bus(io.io);
  Gate gate;
  Recorder rec;
  REQUIRE(bus.subscribe("p.**",
                        [&](const EventPtr& e) {
                          if (e->type() == "p.block") gate.pass();
                          rec.add(e);
                          return Status::OK();
                        })
              .ok());
  REQUIRE(bus.publish(make_event("p.block")).ok());
  REQUIRE(gate.entered(1));  // the subscriber is busy: everything below queues up
  const Priority order[] = {Priority::kLow,    Priority::kNormal, Priority::kCritical,
                            Priority::kHigh,   Priority::kLow,    Priority::kCritical,
                            Priority::kNormal, Priority::kHigh};
  for (size_t i = 0; i < std::size(order); ++i)
    REQUIRE(bus.publish(make_event("p.e" + std::to_string(i), order[i])).ok());
  gate.open();
  REQUIRE(rec.wait_count(1 + std::size(order)));
  CHECK(rec.types() == std::vector<std::string>{"p.block", "p.e2", "p.e5", "p.e3", "p.e7", "p.e1",
                                                "p.e6", "p.e0", "p.e4"});
}

TEST_CASE("queue group members share events round robin") {
  IoThreads io;
  EventBus bus(io.io);
  Recorder all;
  std::atomic<int> counts[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    SubscribeOptions o;
    o.queue_group = "workers";
    o.subscriber_id = "worker-" + std::to_string(i);
    REQUIRE(bus.subscribe(
                   "job.*",
                   [&, i](const EventPtr& e) {
                     counts[i].fetch_add(1);
                     all.add(e);
                     return Status::OK();
                   },
                   o)
                .ok());
  }
  Recorder outside;
  REQUIRE(bus.subscribe("job.*",
                        [&](const EventPtr& e) {
                          outside.add(e);
                          return Status::OK();
                        })
              .ok());
  for (int i = 0; i < 300; ++i)
    REQUIRE(bus.publish(make_event("job.run")).ok());
  REQUIRE(all.wait_count(300));
  REQUIRE(outside.wait_count(300));
  for (auto& c : counts)
    CHECK(c.load() == 100);
  CHECK(all.size() == 300);  // each event went to exactly one member
  // ... and the 300 deliveries are 300 different events (none twice).
  std::set<std::string> ids;
  for (const auto& e : all.entries())
    ids.insert(e.event->id().to_string());
  CHECK(ids.size() == 300);
}

TEST_CASE("directed events reach only their target and observers") {
  IoThreads io;
  EventBus bus(io.io);
  Recorder a, b, tap;
  SubscribeOptions oa, ob, ot;
  oa.subscriber_id = "agent-a";
  ob.subscriber_id = "agent-b";
  ot.subscriber_id = "tap";
  ot.observe_all = true;
  REQUIRE(bus.subscribe(
                 "msg.*",
                 [&](const EventPtr& e) {
                   a.add(e);
                   return Status::OK();
                 },
                 oa)
              .ok());
  REQUIRE(bus.subscribe(
                 "msg.*",
                 [&](const EventPtr& e) {
                   b.add(e);
                   return Status::OK();
                 },
                 ob)
              .ok());
  REQUIRE(bus.subscribe(
                 "msg.*",
                 [&](const EventPtr& e) {
                   tap.add(e);
                   return Status::OK();
                 },
                 ot)
              .ok());
  REQUIRE(bus.publish(*EventBuilder("msg.direct").source("t").target("agent-b").build()).ok());
  REQUIRE(bus.publish(*EventBuilder("msg.broadcast").source("t").build()).ok());
  REQUIRE(tap.wait_count(2));
  REQUIRE(b.wait_count(2));
  REQUIRE(a.wait_count(1));
  CHECK(a.types() == std::vector<std::string>{"msg.broadcast"});
  // Nobody with that id: only the tap sees it, and a tap does not take an
  // event (no_subscribers_test.cpp), so it counts as having no subscriber.
  CHECK(bus.stats().no_subscribers == 0);
  REQUIRE(bus.publish(*EventBuilder("msg.direct").source("t").target("nobody").build()).ok());
  CHECK(bus.stats().no_subscribers == 1);
  REQUIRE(tap.wait_count(3));
  // Drain everything: neither agent got the event aimed at "nobody", and b
  // got nothing besides its own and the broadcast.
  REQUIRE(bus.shutdown().ok());
  CHECK(a.types() == std::vector<std::string>{"msg.broadcast"});
  CHECK(b.size() == 2);
  CHECK(tap.size() == 3);
}

TEST_CASE("filters run after the topic matches and are counted") {
  IoThreads io;
  EventBus bus(io.io);
  Recorder rec;
  SubscribeOptions o;
  o.subscriber_id = "high-only";
  o.filter = [](const Event& e) { return e.priority() <= Priority::kHigh; };
  REQUIRE(bus.subscribe(
                 "alert.*",
                 [&](const EventPtr& e) {
                   rec.add(e);
                   return Status::OK();
                 },
                 o)
              .ok());
  SubscribeOptions bad;
  bad.subscriber_id = "throwing-filter";
  bad.filter = [](const Event&) -> bool { throw std::runtime_error("boom"); };
  REQUIRE(bus.subscribe(
                 "alert.*", [&](const EventPtr&) { return Status::OK(); }, bad)
              .ok());
  REQUIRE(bus.publish(make_event("alert.disk", Priority::kLow)).ok());
  REQUIRE(bus.publish(make_event("alert.cpu", Priority::kCritical)).ok());
  REQUIRE(rec.wait_count(1));
  CHECK(rec.types() == std::vector<std::string>{"alert.cpu"});
  auto st = bus.stats();
  REQUIRE(st.subscribers.size() == 2);
  CHECK(st.subscribers[0].filtered == 1);
  CHECK(st.subscribers[1].filtered == 2);  // a throwing filter counts as "no"
}

TEST_CASE("a subscription with several patterns gets each event once") {
  IoThreads io;
  EventBus bus(io.io);
  std::atomic<int> calls{0};
  SubscribeOptions o;
  o.mode = DeliveryMode::kInline;
  REQUIRE(bus.subscribe(
                 std::vector<std::string>{"task.*", "*.created", "task.**"},
                 [&](const EventPtr&) {
                   calls.fetch_add(1);
                   return Status::OK();
                 },
                 o)
              .ok());
  REQUIRE(bus.publish(make_event("task.created")).ok());
  CHECK(calls.load() == 1);
  REQUIRE(bus.publish(make_event("order.created")).ok());
  CHECK(calls.load() == 2);
  REQUIRE(bus.publish(make_event("order.updated")).ok());
  CHECK(calls.load() == 2);
}

TEST_CASE("differential through the bus: cache on and off agree with the reference matcher") {
  for (size_t cache : {size_t{0}, size_t{64}, size_t{1024}}) {
    IoThreads io;
    bus::BusOptions opts;
    opts.match_cache_size = cache;
    EventBus bus(io.io, opts);
    std::mt19937 rng(static_cast<unsigned>(77 + cache));
    static const char* kSegs[] = {"a", "b", "c", "d"};
    auto topic = [&] {
      std::string t;
      const int n = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i)
        t += (i ? "." : "") + std::string(kSegs[rng() % 4]);
      return t;
    };
    auto pattern = [&] {
      std::string p;
      const int n = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < n; ++i) {
        const unsigned r = rng() % 8;
        p += (i ? "." : "");
        p += (i == n - 1 && r == 0) ? "**" : r < 3 ? "*" : kSegs[rng() % 4];
      }
      return p;
    };
    struct Sub {
      std::string pattern;
      bus::SubscriptionId id;
    };
    std::vector<Sub> subs;
    std::set<std::string> got;  // subscriber ids that received the current event
    SubscribeOptions o;
    o.mode = DeliveryMode::kInline;
    auto add = [&] {
      Sub s{pattern(), 0};
      o.subscriber_id = "s" + std::to_string(rng());
      const std::string name = o.subscriber_id;
      auto r = bus.subscribe(
          s.pattern,
          [&got, name](const EventPtr&) {
            got.insert(name);
            return Status::OK();
          },
          o);
      REQUIRE(r.ok());
      s.id = *r;
      subs.push_back(s);
      return name;
    };
    std::map<bus::SubscriptionId, std::string> names;
    for (int i = 0; i < 60; ++i) {
      std::string n = add();
      names[subs.back().id] = n;
    }
    for (int round = 0; round < 100'000; ++round) {
      if (round % 1000 == 999) {  // churn invalidates caches
        const size_t v = rng() % subs.size();
        REQUIRE(bus.unsubscribe(subs[v].id).ok());
        subs.erase(subs.begin() + static_cast<long>(v));
        std::string n = add();
        names[subs.back().id] = n;
      }
      const std::string t = topic();
      got.clear();
      REQUIRE(bus.publish(make_event(t)).ok());
      std::set<std::string> expected;
      for (const auto& s : subs)
        if (topic_matches(s.pattern, t)) expected.insert(names[s.id]);
      if (got != expected) {
        INFO("cache " << cache << " topic " << t);
        REQUIRE(got == expected);
      }
    }
    if (cache > 0)
      CHECK(bus.stats().match_cache_hits > 0);
    else
      CHECK(bus.stats().match_cache_hits == 0);
  }
}

TEST_CASE("stats count per topic and per subscriber - with latency") {
  IoThreads io;
  EventBus bus(io.io);
  Recorder rec;
  SubscribeOptions o;
  o.subscriber_id = "counter";
  REQUIRE(bus.subscribe(
                 "a.*",
                 [&](const EventPtr& e) {
                   rec.add(e);
                   return Status::OK();
                 },
                 o)
              .ok());
  for (int i = 0; i < 5; ++i)
    REQUIRE(bus.publish(make_event("a.x")).ok());
  REQUIRE(bus.publish(make_event("b.y")).ok());  // nobody listens
  REQUIRE(rec.wait_count(5));
  auto st = bus.stats();
  CHECK(st.published == 6);
  CHECK(st.no_subscribers == 1);
  REQUIRE(st.topics.size() == 2);
  CHECK(st.topics[0].topic == "a.x");
  CHECK(st.topics[0].published == 5);
  CHECK(st.topics[1].topic == "b.y");
  CHECK(st.topics[1].no_subscribers == 1);
  REQUIRE(st.subscribers.size() == 1);
  CHECK(st.subscribers[0].id == "counter");
  CHECK(st.subscribers[0].patterns == std::vector<std::string>{"a.*"});
  CHECK(st.subscribers[0].latency.count == 5);  // recorded before each handler call
  CHECK(st.subscriptions == 1);
}

TEST_CASE("subscribe rejects bad input with the reason") {
  IoThreads io;
  EventBus bus(io.io);
  auto ok = [](const EventPtr&) { return Status::OK(); };
  auto bad = bus.subscribe("task.**.x", ok);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() ==
        "subscribe: pattern 'task.**.x': '**' is only allowed as the last segment (found at "
        "segment 2)");
  SubscribeOptions o;
  o.subscriber_id = "dup";
  REQUIRE(bus.subscribe("a", ok, o).ok());
  auto dup = bus.subscribe("b", ok, o);
  CHECK(dup.error().is(StatusCode::kAlreadyExists));
  CHECK(dup.error().message() == "subscribe: subscriber id 'dup' is already in use");
  CHECK(bus.subscribe("a", nullptr).error().message() == "subscribe: the handler is empty");
  CHECK(bus.subscribe(std::vector<std::string>{}, ok).error().is(StatusCode::kInvalidArgument));
  SubscribeOptions zero;
  zero.queue_bound = 0;
  CHECK(bus.subscribe("a", ok, zero).error().message() ==
        "subscribe: queue_bound must be at least 1");
  SubscribeOptions ctl;
  ctl.subscriber_id = "bad\nid";
  CHECK(bus.subscribe("a", ok, ctl).error().message() ==
        "subscribe 'bad\\x0aid': subscriber id contains a control character");
  CHECK(bus.unsubscribe(9999).is(StatusCode::kNotFound));
}
