// WorkflowEngine::cancel with real LuaJIT and a real store: a cancel at an
// await, a saga's compensations in reverse, refusals (unknown, twice, while
// compensating), a suspended instance, and a restart in the middle of a
// cancellation's compensation (docs/workflows.md "Cancellation").
#include <rapidjson/document.h>

#include "wf_test_util.h"
#include "workflows/history_reader.h"
#include "workflows/history_records.h"

using namespace chorus;
using namespace chorus::test;

namespace {

// The `name` array of strings of an event's data, joined with ",".
std::string names(const EventPtr& e, const char* name) {
  rapidjson::Document d;
  d.Parse(e->data().data(), e->data().size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(name) || !d[name].IsArray())
    return "<none>";
  std::string out;
  for (const auto& v : d[name].GetArray()) {
    if (!out.empty()) out += ",";
    out += v.IsString() ? v.GetString() : "?";
  }
  return out;
}

std::string listed_status(store::EventStore& s, const std::string& id) {
  auto all = workflows::list_instances(s, workflows::Which::kAll);
  REQUIRE(all.ok());
  for (const auto& i : *all)
    if (i.id == id) return i.status;
  return "<absent>";
}

// Steps a and b complete, then it awaits `saga.go`; b's compensation
// awaits `saga.release` when the trigger asks for it.
constexpr const char* kSaga = R"LUA(
chorus.workflow{name = "csaga", on = "csaga.start", run = function(ctx, e)
  for _, name in ipairs({"a", "b"}) do
    ctx:step{name = name,
      action = function() ctx:publish("csaga.did", {step = name}) return name end,
      compensate = function(r)
        ctx:publish("csaga.undid", {step = r})
        if r == "b" and e.data.hold then ctx:await("csaga.release") end
      end}
  end
  ctx:publish("csaga.waiting", {})
  ctx:await("csaga.go")
  ctx:publish("csaga.after", {})
end}
)LUA";

}  // namespace

TEST_CASE("workflows: cancel at an await ends the instance cancelled with nothing to compensate") {
  WfWorld w;
  w.write("hold.lua", R"LUA(
chorus.workflow{name = "hold", on = "hold.start", run = function(ctx, e)
  ctx:publish("hold.waiting", {})
  ctx:await("hold.go")
  ctx:publish("hold.after", {})
end}
)LUA");
  auto life = w.live({WfWorld::spec("hold")});
  Recorder& started = life->record("workflow.started");
  Recorder& waiting = life->record("hold.waiting");
  Recorder& cancelled = life->record("workflow.cancelled");
  life->publish("hold.start");
  REQUIRE(waiting.wait_count(1));
  const std::string id = field(started.entries()[0].event, "instance");
  Status s = life->engine().cancel(id, "operator said so");
  INFO(s.to_string());
  REQUIRE(s.ok());
  REQUIRE(cancelled.wait_count(1));
  const EventPtr ev = cancelled.entries()[0].event;
  CHECK(field(ev, "instance") == id);
  CHECK(field(ev, "workflow") == "hold");
  CHECK(field(ev, "reason") == "operator said so");
  CHECK(names(ev, "compensated").empty());
  life->publish("hold.go");  // the await was disarmed: nothing continues
  life->engine().sync();
  CHECK(life->stored("hold.after") == 0);
  CHECK(life->engine().stats().cancelled == 1);
  CHECK(life->engine().stats().open == 0);
  CHECK(history_of(life->store(), id).status == "cancelled");
  CHECK(listed_status(life->store(), id) == "cancelled");
}

TEST_CASE("workflows: cancelling a saga runs its completed steps' compensations in reverse, once") {
  WfWorld w;
  w.write("csaga.lua", kSaga);
  auto life = w.live({WfWorld::spec("csaga")});
  Recorder& started = life->record("workflow.started");
  Recorder& waiting = life->record("csaga.waiting");
  Recorder& undid = life->record("csaga.undid");
  Recorder& cancelled = life->record("workflow.cancelled");
  life->publish("csaga.start");
  REQUIRE(waiting.wait_count(1));
  const std::string id = field(started.entries()[0].event, "instance");
  REQUIRE(life->engine().cancel(id, "order withdrawn").ok());
  // Its compensations do not wait: cancel() returned with it ended.
  CHECK(history_of(life->store(), id).status == "cancelled");
  REQUIRE(cancelled.wait_count(1));
  REQUIRE(undid.wait_count(2));
  CHECK(field(undid.entries()[0].event, "step") == "b");
  CHECK(field(undid.entries()[1].event, "step") == "a");
  CHECK(names(cancelled.entries()[0].event, "compensated") == "b,a");
  CHECK(field(cancelled.entries()[0].event, "reason") == "order withdrawn");
  life->engine().sync();
  CHECK(life->stored("csaga.undid") == 2);
  CHECK(life->stored("csaga.after") == 0);
  const workflows::History h = history_of(life->store(), id);
  CHECK(h.status == "cancelled");
  CHECK(h.cancel_requested);
  CHECK(h.cancel_reason == "order withdrawn");
  int compensations = 0;
  for (const auto& [seq, r] : h.commands)
    if (r.kind == "compensate") {
      ++compensations;
      CHECK(seq >= h.cancel_seq);
      CHECK(r.completed);
    }
  CHECK(compensations == 2);
}

TEST_CASE("workflows: cancel refuses unknown and ended instances, and a second cancel") {
  WfWorld w;
  w.write("csaga.lua", kSaga);
  auto life = w.live({WfWorld::spec("csaga")});
  CHECK(life->engine().cancel("no-such-instance", "x").is(StatusCode::kNotFound));
  Recorder& started = life->record("workflow.started");
  Recorder& waiting = life->record("csaga.waiting");
  Recorder& undid = life->record("csaga.undid");
  Recorder& cancelled = life->record("workflow.cancelled");
  life->publish("csaga.start", R"({"hold":true})");
  REQUIRE(waiting.wait_count(1));
  const std::string id = field(started.entries()[0].event, "instance");
  REQUIRE(life->engine().cancel(id, "first").ok());
  // b's compensation awaits csaga.release: cancel() returned without waiting for it.
  CHECK(history_of(life->store(), id).status == "cancelling");
  REQUIRE(undid.wait_count(1));
  Status again = life->engine().cancel(id, "second");
  INFO(again.to_string());
  CHECK(again.is(StatusCode::kFailedPrecondition));
  life->publish("csaga.release");
  REQUIRE(cancelled.wait_count(1));
  CHECK(field(cancelled.entries()[0].event, "reason") == "first");
  life->engine().sync();
  CHECK(life->engine().cancel(id, "third").is(StatusCode::kNotFound));
  CHECK(cancelled.size() == 1);
}

TEST_CASE(
    "workflows: a restart in the middle of a cancellation's compensation resumes it; "
    "each compensation runs once") {
  WfWorld w;
  w.write("csaga.lua", kSaga);
  std::string id;
  {
    auto life = w.live({WfWorld::spec("csaga")});
    Recorder& started = life->record("workflow.started");
    Recorder& waiting = life->record("csaga.waiting");
    Recorder& undid = life->record("csaga.undid");
    life->publish("csaga.start", R"({"hold":true})");
    REQUIRE(waiting.wait_count(1));
    id = field(started.entries()[0].event, "instance");
    REQUIRE(life->engine().cancel(id, "shutting down the line").ok());
    REQUIRE(undid.wait_count(1));
    life->engine().sync();
    // Wait for b's compensation's await to be recorded before the restart.
    REQUIRE(spin_until([&] {
      const auto h = history_of(life->store(), id);
      for (const auto& [seq, r] : h.commands)
        if (r.kind == "await" && r.key == "csaga.release") return true;
      return false;
    }));
    CHECK(history_of(life->store(), id).status == "cancelling");
    CHECK(listed_status(life->store(), id) == "cancelling");
  }
  auto life = w.live({WfWorld::spec("csaga")});
  Recorder& cancelled = life->record("workflow.cancelled");
  CHECK(life->engine().stats().replayed == 1);
  life->publish("csaga.release");
  REQUIRE(cancelled.wait_count(1));
  CHECK(names(cancelled.entries()[0].event, "compensated") == "b,a");
  CHECK(field(cancelled.entries()[0].event, "reason") == "shutting down the line");
  life->engine().sync();
  CHECK(life->stored("csaga.did") == 2);
  CHECK(life->stored("csaga.undid") == 2);  // b's once (replayed after the restart), a's once
  CHECK(life->stored("csaga.after") == 0);
  CHECK(history_of(life->store(), id).status == "cancelled");
  CHECK(life->engine().stats().diverged == 0);
}

TEST_CASE("workflows: a cancelled instance's history is not run again after a restart") {
  WfWorld w;
  w.write("csaga.lua", kSaga);
  std::string id;
  {
    auto life = w.live({WfWorld::spec("csaga")});
    Recorder& started = life->record("workflow.started");
    Recorder& waiting = life->record("csaga.waiting");
    Recorder& cancelled = life->record("workflow.cancelled");
    life->publish("csaga.start");
    REQUIRE(waiting.wait_count(1));
    id = field(started.entries()[0].event, "instance");
    REQUIRE(life->engine().cancel(id, "done with it").ok());
    REQUIRE(cancelled.wait_count(1));
    life->engine().sync();
  }
  auto life = w.live({WfWorld::spec("csaga")});
  life->publish("csaga.go");
  life->engine().sync();
  CHECK(life->engine().stats().replayed == 0);
  CHECK(life->engine().stats().open == 0);
  CHECK(life->stored("csaga.undid") == 2);
  CHECK(life->stored("csaga.after") == 0);
  CHECK(history_of(life->store(), id).status == "cancelled");
}

TEST_CASE("workflows: a suspended instance is cancelled without running compensations") {
  WfWorld w;
  w.write("div.lua", R"LUA(
chorus.workflow{name = "div", on = "div.start", run = function(ctx, e)
  ctx:step{name = "a", action = function() return 1 end,
           compensate = function() ctx:publish("div.undid", {}) end}
  if chorus.config.variant == "b" then
    ctx:publish("div.second", {})
  else
    ctx:publish("div.first", {})
  end
  ctx:await("div.go")
end}
)LUA");
  std::string id;
  {
    auto life = w.live({WfWorld::spec("div", R"({"variant":"a"})")});
    Recorder& started = life->record("workflow.started");
    Recorder& first = life->record("div.first");
    life->publish("div.start");
    REQUIRE(first.wait_count(1));
    id = field(started.entries()[0].event, "instance");
    life->engine().sync();
  }
  auto life = w.live({WfWorld::spec("div", R"({"variant":"b"})")});
  REQUIRE(life->engine().stats().suspended == 1);
  Recorder& cancelled = life->record("workflow.cancelled");
  REQUIRE(life->engine().cancel(id, "cannot upgrade it").ok());
  REQUIRE(cancelled.wait_count(1));
  const EventPtr ev = cancelled.entries()[0].event;
  CHECK(field(ev, "error").find("suspended") != std::string::npos);
  CHECK(field(ev, "error").find("without running its compensations") != std::string::npos);
  CHECK(names(ev, "compensated").empty());
  life->engine().sync();
  CHECK(life->stored("div.undid") == 0);
  CHECK(history_of(life->store(), id).status == "cancelled");
}
