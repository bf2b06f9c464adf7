// The store's public surface on its own: this file includes only
// "store/event_store.h" (besides the test framework) and is built in a
// target whose include path puts an #error-ing <lmdb.h> and an #error-ing
// copy of every private header (host/store/internal/) first
// (tests/CMakeLists.txt, store_public_tests). So it compiles only while
// the public headers need neither LMDB nor the store's internals; the test
// then uses the types they declare against a real store.
#include <catch2/catch.hpp>

#include "store/event_store.h"
#include "support/temp_dir.h"

using namespace chorus;
using namespace chorus::store;
using chorus::test::TempDir;

namespace {

EventPtr event(std::string type, std::string stream = {}) {
  EventBuilder b(std::move(type));
  b.source("test").data(R"({"n":1})");
  if (!stream.empty()) b.stream(stream);
  auto e = b.build();
  REQUIRE(e.ok());
  return *e;
}

}  // namespace

TEST_CASE("public header: a store used through store/event_store.h alone") {
  TempDir dir;
  StoreOptions o;
  o.path = dir.file("store");
  o.retention_interval = std::chrono::milliseconds(0);
  auto opened = EventStore::open(o);
  REQUIRE(opened.ok());
  EventStore& store = **opened;

  // Appends and reads (types.h).
  const std::vector<EventPtr> batch{event("order.placed", "order-1"),
                                    event("order.paid", "order-1")};
  AppendResult r = store.append("order-1", batch, ExpectedVersion::no_stream());
  REQUIRE(r.ok());
  CHECK(r.stream_version == 2);
  Result<ReadPage> page = store.read_stream("order-1", 1, Direction::kForward, 10);
  REQUIRE(page.ok());
  REQUIRE(page->events.size() == 2);
  CHECK(page->events[1].event->type() == "order.paid");
  Result<StreamInfo> info = store.stream_info("order-1");
  REQUIRE(info.ok());
  CHECK(info->event_count == 2);

  // The raw scan that replaced EventStore::reader().
  size_t records = 0;
  Result<uint64_t> next = store.scan_raw(1, 100, [&](uint64_t seq, uint64_t, std::string_view rec) {
    CHECK(seq == records + 1);
    CHECK_FALSE(rec.empty());
    ++records;
  });
  REQUIRE(next.ok());
  CHECK(*next == 3);
  CHECK(records == 2);

  // Consumer groups (consumer_group.h).
  GroupOptions g;
  g.name = "billing";
  g.type_pattern = "order.*";
  auto group = store.consumer_group(g);
  REQUIRE(group.ok());
  Result<std::vector<GroupMessage>> got = (*group)->read("w1", 10);
  REQUIRE(got.ok());
  REQUIRE(got->size() == 2);
  CHECK((*got)[0].deliveries == 1);
  const uint64_t seqs[] = {(*got)[0].event.seq, (*got)[1].event.seq};
  CHECK(*(*group)->ack(seqs) == 2);

  // Snapshots (types.h Snapshot, Fold, RebuiltState).
  REQUIRE(store.save_snapshot("order-1", 1, "one").ok());
  Fold count = [](std::string& state, const StoredEvent&) {
    state += "+";
    return Status::OK();
  };
  Result<RebuiltState> state = store.state_as_of("order-1", 2, count);
  REQUIRE(state.ok());
  CHECK(state->state == "one+");

  // Dead letters (dead_letter.h).
  DeadLetterInfo why;
  why.reason = "boom";
  AppendResult dl = store.append_dead_letter(*batch[0], why);
  REQUIRE(dl.ok());
  Result<ReadPage> dls = store.read_stream(kDeadLetterStream, 1, Direction::kForward, 1);
  REQUIRE(dls.ok());
  REQUIRE(dls->events.size() == 1);
  Result<StoredDeadLetter> parsed = parse_dead_letter(*dls->events[0].event);
  REQUIRE(parsed.ok());
  CHECK(parsed->info.reason == "boom");
  CHECK(parsed->original->id() == batch[0]->id());

  Result<StoreStats> stats = store.stats();
  REQUIRE(stats.ok());
  CHECK(stats->last_seq == dls->events[0].seq);

  // Resolving it (dead_letter.h Resolution, ResolveOutcome, ResolutionPage).
  Result<ResolveOutcome> resolved =
      store.resolve_dead_letter(dls->events[0].stream_version, Resolution::kDropped, "test");
  REQUIRE(resolved.ok());
  CHECK(*resolved == ResolveOutcome::kResolved);
  Result<ResolutionPage> resolutions = store.read_dead_letter_resolutions();
  REQUIRE(resolutions.ok());
  REQUIRE(resolutions->resolutions.size() == 1);
  CHECK(resolutions->resolutions[0].how == Resolution::kDropped);
  CHECK(resolution_name(resolutions->resolutions[0].how) == "dropped");
}
