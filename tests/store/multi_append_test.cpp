// Multi-stream appends: all parts or none, system streams, idempotent
// retries, refusals, the async form.
#include <future>

#include "store_test_util.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;

namespace {

uint64_t stream_version(EventStore& s, std::string_view stream) {
  auto info = s.stream_info(stream);
  return info.ok() ? info->version : 0;
}

}  // namespace

TEST_CASE("append_multi: every part is written in one transaction") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  auto a = evs(2, "$wf-1");
  auto g = evs(1);
  const StreamAppend parts[] = {{"$wf-1", a, ExpectedVersion::no_stream()},
                                {"", g, ExpectedVersion::any()}};
  MultiAppendResult r = store->append_multi(parts);
  INFO(r.status.to_string());
  REQUIRE(r.ok());
  REQUIRE(r.parts.size() == 2);
  CHECK(r.parts[0].stream_version == 2);
  CHECK(r.parts[0].written == 2);
  CHECK(r.parts[1].first_seq == r.parts[0].last_seq + 1);
  CHECK(stream_version(*store, "$wf-1") == 2);
  auto all = store->read_all(1);
  REQUIRE(all.ok());
  CHECK(all->events.size() == 3);
}

TEST_CASE("append_multi: a conflict in a later part writes nothing of any part") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  REQUIRE(store->append("s", evs(1, "s")).ok());
  auto a = evs(1, "$wf-2");
  auto b = evs(1, "s");
  const StreamAppend parts[] = {{"$wf-2", a, ExpectedVersion::no_stream()},
                                {"s", b, ExpectedVersion::exact(5)}};
  MultiAppendResult r = store->append_multi(parts);
  CHECK(r.status.is(StatusCode::kConflict));
  CHECK(r.status.message().find("part 2 (stream 's')") != std::string::npos);
  CHECK(store->stream_info("$wf-2").status().is(StatusCode::kNotFound));
  CHECK(stream_version(*store, "s") == 1);
  auto all = store->read_all(1);
  REQUIRE(all.ok());
  CHECK(all->events.size() == 1);
}

TEST_CASE("append_multi: a conflict in the first part is refused and others commit") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  auto first = evs(1, "$wf-3");
  const StreamAppend p1[] = {{"$wf-3", first, ExpectedVersion::no_stream()}};
  REQUIRE(store->append_multi(p1).ok());
  auto again = evs(1, "$wf-3");
  const StreamAppend p2[] = {{"$wf-3", again, ExpectedVersion::no_stream()}};
  MultiAppendResult r = store->append_multi(p2);
  CHECK(r.status.is(StatusCode::kConflict));
  CHECK(stream_version(*store, "$wf-3") == 1);
}

TEST_CASE("append_multi: the same batch again is an idempotent retry") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  auto a = evs(1, "$wf-4");
  auto g = evs(1);
  const StreamAppend parts[] = {{"$wf-4", a, ExpectedVersion::exact(0)},
                                {"", g, ExpectedVersion::any()}};
  REQUIRE(store->append_multi(parts).ok());
  MultiAppendResult r = store->append_multi(parts);
  REQUIRE(r.ok());
  CHECK(r.parts[0].duplicates == 1);
  CHECK(r.parts[1].duplicates == 1);
  CHECK(stream_version(*store, "$wf-4") == 1);
}

TEST_CASE("append_multi: refusals name the part") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  auto a = evs(1, "x");
  auto b = evs(1, "x");
  auto d = evs(1, "$dead-letters");
  SECTION("a stream twice") {
    const StreamAppend parts[] = {{"x", a, {}}, {"x", b, {}}};
    auto r = store->append_multi(parts);
    CHECK(r.status.is(StatusCode::kInvalidArgument));
    CHECK(r.status.message().find("appears in two parts") != std::string::npos);
  }
  SECTION("the same id in two parts") {
    auto y = std::vector<EventPtr>{a[0]};
    auto rebuilt = EventBuilder::copy_of(*a[0]).stream("").build();
    REQUIRE(rebuilt.ok());
    auto g = std::vector<EventPtr>{*rebuilt};
    const StreamAppend parts[] = {{"x", y, {}}, {"", g, {}}};
    auto r = store->append_multi(parts);
    CHECK(r.status.is(StatusCode::kInvalidArgument));
    CHECK(r.status.message().find("appears in two parts") != std::string::npos);
  }
  SECTION("a store-owned stream") {
    const StreamAppend parts[] = {{"$dead-letters", d, {}}};
    auto r = store->append_multi(parts);
    CHECK(r.status.is(StatusCode::kInvalidArgument));
  }
  SECTION("no parts") {
    CHECK(store->append_multi({}).status.is(StatusCode::kInvalidArgument));
  }
  auto all = store->read_all(1);
  REQUIRE(all.ok());
  CHECK(all->events.empty());
}

TEST_CASE("append_multi_async: the callback gets the result after the commit") {
  TempDir dir;
  auto store = open_store(options_for(dir));
  auto a = evs(1, "$wf-5");
  auto g = evs(2);
  const StreamAppend parts[] = {{"$wf-5", a, ExpectedVersion::no_stream()},
                                {"", g, ExpectedVersion::any()}};
  std::promise<MultiAppendResult> p;
  store->append_multi_async(parts, [&](const MultiAppendResult& r) { p.set_value(r); });
  MultiAppendResult r = p.get_future().get();
  REQUIRE(r.ok());
  CHECK(store->durable_seq() >= r.parts[1].last_seq);
  std::promise<MultiAppendResult> p2;
  auto a2 = evs(1, "$wf-5");
  const StreamAppend conflict[] = {{"$wf-5", a2, ExpectedVersion::exact(7)}};
  store->append_multi_async(conflict, [&](const MultiAppendResult& r2) { p2.set_value(r2); });
  CHECK(p2.get_future().get().status.is(StatusCode::kConflict));
}
