// Retention: max count and max age per stream pattern, the global log, every
// index entry removed with its event, numbering never going back.
#include "core/clock.h"
#include "store_test_util.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;
using namespace std::chrono_literals;

TEST_CASE("retention: max count per stream pattern - first matching rule wins") {
  TempDir dir;
  auto o = options_for(dir);
  o.retention = {RetentionRule{"audit-*", 0ms, 1000000}, RetentionRule{"a*", 0ms, 3}};
  o.retention_batch = 2;  // several small transactions
  auto store = open_store(o);
  REQUIRE(store->append("acct", evs(10, "acct")).ok());
  REQUIRE(store->append("audit-1", evs(10, "audit-1")).ok());
  REQUIRE(store->append("zebra", evs(10, "zebra")).ok());
  auto rep = store->enforce_retention();
  REQUIRE(rep.ok());
  CHECK(rep->events_deleted == 7);
  CHECK(rep->streams_truncated == 1);
  CHECK(rep->transactions >= 4);
  auto info = store->stream_info("acct");
  CHECK(info->first_version == 8);
  CHECK(info->version == 10);
  CHECK(info->event_count == 3);
  CHECK(versions(*store->read_stream("acct", 1)) == std::vector<uint64_t>{8, 9, 10});
  CHECK(store->stream_info("audit-1")->event_count == 10);
  CHECK(store->stream_info("zebra")->event_count == 10);
  // Every index forgot the deleted events.
  CHECK(store->read_all(1, Direction::kForward, 100)->events.size() == 23);
  CHECK(store->read_types("test.event", 0, Direction::kForward, 100)->events.size() == 23);
  CHECK(store->read_time(0, INT64_MAX, 0, 0, Direction::kForward, 100)->events.size() == 23);
  auto st = store->stats();
  for (const auto& d : st->databases) {
    if (d.name == "events" || d.name == "event_ids" || d.name == "type_index" ||
        d.name == "time_index")
      CHECK(d.entries == 23);
    if (d.name == "stream_index") CHECK(d.entries == 23);
  }
  // Again: nothing more to do. The version continues.
  CHECK(store->enforce_retention()->events_deleted == 0);
  auto r = store->append("acct", evs(1, "acct"), ExpectedVersion::exact(10));
  REQUIRE(r.ok());
  CHECK(r.stream_version == 11);
}

TEST_CASE("retention: max age") {
  TempDir dir;
  auto o = options_for(dir);
  o.retention = {RetentionRule{"sensor-*", 1h, 0}};
  auto store = open_store(o);
  const int64_t now = wall_clock_ns();
  std::vector<EventPtr> batch;
  for (int i = 0; i < 6; ++i) {
    EvSpec s;
    s.stream = "sensor-1";
    s.correlation = "c";
    s.time_ns = i < 4 ? now - 3'600'000'000'000 * 2 : now;  // 4 old, 2 new
    batch.push_back(make_ev(s));
  }
  REQUIRE(store->append("sensor-1", batch).ok());
  auto rep = store->enforce_retention();
  REQUIRE(rep.ok());
  CHECK(rep->events_deleted == 4);
  CHECK(store->stream_info("sensor-1")->first_version == 5);
  CHECK(store->read_correlation("c")->events.size() == 2);
}

TEST_CASE("retention: the global log - and seqs never reused") {
  TempDir dir;
  auto o = options_for(dir);
  o.retention = {RetentionRule{"$global", 0ms, 5}};
  auto opts = o;
  {
    auto store = open_store(o);
    REQUIRE(store->append("", evs(12)).ok());
    REQUIRE(store->append("keep", evs(3, "keep")).ok());
    auto rep = store->enforce_retention();
    REQUIRE(rep.ok());
    CHECK(rep->events_deleted == 7);
    auto all = store->read_all(1, Direction::kForward, 100);
    CHECK(seqs(*all) == std::vector<uint64_t>{8, 9, 10, 11, 12, 13, 14, 15});
  }
  SECTION("deleting the newest event keeps numbering going after a reopen") {
    // A rule for the stream without limits: it removes nothing by itself,
    // so the soft delete is what empties the stream.
    opts.retention.push_back(RetentionRule{"keep", 0ms, 0});
    auto store = open_store(opts);
    auto idle = store->enforce_retention();
    REQUIRE(idle.ok());
    CHECK(idle->events_deleted == 0);
    CHECK(store->read_stream("keep", 1)->events.size() == 3);
    REQUIRE(store->delete_stream("keep").ok());
    auto rep = store->enforce_retention();
    REQUIRE(rep.ok());
    CHECK(rep->events_deleted == 3);
    CHECK(store->read_all(1)->events.back().seq == 12);
    store.reset();
    store = open_store(opts);
    auto r = store->append(ev());
    REQUIRE(r.ok());
    CHECK(r.first_seq == 16);
  }
}
