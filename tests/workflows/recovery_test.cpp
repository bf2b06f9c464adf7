// Recovery of histories that cannot be decoded, with a real store: the
// instance is suspended (recorded once), counted, published, and the host
// starts (docs/workflows.md "Replay").
#include <rapidjson/document.h>

#include "wf_test_util.h"
#include "workflows/history_records.h"

using namespace chorus;
using namespace chorus::test;

namespace {

std::vector<store::StoredEvent> records_of(store::EventStore& s, const std::string& id) {
  auto page = s.read_stream(workflows::history_stream(id), 1, store::Direction::kForward, 1000);
  REQUIRE(page.ok());
  return page->events;
}

}  // namespace

TEST_CASE("workflows: a history record that does not decode suspends its instance at start") {
  WfWorld w;
  w.write("hold.lua", R"LUA(
chorus.workflow{name = "hold", on = "hold.start", run = function(ctx, e)
  ctx:publish("hold.waiting", {})
  ctx:await("hold.go")
  ctx:publish("hold.after", {})
end}
)LUA");
  std::string id;
  uint64_t bad_version = 0;
  {
    auto life = w.live({WfWorld::spec("hold")});
    Recorder& started = life->record("workflow.started");
    Recorder& waiting = life->record("hold.waiting");
    life->publish("hold.start");
    REQUIRE(waiting.wait_count(1));
    id = field(started.entries()[0].event, "instance");
    life->engine().sync();
    REQUIRE(spin_until([&] { return records_of(life->store(), id).size() >= 3; }));
    life->end();
    // A garbage record at the end of the history, through the store's
    // system-stream append.
    store::StoreOptions so;
    so.path = w.store_path();
    auto st = store::EventStore::open(so);
    REQUIRE(st.ok());
    auto ev = EventBuilder("wf.command")
                  .source("garbage")
                  .stream(workflows::history_stream(id))
                  .data("{not json", "application/json")
                  .build();
    REQUIRE(ev.ok());
    const std::string stream = workflows::history_stream(id);
    const store::StreamAppend part{stream, std::span<const EventPtr>(&*ev, 1),
                                   store::ExpectedVersion::any()};
    auto r = (*st)->append_multi(std::span<const store::StreamAppend>(&part, 1));
    INFO(r.status.to_string());
    REQUIRE(r.ok());
    bad_version = (*st)->stream_info(workflows::history_stream(id))->version;
    (*st)->close();
  }
  {
    auto life = w.live({WfWorld::spec("hold")}, {"workflow.*"});  // the host starts
    CHECK(life->engine().stats().suspended == 1);
    CHECK(life->engine().stats().open == 1);
    REQUIRE(spin_until([&] { return life->stored("workflow.suspended") == 1; }));
    auto recs = records_of(life->store(), id);
    REQUIRE(spin_until([&] {
      recs = records_of(life->store(), id);
      return recs.back().event->type() == workflows::kRecSuspended;
    }));
    const std::string error = field(recs.back().event, "error");
    CHECK(error.find(workflows::history_stream(id)) != std::string::npos);
    CHECK(error.find("version " + std::to_string(bad_version)) != std::string::npos);
    CHECK(error.find("not a JSON object") != std::string::npos);
    life->publish("hold.go");
    life->engine().sync();
    CHECK(life->stored("hold.after") == 0);
  }
  // The next start finds it suspended already: nothing appended again.
  auto life = w.live({WfWorld::spec("hold")}, {"workflow.*"});
  CHECK(life->engine().stats().open == 1);
  CHECK(life->engine().stats().suspended == 0);
  life->engine().sync();
  CHECK(records_of(life->store(), id).back().stream_version == bad_version + 1);
  // A suspended instance can still be cancelled (without compensation).
  CHECK(life->engine().cancel(id, "broken history").ok());
  REQUIRE(life->wait_stats([](const auto& s) { return s.cancelled == 1 && s.open == 0; }));
}

// A workflow whose instances wait for "hold.go", then publish "hold.after".
constexpr const char* kHold = R"LUA(
chorus.workflow{name = "hold", on = "hold.start", run = function(ctx, e)
  ctx:await("hold.go")
  ctx:publish("hold.after", {})
end}
)LUA";

TEST_CASE("workflows: triggers beyond max_open start nothing and are counted") {
  WfWorld w;
  w.write("hold.lua", kHold);
  auto life =
      w.live({WfWorld::spec("hold")}, {}, [](workflows::WorkflowOptions& o) { o.max_open = 3; });
  for (int i = 0; i < 20; ++i)
    life->publish("hold.start");
  REQUIRE(life->wait_stats([](const auto& s) { return s.started + s.refused_by_limit == 20; }));
  CHECK(life->engine().stats().started == 3);
  CHECK(life->engine().stats().refused_by_limit == 17);
  CHECK(life->engine().stats().open == 3);
  // Room again once they end: a new trigger starts.
  Recorder& after = life->record("hold.after");
  life->publish("hold.go");
  REQUIRE(after.wait_count(3));
  REQUIRE(life->wait_stats([](const auto& s) { return s.open == 0; }));
  life->publish("hold.start");
  REQUIRE(life->wait_stats([](const auto& s) { return s.started == 4; }));
  CHECK(life->engine().stats().refused_by_limit == 17);
}

TEST_CASE("workflows: a trigger flood at a full engine state fails the extra instances fast") {
  WfWorld w;
  w.write("hold.lua", kHold);
  // 4 MiB hold ~2,000 waiting instances; 4,000 triggers, no max_open.
  auto life = w.live({WfWorld::spec("hold")}, {}, [](workflows::WorkflowOptions& o) {
    o.max_open = 0;
    o.memory_bytes = 4u << 20;
  });
  Recorder& failed = life->record("workflow.failed");
  const int n = 4000;
  for (int i = 0; i < n; ++i)
    life->publish("hold.start");
  REQUIRE(life->wait_stats(
      [&](const auto& s) { return s.started == n && s.failed + s.open == n && s.failed > 0; }));
  const auto s = life->engine().stats();
  CHECK(s.open > 1000);  // the state was full, not refusing early
  // Near the limit (the host's own pushes, outside the script's code, are
  // not refused, so a little over it is possible).
  CHECK(s.memory_bytes > (3u << 20));
  CHECK(s.memory_bytes < (6u << 20));
  // Each refused instance leaves little garbage, so the state is not
  // collected for each (it was, before: one full collection per failure);
  // one per limit/32 (128 KiB) allocated: 4,000 starts at a few KiB each.
  CHECK(s.lua_collections < 400);
  REQUIRE(failed.wait_count(1));
  CHECK(field(failed.entries()[0].event, "error").find("memory limit of 4 MiB exceeded") !=
        std::string::npos);
  // The open ones go on when their event comes: each ends, completed or (if
  // the state is still full when it allocates) failed the same way.
  life->publish("hold.go");
  REQUIRE(life->wait_stats([](const auto& st) { return st.open == 0; }));
  const auto end = life->engine().stats();
  CHECK(end.completed + end.failed == n);
  CHECK(end.completed > 1000);
}

TEST_CASE(
    "workflows: a durable trigger beyond max_open is not acked: delivered again, then "
    "dead-lettered") {
  WfWorld w;
  w.write("hold.lua", R"LUA(
chorus.workflow{name = "hold", on = "hold.start", run = function(ctx, e)
  ctx:await("hold.go")
end}
)LUA");
  auto life = w.live({WfWorld::spec("hold")}, {"hold.*"},
                     [](workflows::WorkflowOptions& o) { o.max_open = 1; });
  life->publish("hold.start", R"({"n":1})");
  REQUIRE(life->wait_stats([](const auto& s) { return s.started == 1; }));
  life->publish("hold.start", R"({"n":2})");
  // Each delivery of the second is refused; the group's fifth (store
  // group_max_deliveries) dead-letters it instead of dropping it.
  REQUIRE(life->wait_stats([](const auto& s) { return s.refused_by_limit >= 5; }));
  REQUIRE(spin_until([&] {
    auto page = life->store().read_stream("$dead-letters", 1, store::Direction::kForward, 10);
    return page.ok() && page->events.size() == 1;
  }));
  auto page = life->store().read_stream("$dead-letters", 1, store::Direction::kForward, 10);
  REQUIRE(page.ok());
  INFO(page->events[0].event->data());
  const std::string dead(page->events[0].event->data());  // the refused trigger
  CHECK(dead.find("\"type\":\"hold.start\"") != std::string::npos);
  CHECK(dead.find("\"n\":2") != std::string::npos);
  CHECK(life->engine().stats().started == 1);
  CHECK(life->engine().stats().open == 1);
}
