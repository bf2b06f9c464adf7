// Snapshots: save/load, state as of any version (with and without a
// snapshot), automatic snapshots, corruption of a snapshot, retention.
#include <charconv>

#include "store_test_util.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;

namespace {

// The state is the sum of the "n" fields, as decimal text.
Status sum_fold(std::string& state, const StoredEvent& e) {
  long long acc = 0, n = 0;
  if (!state.empty()) std::from_chars(state.data(), state.data() + state.size(), acc);
  const std::string_view d = e.event->data();  // {"n":<k>}
  const size_t colon = d.find(':');
  if (colon == std::string_view::npos) return Status::InvalidArgument("no n");
  std::from_chars(d.data() + colon + 1, d.data() + d.size() - 1, n);
  state = std::to_string(acc + n);
  return Status::OK();
}

// Appends versions 1..n with n = version.
void fill(EventStore& store, const std::string& stream, int n) {
  std::vector<EventPtr> batch;
  for (int i = 1; i <= n; ++i) {
    EvSpec s;
    s.stream = stream;
    s.data = "{\"n\":" + std::to_string(i) + "}";
    batch.push_back(make_ev(s));
  }
  REQUIRE(store.append(stream, batch).ok());
}

std::string sum_to(int v) {
  return std::to_string(static_cast<long long>(v) * (v + 1) / 2);
}

}  // namespace

TEST_CASE("snapshots: save - load latest - load at or before a version") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  fill(*store, "acct", 30);
  CHECK(store->load_snapshot("acct")->has_value() == false);
  REQUIRE(store->save_snapshot("acct", 10, "state-10").ok());
  REQUIRE(store->save_snapshot("acct", 20, "state-20").ok());
  auto latest = store->load_snapshot("acct");
  REQUIRE(latest.ok());
  REQUIRE(latest->has_value());
  CHECK((*latest)->version == 20);
  CHECK((*latest)->state == "state-20");
  CHECK((*store->load_snapshot("acct", 19))->version == 10);
  CHECK((*store->load_snapshot("acct", 10))->version == 10);
  CHECK_FALSE(store->load_snapshot("acct", 9)->has_value());

  CHECK(store->save_snapshot("acct", 31, "x").is(StatusCode::kInvalidArgument));
  CHECK(store->save_snapshot("acct", 0, "x").is(StatusCode::kInvalidArgument));
  CHECK(store->save_snapshot("nope", 1, "x").is(StatusCode::kNotFound));
  CHECK(store->load_snapshot("nope").status().is(StatusCode::kNotFound));
}

TEST_CASE("snapshots: state as of a version - with the snapshot plus later events") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  fill(*store, "acct", 50);
  // Without snapshots: a fold over everything.
  auto s = store->state_as_of("acct", 50, sum_fold);
  REQUIRE(s.ok());
  CHECK(s->state == sum_to(50));
  CHECK(s->events_folded == 50);
  CHECK(s->snapshot_version == 0);

  // A snapshot at 20 (with the right state) then only 21..V are folded.
  REQUIRE(store->save_snapshot("acct", 20, sum_to(20)).ok());
  for (uint64_t v : {20u, 21u, 35u, 50u}) {
    auto r = store->state_as_of("acct", v, sum_fold);
    REQUIRE(r.ok());
    CHECK(r->state == sum_to(static_cast<int>(v)));
    CHECK(r->snapshot_version == 20);
    CHECK(r->events_folded == v - 20);
    CHECK(r->version == v);
  }
  // Before the snapshot: from the start.
  auto early = store->state_as_of("acct", 7, sum_fold);
  REQUIRE(early.ok());
  CHECK(early->state == sum_to(7));
  CHECK(early->snapshot_version == 0);
  // kEnd means the current version.
  CHECK(store->state_as_of("acct", kEnd, sum_fold)->version == 50);
  CHECK(store->state_as_of("acct", 51, sum_fold).status().is(StatusCode::kInvalidArgument));
  // A failing fold stops the rebuild and names the version.
  auto bad = store->state_as_of("acct", 30, [](std::string&, const StoredEvent& e) {
    return e.stream_version == 25 ? Status::InvalidArgument("boom") : Status::OK();
  });
  CHECK(bad.status().is(StatusCode::kInvalidArgument));
  CHECK(bad.status().message().find("version 25") != std::string::npos);
}

TEST_CASE("snapshots: automatic every N versions") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->set_auto_snapshot("acct-*", 10, sum_fold).ok());
  fill(*store, "acct-1", 25);
  fill(*store, "other", 25);
  store->drain_auto_snapshots();
  auto snap = store->load_snapshot("acct-1");
  REQUIRE(snap.ok());
  REQUIRE(snap->has_value());
  CHECK((*snap)->version == 20);
  CHECK((*snap)->state == sum_to(20));
  CHECK((*store->load_snapshot("acct-1", 19))->version == 10);
  CHECK_FALSE(store->load_snapshot("other")->has_value());
  auto r = store->state_as_of("acct-1", 25, sum_fold);
  CHECK(r->events_folded == 5);
  CHECK(r->state == sum_to(25));
}

TEST_CASE("snapshots: retention keeps state rebuildable from the snapshot before the floor") {
  TempDir dir;
  auto o = options_for(dir);
  o.retention = {RetentionRule{"acct", std::chrono::milliseconds(0), 10}};
  auto store = open_store(o);
  fill(*store, "acct", 30);
  REQUIRE(store->save_snapshot("acct", 5, sum_to(5)).ok());
  REQUIRE(store->save_snapshot("acct", 20, sum_to(20)).ok());
  auto rep = store->enforce_retention();
  REQUIRE(rep.ok());
  CHECK(rep->events_deleted == 20);
  CHECK(store->stream_info("acct")->first_version == 21);
  // Versions 21..30 remain; the snapshot at 20 makes the state complete.
  auto r = store->state_as_of("acct", 30, sum_fold);
  REQUIRE(r.ok());
  CHECK(r->state == sum_to(30));
  // The snapshot at 5 is gone; as of 15 cannot be rebuilt any more.
  CHECK(store->load_snapshot("acct", 19)->has_value() == false);
  CHECK(store->state_as_of("acct", 15, sum_fold).status().is(StatusCode::kFailedPrecondition));
}
