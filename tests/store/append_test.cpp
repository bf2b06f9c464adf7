// Appends: the expected-version matrix, idempotent re-append, all-or-nothing
// batches, the global log, async completion, bad input.
#include <atomic>
#include <mutex>
#include <thread>

#include "store_test_util.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;

namespace {

// A store with stream "s" at version 2 (when `existing`).
struct Fixture {
  TempDir dir;
  std::unique_ptr<EventStore> store = open_store(options_for(dir));
  void make_stream() { REQUIRE(store->append("s", evs(2, "s")).ok()); }
};

}  // namespace

TEST_CASE("append: expected-version matrix") {
  struct Case {
    const char* name;
    bool existing;
    ExpectedVersion expected;
    bool ok;
  };
  const Case cases[] = {
      {"any / new", false, ExpectedVersion::any(), true},
      {"any / existing", true, ExpectedVersion::any(), true},
      {"no_stream / new", false, ExpectedVersion::no_stream(), true},
      {"no_stream / existing", true, ExpectedVersion::no_stream(), false},
      {"stream_exists / new", false, ExpectedVersion::stream_exists(), false},
      {"stream_exists / existing", true, ExpectedVersion::stream_exists(), true},
      {"exact 0 / new", false, ExpectedVersion::exact(0), true},
      {"exact 2 / new", false, ExpectedVersion::exact(2), false},
      {"exact 2 / existing", true, ExpectedVersion::exact(2), true},
      {"exact 1 / existing", true, ExpectedVersion::exact(1), false},
      {"exact 3 / existing", true, ExpectedVersion::exact(3), false},
      {"exact 0 / existing", true, ExpectedVersion::exact(0), false},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      Fixture f;
      if (c.existing) f.make_stream();
      const uint64_t before = c.existing ? 2 : 0;
      AppendResult r = f.store->append("s", evs(3, "s"), c.expected);
      INFO(r.status.to_string());
      CHECK(r.ok() == c.ok);
      if (c.ok) {
        CHECK(r.stream_version == before + 3);
        CHECK(r.written == 3);
        CHECK(r.last_seq - r.first_seq == 2);
      } else {
        CHECK(r.status.is(StatusCode::kConflict));
        CHECK(r.actual_version == before);
        CHECK(r.status.message().find("stream 's'") != std::string::npos);
        CHECK(r.status.message().find("actual version " +
                                      (c.existing ? std::string("2") : std::string("no stream"))) !=
              std::string::npos);
        // Nothing was written.
        if (c.existing)
          CHECK(f.store->stream_info("s")->version == 2);
        else
          CHECK(f.store->stream_info("s").status().is(StatusCode::kNotFound));
      }
    }
  }
}

TEST_CASE("append: idempotent re-append returns the stored positions") {
  Fixture f;
  auto batch = evs(3, "s");
  AppendResult first = f.store->append("s", batch, ExpectedVersion::no_stream());
  REQUIRE(first.ok());
  // A retry of the same batch (same ids) succeeds although the expected
  // version no longer holds, and writes nothing.
  AppendResult retry = f.store->append("s", batch, ExpectedVersion::no_stream());
  INFO(retry.status.to_string());
  REQUIRE(retry.ok());
  CHECK(retry.written == 0);
  CHECK(retry.duplicates == 3);
  CHECK(retry.first_seq == first.first_seq);
  CHECK(retry.last_seq == first.last_seq);
  CHECK(retry.stream_version == 3);
  CHECK(f.store->stream_info("s")->event_count == 3);
  CHECK(f.store->read_all(1)->events.size() == 3);

  SECTION("a batch that is partly stored writes only the new events") {
    auto more = batch;
    more.push_back(ev("test.event", "s"));
    AppendResult r = f.store->append("s", more, ExpectedVersion::exact(3));
    REQUIRE(r.ok());
    CHECK(r.written == 1);
    CHECK(r.duplicates == 3);
    CHECK(r.stream_version == 4);
  }
  SECTION("the same id in another stream is refused") {
    AppendResult r = f.store->append("other", std::span<const EventPtr>(&batch[0], 1));
    // The event names stream "s": that is caught before the id.
    CHECK(r.status.is(StatusCode::kInvalidArgument));
    auto copy = EventBuilder::copy_of(*batch[0]).stream("other").build();
    REQUIRE(copy.ok());
    r = f.store->append(*copy);
    CHECK(r.status.is(StatusCode::kAlreadyExists));
    CHECK(r.status.message().find("stream 's'") != std::string::npos);
  }
  SECTION("idempotency holds within one group commit too") {
    auto e = ev("test.event", "t");
    std::atomic<int> done{0};
    std::vector<AppendResult> results(8);
    for (int i = 0; i < 8; ++i)
      f.store->append_async("t", std::span<const EventPtr>(&e, 1), ExpectedVersion::any(),
                            [&, i](const AppendResult& r) {
                              results[static_cast<size_t>(i)] = r;
                              done.fetch_add(1);
                            });
    auto r = f.store->append("t", std::span<const EventPtr>(&e, 1));  // after all of them
    REQUIRE(done.load() == 8);
    REQUIRE(r.ok());
    for (auto& x : results) {
      CHECK(x.ok());
      CHECK(x.first_seq == r.first_seq);
    }
    CHECK(f.store->stream_info("t")->event_count == 1);
  }
}

TEST_CASE("append: a batch is all or nothing") {
  Fixture f;
  f.make_stream();
  SECTION("a conflict writes none of the batch") {
    auto r = f.store->append("s", evs(5, "s"), ExpectedVersion::exact(7));
    CHECK(r.status.is(StatusCode::kConflict));
    CHECK(f.store->read_all(1)->events.size() == 2);
  }
  SECTION("an invalid event anywhere fails the whole batch before anything is queued") {
    auto batch = evs(4, "s");
    batch.push_back(ev("test.event", "elsewhere"));
    auto r = f.store->append("s", batch);
    CHECK(r.status.is(StatusCode::kInvalidArgument));
    CHECK(r.status.message().find("elsewhere") != std::string::npos);
    CHECK(f.store->read_all(1)->events.size() == 2);
  }
  SECTION("the same id twice in a batch") {
    auto batch = evs(2, "s");
    batch.push_back(batch[0]);
    auto r = f.store->append("s", batch);
    CHECK(r.status.is(StatusCode::kInvalidArgument));
    CHECK(r.status.message().find("twice") != std::string::npos);
  }
  SECTION("a failing batch does not disturb others in the same group commit") {
    std::atomic<int> done{0};
    AppendResult bad, good;
    auto b1 = evs(3, "s");
    auto b2 = evs(3, "g");
    f.store->append_async("s", b1, ExpectedVersion::exact(99), [&](const AppendResult& r) {
      bad = r;
      done.fetch_add(1);
    });
    f.store->append_async("g", b2, ExpectedVersion::no_stream(), [&](const AppendResult& r) {
      good = r;
      done.fetch_add(1);
    });
    REQUIRE(f.store->append(ev()).ok());  // queued after both: they completed
    REQUIRE(done.load() == 2);
    CHECK(bad.status.is(StatusCode::kConflict));
    CHECK(good.ok());
    CHECK(f.store->stream_info("g")->version == 3);
  }
}

TEST_CASE("append: sequence numbers and versions") {
  Fixture f;
  auto a = f.store->append(ev("a.b"));  // the global log
  REQUIRE(a.ok());
  CHECK(a.first_seq == 1);
  CHECK(a.stream_version == 0);
  auto b = f.store->append("s", evs(2, "s"));
  REQUIRE(b.ok());
  CHECK(b.first_seq == 2);
  CHECK(b.last_seq == 3);
  CHECK(b.stream_version == 2);
  auto page = f.store->read_all(1);
  REQUIRE(page.ok());
  CHECK(seqs(*page) == std::vector<uint64_t>{1, 2, 3});
  CHECK(versions(*page) == std::vector<uint64_t>{0, 1, 2});
  // The stream field was filled in.
  CHECK(page->events[1].event->stream() == "s");

  SECTION("numbering continues after a reopen") {
    auto opts = f.store->options();
    f.store.reset();
    f.store = open_store(opts);
    auto c = f.store->append("s", evs(1, "s"), ExpectedVersion::exact(2));
    REQUIRE(c.ok());
    CHECK(c.first_seq == 4);
    CHECK(c.stream_version == 3);
  }
}

TEST_CASE("append: bad input") {
  Fixture f;
  CHECK(f.store->append("s", std::vector<EventPtr>{}).status.is(StatusCode::kInvalidArgument));
  CHECK(f.store->append("", evs(1), ExpectedVersion::exact(1))
            .status.is(StatusCode::kInvalidArgument));
  CHECK(f.store->append("$system", evs(1)).status.is(StatusCode::kInvalidArgument));
  CHECK(f.store->append(std::string("bad\nname"), evs(1)).status.is(StatusCode::kInvalidArgument));
  CHECK(f.store->append(std::string(256, 'x'), evs(1)).status.is(StatusCode::kInvalidArgument));
  CHECK(f.store->append(EventPtr()).status.is(StatusCode::kInvalidArgument));
  std::vector<EventPtr> with_null{ev(), EventPtr()};
  CHECK(f.store->append("", with_null).status.is(StatusCode::kInvalidArgument));
  // Events naming a stream cannot go to the global log.
  auto r = f.store->append("", evs(1, "s"));
  CHECK(r.status.is(StatusCode::kInvalidArgument));
  CHECK(r.status.message().find("'s'") != std::string::npos);
  // Nothing of the above was stored.
  CHECK(f.store->read_all(1)->events.empty());
}

TEST_CASE("append: async appends from many threads all complete - in a few transactions") {
  Fixture f;
  constexpr int kThreads = 8, kPerThread = 500;
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto e = ev("load.t" + std::to_string(t), "stream-" + std::to_string(i % 10));
        f.store->append_async(e,
                              [&](const AppendResult& r) { (r.ok() ? ok : failed).fetch_add(1); });
      }
    });
  }
  for (auto& t : threads)
    t.join();
  REQUIRE(f.store->append(ev()).ok());  // the queue is FIFO: everything before it is done
  CHECK(ok.load() == kThreads * kPerThread);
  CHECK(failed.load() == 0);
  auto st = f.store->stats();
  REQUIRE(st.ok());
  CHECK(st->last_seq == kThreads * kPerThread + 1);
  CHECK(st->transactions < static_cast<uint64_t>(kThreads * kPerThread));  // group commit
  // Every stream's versions are dense.
  for (int s = 0; s < 10; ++s) {
    auto info = f.store->stream_info("stream-" + std::to_string(s));
    REQUIRE(info.ok());
    CHECK(info->version == kThreads * kPerThread / 10);
    CHECK(info->event_count == info->version);
  }
}

TEST_CASE("append: durability policies all complete appends") {
  for (Durability d : {Durability::kAlways, Durability::kInterval, Durability::kNone}) {
    TempDir dir;
    auto o = options_for(dir);
    o.durability = d;
    o.sync_interval = std::chrono::milliseconds(5);
    auto store = open_store(o);
    std::atomic<int> done{0}, failed{0};
    for (int i = 0; i < 100; ++i)
      store->append_async(ev(), [&](const AppendResult& r) {
        if (!r.ok()) failed.fetch_add(1);  // (no Catch2 assertions off the test's thread)
        done.fetch_add(1);
      });
    auto r = store->append(ev());
    REQUIRE(r.ok());
    CHECK(done.load() == 100);
    CHECK(failed.load() == 0);
    CHECK(store->durable_seq() == 101);
    if (d == Durability::kInterval) CHECK(store->stats()->syncs >= 1);
    store->close();
    // A closed store refuses appends.
    CHECK(store->append(ev()).status.is(StatusCode::kUnavailable));
  }
}

TEST_CASE(
    "append: with always - completions in commit order, each already durable, none lost at close") {
  // The syncer completes commits while the writer runs the next ones and
  // grows the map (1 MiB at first; ~6 MB are written here).
  TempDir dir;
  auto o = options_for(dir);
  o.durability = Durability::kAlways;
  o.map_growth = 2u << 20;
  auto store = open_store(o);
  std::mutex mu;
  std::vector<std::pair<uint64_t, uint64_t>> batches;  // listener: (first, last)
  store->add_commit_listener([&](const std::shared_ptr<const CommittedBatch>& b) {
    std::lock_guard lock(mu);
    batches.emplace_back(b->first_seq, b->last_seq);
  });
  std::atomic<int> done{0}, failed{0}, not_durable{0}, out_of_order{0};
  std::atomic<uint64_t> last_completed{0};
  constexpr int kThreads = 4, kPerThread = 400;
  const std::string payload = "\"" + std::string(3000, 'p') + "\"";
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) {
        EvSpec spec;
        spec.data = payload;
        store->append_async(make_ev(spec), [&](const AppendResult& r) {
          if (!r.ok()) {
            failed.fetch_add(1);
          } else {
            if (store->durable_seq() < r.last_seq) not_durable.fetch_add(1);
            // Completions run one at a time, in commit order.
            if (r.last_seq <= last_completed.exchange(r.last_seq)) out_of_order.fetch_add(1);
          }
          done.fetch_add(1);
        });
      }
    });
  }
  for (auto& t : threads)
    t.join();
  constexpr uint64_t kTotal = kThreads * kPerThread;
  store->close();  // completes everything queued before it returns
  CHECK(done.load() == static_cast<int>(kTotal));
  CHECK(failed.load() == 0);
  CHECK(not_durable.load() == 0);
  CHECK(out_of_order.load() == 0);
  CHECK(last_completed.load() == kTotal);
  {
    std::lock_guard lock(mu);
    REQUIRE(!batches.empty());
    uint64_t next = 1;
    for (const auto& [first, last] : batches) {
      CHECK(first == next);
      next = last + 1;
    }
    CHECK(next == kTotal + 1);
  }
  // Reopened: every acknowledged event is there, in a map grown on the way.
  auto again = open_store(o);
  auto st = again->stats();
  REQUIRE(st.ok());
  CHECK(st->last_seq == kTotal);
  CHECK(st->map_size > o.map_initial);
}

TEST_CASE("append: the map grows by itself") {
  TempDir dir;
  auto o = options_for(dir);
  o.map_initial = 1u << 20;
  o.map_growth = 4u << 20;
  auto store = open_store(o);
  const uint64_t before = store->stats()->map_size;
  std::string big(8000, 'x');
  std::vector<EventPtr> batch;
  for (int i = 0; i < 400; ++i) {  // ~3.2 MB: more than the initial map
    EvSpec s;
    s.data = "\"" + big + "\"";
    batch.push_back(make_ev(s));
  }
  auto r = store->append("", batch);
  INFO(r.status.to_string());
  REQUIRE(r.ok());
  auto st = store->stats();
  CHECK(st->map_size > before);
  CHECK(st->map_growths >= 1);
  CHECK(store->read_all(1, Direction::kForward, 1000)->events.size() == 400);

  SECTION("up to the maximum, then a clear error naming the path") {
    store.reset();
    o.map_max = st->map_size;
    store = open_store(o);
    AppendResult full;
    for (int i = 0; i < 20 && full.ok(); ++i) {
      std::vector<EventPtr> more;
      for (int j = 0; j < 400; ++j) {
        EvSpec s;
        s.data = "\"" + big + "\"";
        more.push_back(make_ev(s));
      }
      full = store->append("", more);
    }
    CHECK(full.status.is(StatusCode::kResourceExhausted));
    CHECK(full.status.message().find(o.path) != std::string::npos);
    // The store still works for what fits, and lost nothing.
    CHECK(store->read_all(1, Direction::kForward, 1000)->events.size() >= 400);
    CHECK(store->append(ev()).ok());
  }
}
