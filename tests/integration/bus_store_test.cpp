// The bus on top of the store (real LMDB in a temp dir, real bus): persistent
// types are stored before delivery and delivered in commit order; an event
// id stored before is not delivered again; durable subscriptions are
// consumer groups (at least once, redelivery, dead letters, resume after a
// restart); the bus's dead letters survive a restart and are taken once.
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "bus_test_util.h"
#include "runtime/store_bridge.h"
#include "store/dead_letter.h"
#include "support/temp_dir.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;
using bus::EventBus;
using bus::SubscribeOptions;

namespace {

store::StoreOptions store_options(const TempDir& dir) {
  store::StoreOptions o;
  o.path = dir.file("store");
  o.durability = store::Durability::kNone;  // the durability policies are the store's tests
  o.retention_interval = 0ms;
  o.group_ack_timeout = 60'000ms;
  o.group_max_deliveries = 3;
  return o;
}

std::unique_ptr<store::EventStore> open_store(const TempDir& dir) {
  auto s = store::EventStore::open(store_options(dir));
  REQUIRE(s.ok());
  return std::move(*s);
}

EventPtr order(int i) {
  return *EventBuilder("order.placed")
              .source("shop")
              .stream("order-" + std::to_string(i))
              .data("{\"i\":" + std::to_string(i) + "}")
              .build();
}

}  // namespace

TEST_CASE("persistent types are stored before they are delivered") {
  TempDir dir;
  auto store = open_store(dir);
  IoThreads io;
  EventBus bus(io.io);
  REQUIRE(
      bus.set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store), {"order.*"}).ok());
  std::atomic<uint64_t> seen_stored{0};
  Recorder rec;
  REQUIRE(bus.subscribe("**",
                        [&](const EventPtr& e) {
                          // By the time a persistent event arrives, it is in the store.
                          if (e->type() == "order.placed") {
                            auto page =
                                store->read_stream(e->stream(), 1, store::Direction::kForward, 1);
                            if (page.ok() && !page->events.empty() &&
                                page->events[0].event->id() == e->id())
                              seen_stored.fetch_add(1);
                          }
                          rec.add(e);
                          return Status::OK();
                        })
              .ok());
  auto placed = order(1);
  REQUIRE(bus.publish(placed).ok());
  REQUIRE(bus.publish(make_event("task.created")).ok());
  REQUIRE(rec.wait_count(2));
  CHECK(seen_stored.load() == 1);
  auto all = store->read_all(1, store::Direction::kForward, 100);
  REQUIRE(all.ok());
  REQUIRE(all->events.size() == 1);  // the task event is not persistent
  CHECK(all->events[0].event->id() == placed->id());

  // The same event again: stored already, not delivered again.
  REQUIRE(bus.publish(placed).ok());
  REQUIRE(bus.publish(make_event("task.marker")).ok());
  REQUIRE(rec.wait_count(3));
  CHECK(rec.size() == 3);
  // Exactly these, in publish order: the duplicate order.placed is not among them.
  CHECK(rec.types() == std::vector<std::string>{"order.placed", "task.created", "task.marker"});
  CHECK(bus.stats().persisted == 2);
  CHECK(bus.stats().persist_duplicates == 1);
}

TEST_CASE("async publishes of persistent types complete after storage, in commit order") {
  TempDir dir;
  auto store = open_store(dir);
  IoThreads io(2);
  EventBus bus(io.io);
  REQUIRE(
      bus.set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store), {"order.**"}).ok());
  std::mutex mu;
  std::vector<int> delivered;
  SubscribeOptions inline_opts;
  inline_opts.mode = bus::DeliveryMode::kInline;  // delivered on the persist strand, in order
  REQUIRE(bus.subscribe(
                 "order.placed",
                 [&](const EventPtr& e) {
                   std::lock_guard lock(mu);
                   delivered.push_back(std::stoi(std::string(e->data().substr(5))));
                   return Status::OK();
                 },
                 inline_opts)
              .ok());
  constexpr int kN = 500;
  std::atomic<int> done{0}, failed{0};
  Signal all_done;
  for (int i = 0; i < kN; ++i) {
    bus.publish_async(order(i), [&](const Status& s) {
      if (!s.ok()) failed.fetch_add(1);
      if (done.fetch_add(1) + 1 == kN) all_done.raise();
    });
  }
  REQUIRE(all_done.wait());
  CHECK(failed.load() == 0);
  std::lock_guard lock(mu);
  REQUIRE(delivered.size() == kN);
  for (int i = 0; i < kN; ++i)
    REQUIRE(delivered[i] == i);
  auto all = store->read_all(1, store::Direction::kForward, 1000);
  CHECK(all->events.size() == kN);
}

TEST_CASE("a durable subscription gets every stored event and acks it") {
  TempDir dir;
  auto store = open_store(dir);
  {
    IoThreads io;
    EventBus bus(io.io);
    REQUIRE(
        bus.set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store), {"order.*"}).ok());
    Recorder rec;
    bus::DurableOptions o;
    o.subscriber_id = "billing-1";
    auto sid = bus.subscribe_durable(
        "billing", "order.*",
        [&](const EventPtr& e) {
          rec.add(e);
          return Status::OK();
        },
        o);
    REQUIRE(sid.ok());
    for (int i = 0; i < 50; ++i)
      REQUIRE(bus.publish(order(i)).ok());
    REQUIRE(rec.wait_count(50));
    auto st = bus.stats();
    bool found = false;
    for (const auto& s : st.subscribers)
      if (s.id == "billing-1") {
        found = true;
        CHECK(s.durable);
        CHECK(s.queue_group == "billing");
      }
    CHECK(found);
    REQUIRE(bus.unsubscribe(*sid).ok());  // flushes the last acks
  }
  store::GroupOptions billing;
  billing.name = "billing";
  billing.type_pattern = "order.*";
  auto g = store->consumer_group(billing);
  REQUIRE(g.ok());
  auto pending = (*g)->pending();
  REQUIRE(pending.ok());
  CHECK(pending->empty());
}

TEST_CASE("a failing durable handler is redelivered and then dead-lettered by the store") {
  TempDir dir;
  auto store = open_store(dir);
  IoThreads io;
  EventBus bus(io.io);
  REQUIRE(
      bus.set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store), {"order.*"}).ok());
  std::atomic<int> calls{0};
  bus::DurableOptions o;
  o.from_beginning = true;
  REQUIRE(bus.publish(order(7)).ok());
  auto sid = bus.subscribe_durable(
      "picky", "order.*",
      [&](const EventPtr&) {
        calls.fetch_add(1);
        return Status::InvalidArgument("cannot handle");
      },
      o);
  REQUIRE(sid.ok());
  REQUIRE(spin_until([&] {
    auto info = store->stream_info(store::kDeadLetterStream);
    return info.ok() && info->event_count == 1;
  }));
  CHECK(calls.load() == 3);  // max deliveries
  auto page = store->read_stream(store::kDeadLetterStream, 1, store::Direction::kForward, 1);
  auto dl = store::parse_dead_letter(*page->events[0].event);
  REQUIRE(dl.ok());
  CHECK(dl->info.reason.find("invalid_argument: cannot handle") != std::string::npos);
  CHECK(dl->original->data() == R"({"i":7})");
}

TEST_CASE("a durable subscription resumes after a restart without losing events") {
  TempDir dir;
  std::set<std::string> seen;
  std::mutex mu;
  // First run: handle 20 of 40, then stop.
  {
    auto store = open_store(dir);
    IoThreads io;
    EventBus bus(io.io);
    REQUIRE(
        bus.set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store), {"order.*"}).ok());
    bus::DurableOptions o;
    o.batch = 1;
    std::atomic<int> handled{0};
    std::atomic<bus::SubscriptionId> self{0};
    std::atomic<bool> self_unsubscribed{false};
    Signal twenty;
    auto sid = bus.subscribe_durable(
        "audit", "order.*",
        [&](const EventPtr& e) {
          {
            std::lock_guard lock(mu);
            seen.insert(std::string(e->data()));
          }
          if (handled.fetch_add(1) + 1 == 20) {
            // Stop from inside the handler: no further call, the rest stays in the log.
            self_unsubscribed.store(bus.unsubscribe(self.load()).ok());
            twenty.raise();
          }
          return Status::OK();
        },
        o);
    REQUIRE(sid.ok());
    self.store(*sid);
    for (int i = 0; i < 40; ++i)
      REQUIRE(bus.publish(order(i)).ok());
    REQUIRE(twenty.wait());
    REQUIRE(bus.shutdown(10s).ok());  // joins the subscriber's thread
    CHECK(self_unsubscribed.load());
    CHECK(handled.load() == 20);
  }
  // Second run: the same group resumes and gets the rest.
  {
    auto store = open_store(dir);
    IoThreads io;
    EventBus bus(io.io);
    REQUIRE(
        bus.set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store), {"order.*"}).ok());
    auto sid = bus.subscribe_durable("audit", "order.*", [&](const EventPtr& e) {
      std::lock_guard lock(mu);
      seen.insert(std::string(e->data()));
      return Status::OK();
    });
    REQUIRE(sid.ok());
    REQUIRE(spin_until([&] {
      std::lock_guard lock(mu);
      return seen.size() == 40;
    }));
  }
}

TEST_CASE("the bus's dead letters are stored and survive a restart") {
  TempDir dir;
  uint64_t first_id = 0;
  {
    auto store = open_store(dir);
    auto dls = runtime::StoreDeadLetters::open(*store);
    REQUIRE(dls.ok());
    IoThreads io;
    EventBus bus(io.io, {}, std::move(*dls));
    bus::SubscribeOptions o;
    o.subscriber_id = "fragile";
    o.retry = quick_retry(1);
    o.mode = bus::DeliveryMode::kInline;
    REQUIRE(bus.subscribe(
                   "job.*", [](const EventPtr&) { return Status::Internal("boom"); }, o)
                .ok());
    REQUIRE(bus.publish(make_event("job.a")).ok());
    REQUIRE(bus.publish(make_event("job.b")).ok());
    auto list = bus.dead_letters().list({});
    REQUIRE(list.size() == 2);
    CHECK(list[0].subscriber_id == "fragile");
    CHECK(list[0].reason == "internal: boom");
    CHECK(list[0].attempts == 1);
    first_id = list[0].id;
    REQUIRE(bus.drop_dead_letter(first_id).ok());
    CHECK(bus.dead_letters().size() == 1);
  }
  auto store = open_store(dir);
  auto dls = runtime::StoreDeadLetters::open(*store);
  REQUIRE(dls.ok());
  auto list = (*dls)->list({});
  REQUIRE(list.size() == 1);
  CHECK(list[0].event->type() == "job.b");
  CHECK_FALSE((*dls)->get(first_id).has_value());
  CHECK((*dls)->size() == 1);
}

TEST_CASE("a stored dead letter is taken once, also by two adapters racing for it") {
  TempDir dir;
  auto store = open_store(dir);
  bus::DeadLetter dl;
  dl.event = make_event("job.a");
  dl.subscriber_id = "worker";
  dl.reason = "boom";
  std::vector<std::unique_ptr<runtime::StoreDeadLetters>> adapters;
  for (int i = 0; i < 2; ++i) {
    auto a = runtime::StoreDeadLetters::open(*store);
    REQUIRE(a.ok());
    adapters.push_back(std::move(*a));
  }
  constexpr int kDeadLetters = 20;
  for (int i = 0; i < kDeadLetters; ++i)
    REQUIRE(adapters[0]->add(dl).ok());
  // Each adapter takes every dead letter; each is taken by exactly one.
  std::vector<int> taken[2];
  std::vector<std::thread> threads;
  for (int a = 0; a < 2; ++a)
    threads.emplace_back([&, a] {
      for (uint64_t id = 1; id <= kDeadLetters; ++id)
        if (adapters[a]->take(id)) taken[a].push_back(static_cast<int>(id));
    });
  for (auto& t : threads)
    t.join();
  std::set<int> all(taken[0].begin(), taken[0].end());
  for (int id : taken[1])
    CHECK(all.insert(id).second);  // not taken by both
  CHECK(all.size() == kDeadLetters);
  for (auto& a : adapters) {
    CHECK(a->list({}).empty());
    CHECK_FALSE(a->get(1).has_value());
  }
  // The resolutions are the store's: a new adapter sees them.
  auto fresh = runtime::StoreDeadLetters::open(*store);
  REQUIRE(fresh.ok());
  CHECK((*fresh)->list({}).empty());
  CHECK((*fresh)->size() == 0);
  auto rs = store->read_dead_letter_resolutions(1, 100);
  REQUIRE(rs.ok());
  CHECK(rs->resolutions.size() == kDeadLetters);
  CHECK(rs->resolutions[0].how == store::Resolution::kRemoved);
}

TEST_CASE(
    "a dead letter whose subscriber id now names a durable subscription is not replayed to it") {
  TempDir dir;
  auto store = open_store(dir);
  auto dls = runtime::StoreDeadLetters::open(*store);
  REQUIRE(dls.ok());
  IoThreads io;
  EventBus bus(io.io, {}, std::move(*dls));
  REQUIRE(bus.set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store), {}).ok());
  bus::SubscribeOptions o;
  o.subscriber_id = "worker";
  o.retry = quick_retry(1);
  o.mode = bus::DeliveryMode::kInline;
  auto sid = bus.subscribe(
      "job.*", [](const EventPtr&) { return Status::Internal("boom"); }, o);
  REQUIRE(sid.ok());
  REQUIRE(bus.publish(make_event("job.a")).ok());
  auto list = bus.dead_letters().list({});
  REQUIRE(list.size() == 1);
  // The name passes to a durable subscription (as after a restart with
  // another configuration): a durable subscriber is not a bus subscriber.
  REQUIRE(bus.unsubscribe(*sid).ok());
  bus::DurableOptions d;
  d.subscriber_id = "worker";
  REQUIRE(bus.subscribe_durable(
                 "g", "job.*", [](const EventPtr&) { return Status::OK(); }, d)
              .ok());
  Status r = bus.replay_dead_letter(list[0].id, bus::ReplayTarget::kOriginalSubscriber);
  CHECK(r.is(StatusCode::kNotFound));
  CHECK(r.message().find("'worker'") != std::string::npos);
  CHECK(bus.dead_letters().size() == 1);  // kept
}

TEST_CASE("durable subscriptions need a durable log and a valid pattern") {
  IoThreads io;
  EventBus bus(io.io);
  auto r = bus.subscribe_durable("g", "a.*", [](const EventPtr&) { return Status::OK(); });
  CHECK(r.error().is(StatusCode::kFailedPrecondition));
  CHECK(bus.set_durable_log(nullptr, {"bad..pattern"}).message().find("store.persist") == 0);
}

TEST_CASE("deliver_stored hands a stored event to subscribers without storing it again") {
  TempDir dir;
  auto store = open_store(dir);
  IoThreads io;
  EventBus bus(io.io);
  REQUIRE(
      bus.set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store), {"order.*"}).ok());
  Recorder rec;
  REQUIRE(bus.subscribe("order.*",
                        [&](const EventPtr& e) {
                          rec.add(e);
                          return Status::OK();
                        })
              .ok());
  EventPtr e = order(1);
  REQUIRE(store->append(e).ok());
  REQUIRE(bus.deliver_stored(e).ok());
  REQUIRE(rec.wait_count(1));
  CHECK(rec.entries()[0].event->id() == e->id());
  auto all = store->read_all(1);
  REQUIRE(all.ok());
  CHECK(all->events.size() == 1);  // stored once, by the caller
  CHECK(bus.stats().persisted == 0);
}

TEST_CASE(
    "a durable handler that is going away (Cancelled) gives its batch back once and reads no "
    "more") {
  TempDir dir;
  auto store = open_store(dir);  // max deliveries 3
  IoThreads io;
  EventBus bus(io.io);
  REQUIRE(
      bus.set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store), {"order.*"}).ok());
  for (int i = 0; i < 5; ++i)
    REQUIRE(bus.publish(order(i)).ok());
  // The plugin host answers Cancelled for a subscription its plugin dropped
  // from inside a callback, until the detach stops the member: here the
  // stop comes late (the member would wait its whole 60 s poll).
  std::atomic<int> calls{0};
  bus::DurableOptions o;
  o.from_beginning = true;
  o.poll = 60'000ms;
  auto leaving = bus.subscribe_durable(
      "shared", "order.*",
      [&](const EventPtr&) {
        calls.fetch_add(1);
        return Status::Cancelled("probe: unsubscribed");
      },
      o);
  REQUIRE(leaving.ok());
  REQUIRE(spin_until([&] { return calls.load() >= 1; }));
  REQUIRE(bus.unsubscribe(*leaving).ok());
  // One call: the batch went back at once, and nothing was read again
  // (before, the member re-read and re-failed them until dead-lettered).
  CHECK(calls.load() == 1);
  CHECK_FALSE(store->stream_info(store::kDeadLetterStream).ok());
  // The next member of the group gets all five at once (not after the ack
  // timeout: they were given back).
  Recorder rec;
  o.poll = 200ms;
  auto next = bus.subscribe_durable(
      "shared", "order.*",
      [&](const EventPtr& e) {
        rec.add(e);
        return Status::OK();
      },
      o);
  REQUIRE(next.ok());
  REQUIRE(rec.wait_count(5));
  std::set<std::string> ids;
  REQUIRE(bus.unsubscribe(*next).ok());  // before `rec` goes
  for (const auto& e : rec.entries())
    ids.insert(std::string(e.event->stream()));
  CHECK(ids.size() == 5);
  CHECK_FALSE(store->stream_info(store::kDeadLetterStream).ok());
}
