// The DeadLetterStore contract (bus/dead_letters.h), run against both
// implementations: the bus's bounded MemoryDeadLetterStore and the runtime's
// StoreDeadLetters over a real LMDB store ($dead-letters and
// $dead-letters-resolved). Whatever the bus or the admin API sees must not
// depend on which one the host was built with.
#include <memory>
#include <string>

#include <catch2/catch.hpp>

#include "bus/dead_letters.h"
#include "runtime/store_bridge.h"
#include "store/event_store.h"
#include "support/events.h"
#include "support/temp_dir.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

// Owns whatever the store under test needs and hands out the interface.
struct MemoryFixture {
  static constexpr const char* kName = "memory";
  bus::MemoryDeadLetterStore dls{1000};
  bus::DeadLetterStore& store() { return dls; }
};

struct LmdbFixture {
  static constexpr const char* kName = "store";
  TempDir dir;
  std::unique_ptr<store::EventStore> es;
  std::unique_ptr<runtime::StoreDeadLetters> dls;
  LmdbFixture() {
    store::StoreOptions o;
    o.path = dir.file("store");
    o.durability = store::Durability::kNone;
    o.retention_interval = 0ms;
    auto s = store::EventStore::open(o);
    REQUIRE(s.ok());
    es = std::move(*s);
    auto d = runtime::StoreDeadLetters::open(*es);
    REQUIRE(d.ok());
    dls = std::move(*d);
  }
  bus::DeadLetterStore& store() { return *dls; }
};

bus::DeadLetter dead_letter(const std::string& type, const std::string& subscriber,
                            uint32_t attempts) {
  bus::DeadLetter dl;
  dl.event = make_event(type);
  dl.subscriber_id = subscriber;
  dl.reason = "boom: " + type;
  dl.attempts = attempts;
  dl.time_ns = 1'700'000'000'000'000'000;
  return dl;
}

}  // namespace

TEMPLATE_TEST_CASE("dead-letter store contract: add, get, list in order, take once", "",
                   MemoryFixture, LmdbFixture) {
  TestType f;
  bus::DeadLetterStore& s = f.store();
  INFO("store: " << TestType::kName);
  CHECK(s.size() == 0);
  CHECK(s.list({}).empty());

  auto a = s.add(dead_letter("job.a", "worker-1", 3));
  auto b = s.add(dead_letter("job.b", "worker-2", 1));
  auto c = s.add(dead_letter("job.c", "worker-1", 0));
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(c.ok());
  CHECK(*a < *b);  // ids increase
  CHECK(*b < *c);
  CHECK(s.size() == 3);
  CHECK(s.evicted() == 0);

  // get returns what was added, with the id the store assigned.
  auto got = s.get(*a);
  REQUIRE(got.has_value());
  CHECK(got->id == *a);
  CHECK(got->event->type() == "job.a");
  CHECK(got->subscriber_id == "worker-1");
  CHECK(got->reason == "boom: job.a");
  CHECK(got->attempts == 3);
  CHECK_FALSE(s.get(*c + 1000).has_value());

  // list: oldest first, filtered by subscriber, paged by after_id and limit.
  auto all = s.list({});
  REQUIRE(all.size() == 3);
  CHECK(all[0].id == *a);
  CHECK(all[1].id == *b);
  CHECK(all[2].id == *c);
  bus::DeadLetterQuery by_worker1;
  by_worker1.subscriber_id = "worker-1";
  auto w1 = s.list(by_worker1);
  REQUIRE(w1.size() == 2);
  CHECK(w1[0].event->type() == "job.a");
  CHECK(w1[1].event->type() == "job.c");
  bus::DeadLetterQuery page;
  page.after_id = *a;
  page.limit = 1;
  auto p = s.list(page);
  REQUIRE(p.size() == 1);
  CHECK(p[0].id == *b);

  // take removes it once; a second take and a get find nothing.
  auto taken = s.take(*b);
  REQUIRE(taken.has_value());
  CHECK(taken->event->type() == "job.b");
  CHECK(taken->subscriber_id == "worker-2");
  CHECK_FALSE(s.take(*b).has_value());
  CHECK_FALSE(s.get(*b).has_value());
  CHECK_FALSE(s.take(*c + 1000).has_value());
  CHECK(s.size() == 2);
  auto rest = s.list({});
  REQUIRE(rest.size() == 2);
  CHECK(rest[0].id == *a);
  CHECK(rest[1].id == *c);

  // Ids are not reused after a take.
  auto d = s.add(dead_letter("job.d", "worker-3", 2));
  REQUIRE(d.ok());
  CHECK(*d > *c);
  CHECK(s.size() == 3);
}
