// Reads by every index: streams (forward, backward, paging, deleted),
// the global log, correlation timelines, types and type patterns, time
// ranges, stream information.
#include <algorithm>
#include <map>

#include "store_test_util.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;

namespace {

// Reads a whole query page by page; `read(from)` returns one page.
template <typename Fn>
std::vector<uint64_t> drain(uint64_t from, Fn&& read, size_t* pages = nullptr) {
  std::vector<uint64_t> out;
  for (size_t n = 0; n < 1000; ++n) {
    auto page = read(from);
    INFO(page.status().to_string());
    REQUIRE(page.ok());
    for (const auto& e : page->events)
      out.push_back(e.seq);
    if (pages) ++*pages;
    if (page->end) break;
    from = page->next;
  }
  return out;
}

std::vector<uint64_t> range(uint64_t a, uint64_t b) {  // [a, b]
  std::vector<uint64_t> v;
  for (uint64_t i = a; i <= b; ++i)
    v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("read: a stream forward and backward - with paging") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->append("other", evs(3, "other")).ok());       // seqs 1..3
  REQUIRE(store->append("order-1", evs(25, "order-1")).ok());  // seqs 4..28, versions 1..25

  auto all = store->read_stream("order-1", 1, Direction::kForward, 100);
  REQUIRE(all.ok());
  CHECK(versions(*all) == range(1, 25));
  CHECK(all->end);

  size_t pages = 0;
  auto fwd = drain(
      1,
      [&](uint64_t from) { return store->read_stream("order-1", from, Direction::kForward, 10); },
      &pages);
  CHECK(fwd == range(4, 28));
  CHECK(pages == 3);

  auto page = store->read_stream("order-1", 20, Direction::kForward, 3);
  REQUIRE(page.ok());
  CHECK(versions(*page) == std::vector<uint64_t>{20, 21, 22});
  CHECK_FALSE(page->end);
  CHECK(page->next == 23);

  auto back = store->read_stream("order-1", kEnd, Direction::kBackward, 4);
  REQUIRE(back.ok());
  CHECK(versions(*back) == std::vector<uint64_t>{25, 24, 23, 22});
  CHECK(back->next == 21);
  auto back_all = drain(kEnd, [&](uint64_t from) {
    return store->read_stream("order-1", from, Direction::kBackward, 7);
  });
  auto expected = range(4, 28);
  std::reverse(expected.begin(), expected.end());
  CHECK(back_all == expected);

  auto from5 = store->read_stream("order-1", 5, Direction::kBackward, 100);
  CHECK(versions(*from5) == std::vector<uint64_t>{5, 4, 3, 2, 1});

  // Past the end, and an unknown stream.
  auto past = store->read_stream("order-1", 26, Direction::kForward, 10);
  REQUIRE(past.ok());
  CHECK(past->events.empty());
  CHECK(past->end);
  auto missing = store->read_stream("nope", 1);
  CHECK(missing.status().is(StatusCode::kNotFound));
  CHECK(missing.status().message().find("'nope'") != std::string::npos);
}

TEST_CASE("read: the global log from a position - both directions") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->append("", evs(30)).ok());
  CHECK(drain(1, [&](uint64_t from) { return store->read_all(from, Direction::kForward, 8); }) ==
        range(1, 30));
  CHECK(drain(11, [&](uint64_t from) { return store->read_all(from, Direction::kForward, 8); }) ==
        range(11, 30));
  auto back =
      drain(kEnd, [&](uint64_t from) { return store->read_all(from, Direction::kBackward, 8); });
  REQUIRE(back.size() == 30);
  CHECK(back.front() == 30);
  CHECK(back.back() == 1);
  auto at0 = store->read_all(0, Direction::kForward, 5);
  CHECK(seqs(*at0) == range(1, 5));
}

TEST_CASE("read: a correlation timeline in order - across streams and the global log") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  std::vector<uint64_t> want;
  for (int i = 0; i < 12; ++i) {
    EvSpec s;
    s.correlation = i % 3 == 0 ? "op-7" : "op-8";
    s.stream = i % 2 ? "a" : "";
    auto r = store->append(make_ev(s));
    REQUIRE(r.ok());
    if (s.correlation == "op-7") want.push_back(r.first_seq);
  }
  // "op-7x" shares a prefix: it must not leak into op-7's timeline.
  EvSpec s;
  s.correlation = "op-7x";
  REQUIRE(store->append(make_ev(s)).ok());
  CHECK(drain(0, [&](uint64_t from) {
          return store->read_correlation("op-7", from, Direction::kForward, 2);
        }) == want);
  auto back = store->read_correlation("op-7", kEnd, Direction::kBackward, 100);
  REQUIRE(back.ok());
  auto rev = want;
  std::reverse(rev.begin(), rev.end());
  CHECK(seqs(*back) == rev);
  CHECK(store->read_correlation("none", 0)->events.empty());
  CHECK(store->read_correlation("", 0).status().is(StatusCode::kInvalidArgument));
}

TEST_CASE("read: by type and by type pattern") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  // 40 events over 4 types, interleaved.
  const char* types[] = {"order.created", "order.paid", "order.item.added", "user.created"};
  std::map<std::string, std::vector<uint64_t>> by_type;
  for (int i = 0; i < 40; ++i) {
    auto r = store->append(ev(types[i % 4]));
    REQUIRE(r.ok());
    by_type[types[i % 4]].push_back(r.first_seq);
  }
  auto read = [&](const std::string& p, size_t page) {
    return drain(
        0, [&](uint64_t from) { return store->read_types(p, from, Direction::kForward, page); });
  };
  CHECK(read("order.paid", 3) == by_type["order.paid"]);
  auto star = by_type["order.created"];
  star.insert(star.end(), by_type["order.paid"].begin(), by_type["order.paid"].end());
  std::sort(star.begin(), star.end());
  CHECK(read("order.*", 4) == star);  // merged in seq order, not order.item.added
  auto all_orders = star;
  all_orders.insert(all_orders.end(), by_type["order.item.added"].begin(),
                    by_type["order.item.added"].end());
  std::sort(all_orders.begin(), all_orders.end());
  CHECK(read("order.**", 7) == all_orders);
  CHECK(read("*.created", 5).size() == 20);
  CHECK(read("nothing.here", 5).empty());

  auto back = store->read_types("order.*", kEnd, Direction::kBackward, 3);
  REQUIRE(back.ok());
  CHECK(seqs(*back) ==
        std::vector<uint64_t>{star[star.size() - 1], star[star.size() - 2], star[star.size() - 3]});

  CHECK(store->read_types("Bad Pattern", 0).status().is(StatusCode::kInvalidArgument));

  SECTION("a pattern over many types scans the log and agrees with the merge") {
    for (int i = 0; i < 30; ++i)
      REQUIRE(store->append(ev("many.t" + std::to_string(i))).ok());
    auto r = read("many.*", 7);
    CHECK(r.size() == 30);
    CHECK(std::is_sorted(r.begin(), r.end()));
  }
}

TEST_CASE("read: a time range - paged by (time - seq)") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  const int64_t t0 = 1'700'000'000'000'000'000;
  // Times out of order, some equal.
  const int64_t offsets[] = {5, 1, 3, 3, 9, 0, 7, 3, 2, 8};
  for (int64_t off : offsets) {
    EvSpec s;
    s.time_ns = t0 + off * 1000;
    REQUIRE(store->append(make_ev(s)).ok());
  }
  std::vector<int64_t> got;
  int64_t start_ns = t0 + 2000;
  uint64_t start_seq = 0;
  for (int i = 0; i < 20; ++i) {
    auto page = store->read_time(t0 + 2000, t0 + 8000, start_ns, start_seq, Direction::kForward, 2);
    REQUIRE(page.ok());
    for (auto& e : page->events)
      got.push_back((e.event->time_ns() - t0) / 1000);
    if (page->end) break;
    start_ns = page->next_time_ns;
    start_seq = page->next;
  }
  CHECK(got == std::vector<int64_t>{2, 3, 3, 3, 5, 7});  // [2, 8)

  auto back = store->read_time(t0, t0 + 100000, t0 + 100000, 0, Direction::kBackward, 3);
  REQUIRE(back.ok());
  std::vector<int64_t> b;
  for (auto& e : back->events)
    b.push_back((e.event->time_ns() - t0) / 1000);
  CHECK(b == std::vector<int64_t>{9, 8, 7});
  CHECK(store->read_time(t0 + 5, t0 + 5, 0, 0)->events.empty());
}

TEST_CASE("read: stream information") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  const int64_t t0 = 1'700'000'000'000'000'000;
  std::vector<EventPtr> batch;
  for (int i = 0; i < 5; ++i) {
    EvSpec s;
    s.stream = "acct";
    s.time_ns = t0 + i;
    batch.push_back(make_ev(s));
  }
  REQUIRE(store->append("acct", batch).ok());
  auto info = store->stream_info("acct");
  REQUIRE(info.ok());
  CHECK(info->name == "acct");
  CHECK(info->version == 5);
  CHECK(info->first_version == 1);
  CHECK(info->event_count == 5);
  CHECK(info->first_time_ns == t0);
  CHECK(info->last_time_ns == t0 + 4);
  CHECK_FALSE(info->deleted);
  CHECK(info->created_ns > 0);
  CHECK(store->stream_info("missing").status().is(StatusCode::kNotFound));
}

TEST_CASE("read: a soft-deleted stream reads empty - its version continues") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->append("cart", evs(4, "cart")).ok());
  CHECK(store->delete_stream("cart", ExpectedVersion::exact(3)).is(StatusCode::kConflict));
  REQUIRE(store->delete_stream("cart", ExpectedVersion::exact(4)).ok());
  auto page = store->read_stream("cart", 1);
  REQUIRE(page.ok());
  CHECK(page->events.empty());
  auto info = store->stream_info("cart");
  CHECK(info->deleted);
  CHECK(info->version == 4);
  CHECK(info->event_count == 0);
  // Appending again continues the numbering and clears the flag.
  CHECK(store->append("cart", evs(1, "cart"), ExpectedVersion::no_stream())
            .status.is(StatusCode::kConflict));
  auto r = store->append("cart", evs(2, "cart"), ExpectedVersion::exact(4));
  REQUIRE(r.ok());
  CHECK(r.stream_version == 6);
  page = store->read_stream("cart", 1);
  CHECK(versions(*page) == std::vector<uint64_t>{5, 6});
  CHECK_FALSE(store->stream_info("cart")->deleted);
  // The old events are removed physically by retention.
  auto rep = store->enforce_retention();
  REQUIRE(rep.ok());
  CHECK(rep->events_deleted == 4);
  CHECK(store->read_all(1)->events.size() == 2);
  CHECK(store->delete_stream("nope").is(StatusCode::kNotFound));
}
