// Consumer groups: ack, nack, ack timeout, delivery counts, max deliveries to
// the dead-letter stream, claim, drop, members sharing work, stream groups,
// restart with pending entries, blocking reads.
#include <set>
#include <thread>

#include "store_test_util.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

std::vector<uint64_t> seqs_of(const std::vector<GroupMessage>& d) {
  std::vector<uint64_t> v;
  for (const auto& x : d)
    v.push_back(x.event.seq);
  return v;
}

GroupOptions types_group(std::string name, std::string pattern) {
  GroupOptions g;
  g.name = std::move(name);
  g.type_pattern = std::move(pattern);
  return g;
}

}  // namespace

TEST_CASE("groups: read - ack - pending - new events only once per group") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  for (int i = 0; i < 10; ++i)
    REQUIRE(store->append(ev(i % 2 ? "order.paid" : "user.created")).ok());
  auto g = store->consumer_group(types_group("billing", "order.*"));
  REQUIRE(g.ok());
  auto first = (*g)->read("w1", 3);
  REQUIRE(first.ok());
  CHECK(seqs_of(*first) == std::vector<uint64_t>{2, 4, 6});
  for (auto& d : *first) {
    CHECK(d.deliveries == 1);
    CHECK(d.event.event->type() == "order.paid");
  }
  auto second = (*g)->read("w2", 10);
  CHECK(seqs_of(*second) == std::vector<uint64_t>{8, 10});
  CHECK((*g)->read("w1", 10)->empty());

  auto pending = (*g)->pending();
  REQUIRE(pending.ok());
  CHECK(pending->size() == 5);
  CHECK((*g)->pending("w2")->size() == 2);
  CHECK((*g)->info()->pending == 5);

  std::vector<uint64_t> acks{2, 4, 99};
  auto acked = (*g)->ack(acks);
  REQUIRE(acked.ok());
  CHECK(*acked == 2);  // 99 was never pending
  CHECK((*g)->pending()->size() == 3);
  CHECK((*g)->info()->pending == 3);
  CHECK((*g)->info()->cursor == 10);

  // A second group over the same events has its own cursor.
  auto other = store->consumer_group(types_group("audit", "order.*"));
  CHECK(seqs_of(*(*other)->read("a", 100)) == std::vector<uint64_t>{2, 4, 6, 8, 10});
  // Opening a group with a different source is a conflict.
  CHECK(store->consumer_group(types_group("billing", "user.*")).status().is(StatusCode::kConflict));
}

TEST_CASE("groups: nack re-delivers at once to any member with a delivery count") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->append("", evs(3, "", "job.run")).ok());
  auto g = store->consumer_group(types_group("workers", "job.*"));
  REQUIRE(g.ok());
  auto d = (*g)->read("w1", 3);
  REQUIRE(d->size() == 3);
  std::vector<uint64_t> n{2};
  CHECK(*(*g)->nack(n, "transient") == 1);
  auto again = (*g)->read("w2", 10);
  REQUIRE(again.ok());
  REQUIRE(again->size() == 1);
  CHECK((*again)[0].event.seq == 2);
  CHECK((*again)[0].deliveries == 2);
  auto p = (*g)->pending("w2");
  REQUIRE(p->size() == 1);
  CHECK((*p)[0].consumer == "w2");
  CHECK((*p)[0].deliveries == 2);
}

TEST_CASE("groups: ack timeout re-delivers - max deliveries dead-letters with the reason") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->append("", evs(2, "", "job.run")).ok());
  GroupOptions o = types_group("slow", "job.*");
  o.ack_timeout = 50ms;
  o.max_deliveries = 3;
  auto g = store->consumer_group(o);
  REQUIRE(g.ok());
  auto d1 = (*g)->read("w1", 10);
  REQUIRE(d1->size() == 2);
  std::vector<uint64_t> ack1{1};
  REQUIRE((*g)->ack(ack1).ok());
  // seq 2 is never acked: after each timeout it comes back, counting.
  for (uint32_t expect = 2; expect <= 3; ++expect) {
    auto d = (*g)->read(expect == 2 ? "w2" : "w3", 10, 20s);  // waits for the timeout
    REQUIRE(d.ok());
    REQUIRE(d->size() == 1);
    CHECK((*d)[0].event.seq == 2);
    CHECK((*d)[0].deliveries == expect);
  }
  // The third timeout reaches max deliveries: dead letter, no delivery.
  // The read waits past the timeout, finds nothing to hand out and returns empty.
  ReadPage dl;
  for (int i = 0; i < 100 && dl.events.empty(); ++i) {
    auto d = (*g)->read("w4", 10, 200ms);
    REQUIRE(d.ok());
    CHECK(d->empty());
    auto page = store->read_stream("$dead-letters", 1);
    if (page.ok()) dl = *page;
  }
  REQUIRE(dl.events.size() == 1);
  const Event& e = *dl.events[0].event;
  CHECK(e.type() == "chorus.dead_letter");
  auto parsed = parse_dead_letter(e);
  REQUIRE(parsed.ok());
  CHECK(parsed->info.reason == "max deliveries (3) reached: ack timeout");
  CHECK(parsed->info.subscriber == "group:slow/consumer:w3");
  CHECK(parsed->info.attempts == 3);
  CHECK(parsed->info.original_seq == 2);
  CHECK(parsed->original->id() == d1->at(1).event.event->id());
  CHECK(*parsed->original == *d1->at(1).event.event);
  CHECK((*g)->pending()->empty());
}

TEST_CASE("groups: nack at max deliveries dead-letters with the nack reason") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->append(ev("job.run")).ok());
  GroupOptions o = types_group("strict", "job.run");
  o.max_deliveries = 1;
  auto g = store->consumer_group(o);
  REQUIRE((*g)->read("w", 1)->size() == 1);
  std::vector<uint64_t> n{1};
  REQUIRE((*g)->nack(n, "bad payload").ok());
  auto dl = store->read_stream("$dead-letters", 1);
  REQUIRE(dl.ok());
  REQUIRE(dl->events.size() == 1);
  CHECK(parse_dead_letter(*dl->events[0].event)->info.reason ==
        "max deliveries (1) reached: nacked: bad payload");
  CHECK((*g)->read("w", 1)->empty());
}

TEST_CASE("groups: claim takes over idle entries - drop forgets them") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->append("", evs(4, "", "job.run")).ok());
  auto g = store->consumer_group(types_group("claims", "job.run"));
  REQUIRE((*g)->read("dead-worker", 4)->size() == 4);
  std::vector<uint64_t> want{1, 3};
  // Not idle long enough: nothing is claimed.
  CHECK((*g)->claim("w2", 1h, want)->empty());
  auto got = (*g)->claim("w2", 0ms, want);
  REQUIRE(got.ok());
  CHECK(seqs_of(*got) == want);
  CHECK((*got)[0].deliveries == 2);
  CHECK((*g)->pending("w2")->size() == 2);
  CHECK((*g)->pending("dead-worker")->size() == 2);
  std::vector<uint64_t> d{2, 4};
  CHECK(*(*g)->drop(d) == 2);
  CHECK((*g)->pending("dead-worker")->empty());
  CHECK(store->read_stream("$dead-letters", 1).status().is(StatusCode::kNotFound));
}

TEST_CASE("groups: members share the work - every event is handed out once") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->append("", evs(2000, "", "work.item")).ok());
  auto g = store->consumer_group(types_group("pool", "work.*"));
  REQUIRE(g.ok());
  std::mutex mu;
  std::vector<uint64_t> all;
  std::atomic<int> errors{0};
  std::vector<std::thread> members;
  for (int m = 0; m < 4; ++m) {
    members.emplace_back([&, m] {
      for (;;) {
        auto d = (*g)->read("m" + std::to_string(m), 37);
        if (!d.ok()) {
          errors.fetch_add(1);
          return;
        }
        if (d->empty()) return;
        std::vector<uint64_t> s = seqs_of(*d);
        if (!(*g)->ack(s).ok()) errors.fetch_add(1);
        std::lock_guard lock(mu);
        all.insert(all.end(), s.begin(), s.end());
      }
    });
  }
  for (auto& t : members)
    t.join();
  CHECK(errors.load() == 0);
  REQUIRE(all.size() == 2000);
  CHECK(std::set<uint64_t>(all.begin(), all.end()).size() == 2000);
  CHECK((*g)->pending()->empty());
}

TEST_CASE("groups: over a stream - starting at the end - with ack_and_read") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->append("orders", evs(5, "orders")).ok());
  GroupOptions o;
  o.name = "tail";
  o.stream = "orders";
  o.start = GroupOptions::Start::kEnd;
  auto g = store->consumer_group(o);
  REQUIRE(g.ok());
  CHECK((*g)->read("w", 10)->empty());
  REQUIRE(store->append("orders", evs(3, "orders")).ok());
  REQUIRE(store->append("", evs(3)).ok());  // not in the stream
  auto d = (*g)->read("w", 2);
  REQUIRE(d->size() == 2);
  CHECK(d->at(0).event.stream_version == 6);
  auto s = seqs_of(*d);
  auto next = (*g)->ack_and_read(s, "w", 10);
  REQUIRE(next.ok());
  REQUIRE(next->size() == 1);
  CHECK(next->at(0).event.stream_version == 8);
  CHECK((*g)->pending()->size() == 1);
  CHECK((*g)->info()->cursor == 8);
  CHECK((*g)->info()->stream_source);
}

TEST_CASE("groups: cursor and pending entries survive a restart") {
  TempDir dir;
  auto opts = options_for(dir);
  uint64_t pending_seq = 0;
  {
    auto store = open_store(opts);
    REQUIRE(store->append("", evs(6, "", "job.run")).ok());
    GroupOptions o = types_group("durable", "job.run");
    o.ack_timeout = 1h;
    auto g = store->consumer_group(o);
    auto d = (*g)->read("w1", 4);
    REQUIRE(d->size() == 4);
    std::vector<uint64_t> acks{1, 2, 4};
    REQUIRE((*g)->ack(acks).ok());
    pending_seq = 3;
    std::vector<uint64_t> n{};  // nothing nacked
    (void)n;
  }
  auto store = open_store(opts);
  auto g = store->consumer_group(types_group("durable", "job.run"));
  REQUIRE(g.ok());
  auto info = (*g)->info();
  CHECK(info->cursor == 4);
  CHECK(info->pending == 1);
  CHECK(info->ack_timeout == 1h);  // kept from the first open
  auto p = (*g)->pending();
  REQUIRE(p->size() == 1);
  CHECK((*p)[0].seq == pending_seq);
  CHECK((*p)[0].consumer == "w1");
  // New reads continue after the cursor; the pending one is not due yet.
  CHECK(seqs_of(*(*g)->read("w2", 10)) == std::vector<uint64_t>{5, 6});

  SECTION("a nacked entry is re-delivered at once after a restart too") {
    std::vector<uint64_t> n{3};
    REQUIRE((*g)->nack(n).ok());
    g->reset();
    store.reset();
    store = open_store(opts);
    auto g2 = store->consumer_group(types_group("durable", "job.run"));
    auto d = (*g2)->read("w3", 10);
    REQUIRE(d->size() == 1);
    CHECK(d->at(0).event.seq == 3);
    CHECK(d->at(0).deliveries == 2);
  }
}

TEST_CASE("groups: a blocking read wakes up for a new event") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  auto g = store->consumer_group(types_group("waiters", "ping.*"));
  REQUIRE(g.ok());
  std::atomic<size_t> got{0};
  std::thread reader([&] {
    auto d = (*g)->read("w", 10, 30s);
    if (d.ok()) got.store(d->size());
  });
  REQUIRE(store->append(ev("other.thing")).ok());  // wakes it, nothing for it
  REQUIRE(store->append(ev("ping.pong")).ok());
  reader.join();
  CHECK(got.load() == 1);
}

TEST_CASE("groups: bad options") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  GroupOptions o;
  o.name = "x";
  CHECK(store->consumer_group(o).status().is(StatusCode::kInvalidArgument));  // no source
  o.type_pattern = "a.*";
  o.stream = "s";
  CHECK(store->consumer_group(o).status().is(StatusCode::kInvalidArgument));  // both
  o.stream.clear();
  o.name = "bad name";
  CHECK(store->consumer_group(o).status().is(StatusCode::kInvalidArgument));
  o.name = "ok";
  o.type_pattern = "A.B";
  CHECK(store->consumer_group(o).status().is(StatusCode::kInvalidArgument));
  o.type_pattern = "a.b";
  auto g = store->consumer_group(o);
  REQUIRE(g.ok());
  CHECK((*g)->read("bad consumer", 1).status().is(StatusCode::kInvalidArgument));
}
