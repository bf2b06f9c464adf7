// Catch-up subscriptions: history then live, with appends racing from two
// threads; every event exactly once and in order; stream subscriptions;
// stopping. Waits are on conditions with deadlines.
#include <condition_variable>
#include <mutex>
#include <thread>

#include "store_test_util.h"
#include "support/wait.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

// Collects delivered events; wait_for(n) waits with a deadline.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<StoredEvent> got;
  bool live = false;
  void add(const StoredEvent& e) {
    std::lock_guard lock(mu);
    got.push_back(e);
    cv.notify_all();
  }
  void set_live() {
    std::lock_guard lock(mu);
    live = true;
    cv.notify_all();
  }
  bool wait_for(size_t n, std::chrono::milliseconds t = 30s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, t, [&] { return got.size() >= n; });
  }
  bool wait_live(std::chrono::milliseconds t = 30s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, t, [&] { return live; });
  }
  std::vector<StoredEvent> events() {
    std::lock_guard lock(mu);
    return got;
  }
};

}  // namespace

TEST_CASE("catch-up: history then live - exactly once and in order - with 2 racing appenders") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  // History: 2,000 events before the subscription starts.
  for (int i = 0; i < 4; ++i)
    REQUIRE(store->append("", evs(500)).ok());

  Collector c;
  CatchUpOptions o;
  o.page = 97;  // odd page size: page edges fall everywhere
  o.on_event = [&](const StoredEvent& e) { c.add(e); };
  o.on_live = [&] { c.set_live(); };

  constexpr int kPerThread = 3000;
  std::atomic<bool> go{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> appenders;
  // Events are built here: Catch2 assertions are not for other threads.
  std::vector<std::vector<EventPtr>> batches[2];
  for (int t = 0; t < 2; ++t)
    for (int i = 0; i < kPerThread; ++i) {
      if (i % 10 == 0) {  // mixed: small batches to a stream, single events to the log
        batches[t].push_back(evs(3, "s" + std::to_string(t)));
        i += 2;
      } else {
        batches[t].push_back({ev()});
      }
    }
  for (int t = 0; t < 2; ++t) {
    appenders.emplace_back([&, t] {
      while (!go.load())
        std::this_thread::yield();
      for (const auto& b : batches[t]) {
        const std::string stream = b.size() == 3 ? "s" + std::to_string(t) : "";
        if (!store->append(stream, b).ok()) failures.fetch_add(1);
      }
    });
  }
  go.store(true);  // appends race with the history read
  auto sub = store->subscribe(o);
  REQUIRE(sub.ok());
  for (auto& t : appenders)
    t.join();
  REQUIRE(failures.load() == 0);
  const uint64_t last = store->durable_seq();
  REQUIRE(last == 2000 + 2 * kPerThread);
  REQUIRE(c.wait_for(last));
  CHECK(c.wait_live());
  (*sub)->stop();
  auto got = c.events();
  REQUIRE(got.size() == last);  // no duplicate
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i].seq != i + 1) {  // no gap, in order
      FAIL("position " << i << " holds seq " << got[i].seq);
    }
  }
  CHECK((*sub)->position() == last);
  CHECK((*sub)->live());
}

TEST_CASE("catch-up: from a position - and from a stream version") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->append("acct", evs(10, "acct")).ok());  // seqs 1..10
  REQUIRE(store->append("", evs(5)).ok());               // 11..15

  SECTION("whole log after seq 12") {
    Collector c;
    CatchUpOptions o;
    o.after = 12;
    o.on_event = [&](const StoredEvent& e) { c.add(e); };
    auto sub = store->subscribe(o);
    REQUIRE(sub.ok());
    REQUIRE(c.wait_for(3));
    REQUIRE(store->append(ev()).ok());
    REQUIRE(c.wait_for(4));
    auto got = c.events();
    CHECK(got.front().seq == 13);
    CHECK(got.back().seq == 16);
  }
  SECTION("a stream after version 7, then live appends to it only") {
    Collector c;
    CatchUpOptions o;
    o.stream = "acct";
    o.after = 7;
    o.page = 2;
    o.on_event = [&](const StoredEvent& e) { c.add(e); };
    o.on_live = [&] { c.set_live(); };
    auto sub = store->subscribe(o);
    REQUIRE(sub.ok());
    REQUIRE(c.wait_live());
    for (int i = 0; i < 20; ++i) {
      REQUIRE(store->append(ev()).ok());  // other traffic
      REQUIRE(store->append("acct", evs(1, "acct")).ok());
    }
    REQUIRE(c.wait_for(3 + 20));
    auto got = c.events();
    REQUIRE(got.size() == 23);
    for (size_t i = 0; i < got.size(); ++i) {
      CHECK(got[i].stream_version == 8 + i);
      CHECK(got[i].event->stream() == "acct");
    }
    // The position moves after the handler returns.
    CHECK(spin_until([&] { return (*sub)->position() == 30; }));
  }
  SECTION("a stream that does not exist yet") {
    Collector c;
    CatchUpOptions o;
    o.stream = "later";
    o.on_event = [&](const StoredEvent& e) { c.add(e); };
    o.on_live = [&] { c.set_live(); };
    auto sub = store->subscribe(o);
    REQUIRE(sub.ok());
    REQUIRE(c.wait_live());
    REQUIRE(store->append("later", evs(2, "later")).ok());
    REQUIRE(c.wait_for(2));
    CHECK(c.events()[1].stream_version == 2);
  }
}

TEST_CASE("catch-up: a slow subscriber that overflows its queue still misses nothing") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  Collector c;
  std::mutex hold;
  std::unique_lock held(hold);  // the handler blocks until released
  CatchUpOptions o;
  o.on_event = [&](const StoredEvent& e) {
    std::lock_guard lock(hold);
    c.add(e);
  };
  auto sub = store->subscribe(o);
  REQUIRE(sub.ok());
  REQUIRE(store->append(ev()).ok());
  // 1,500 commits (more than the queue holds) while the handler is stuck.
  for (int i = 0; i < 1500; ++i) {
    REQUIRE(store->append(ev()).ok());  // blocking: one commit each
  }
  held.unlock();
  REQUIRE(c.wait_for(1501));
  auto got = c.events();
  REQUIRE(got.size() == 1501);
  for (size_t i = 0; i < got.size(); ++i)
    REQUIRE(got[i].seq == i + 1);
}

TEST_CASE("catch-up: stop from outside and bad options") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  CatchUpOptions o;
  CHECK(store->subscribe(o).status().is(StatusCode::kInvalidArgument));  // no handler
  o.on_event = [](const StoredEvent&) {};
  o.stream = "$bad\n";
  CHECK(store->subscribe(o).status().is(StatusCode::kInvalidArgument));
  o.stream.clear();
  Collector first;
  o.on_event = [&](const StoredEvent& e) { first.add(e); };
  auto sub = store->subscribe(o);
  REQUIRE(sub.ok());
  // It delivers before the stop...
  REQUIRE(store->append(ev()).ok());
  REQUIRE(first.wait_for(1));
  (*sub)->stop();
  (*sub)->stop();  // idempotent
  // ... and nothing after it: a second subscription sees the next append,
  // the stopped one does not.
  Collector second;
  CatchUpOptions o2;
  o2.on_event = [&](const StoredEvent& e) { second.add(e); };
  auto sub2 = store->subscribe(o2);
  REQUIRE(sub2.ok());
  auto r = store->append(ev());
  REQUIRE(r.ok());
  REQUIRE(second.wait_for(2));
  CHECK(second.events().back().seq == r.first_seq);
  CHECK(first.events().size() == 1);
  // Still none once both are gone (their threads joined).
  sub->reset();
  sub2->reset();
  CHECK(first.events().size() == 1);
}
