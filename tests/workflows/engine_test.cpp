// The workflow engine with real LuaJIT and a real store: every ctx command
// live and in replay, restarts in the middle of waits, sagas, determinism
// refusals, divergence, keys and pinned versions (docs/workflows.md).
#include <fmt/core.h>
#include <rapidjson/document.h>

#include "wf_test_util.h"
#include "workflows/history_records.h"
#include "workflows/upgrade.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kApproval = R"LUA(
chorus.workflow{
  name = "approval",
  on = "approval.requested",
  key = function(e) return e.data.request_id end,
  run = function(ctx, e)
    ctx:publish("approval.pending", {request_id = e.data.request_id})
    local g, why = ctx:await("approval.granted", {
      match = function(ev) return ev.data.request_id == e.data.request_id end,
      timeout = chorus.config.timeout or 60000})
    if not g then
      ctx:publish("approval.expired", {request_id = e.data.request_id, reason = why})
      return "expired"
    end
    ctx:publish("approval.done", {request_id = e.data.request_id, by = g.data.by})
    return "approved"
  end,
}
)LUA";

}  // namespace

TEST_CASE("workflows: an instance publishes, awaits a matching event and completes") {
  WfWorld w;
  w.write("approval.lua", kApproval);
  auto life = w.live({WfWorld::spec("approval")});
  Recorder& started = life->record("workflow.started");
  Recorder& done = life->record("workflow.completed");
  Recorder& pending = life->record("approval.pending");
  life->publish("approval.requested", R"({"request_id":"r-1"})", "corr-1");
  REQUIRE(pending.wait_count(1));
  const EventPtr p = pending.entries()[0].event;
  CHECK(p->correlation_id() == "corr-1");
  life->publish("approval.granted", R"({"request_id":"other","by":"x"})");
  life->publish("approval.granted", R"({"request_id":"r-1","by":"ana"})");
  REQUIRE(done.wait_count(1));
  CHECK(field(done.entries()[0].event, "result") == "approved");
  REQUIRE(started.size() == 1);
  const std::string id = field(started.entries()[0].event, "instance");
  life->engine().sync();
  const workflows::History h = history_of(life->store(), id);
  CHECK(h.finished);
  CHECK(h.status == "completed");
  REQUIRE(h.commands.size() == 3);
  CHECK(h.commands.at(1).kind == "publish");
  CHECK(h.commands.at(1).at.find("approval.lua:7") != std::string::npos);
  CHECK(h.commands.at(2).kind == "await");
  CHECK(h.commands.at(2).key == "approval.granted");
  CHECK(h.commands.at(2).result.find("\"ana\"") != std::string::npos);
  CHECK(h.commands.at(3).key == "approval.done");
  CHECK(life->stored("approval.done") == 1);
}

TEST_CASE("workflows: an await times out and returns nil, 'timeout'") {
  WfWorld w;
  w.write("approval.lua", kApproval);
  auto life = w.live({WfWorld::spec("approval", R"({"timeout":50})")});
  Recorder& expired = life->record("approval.expired");
  Recorder& done = life->record("workflow.completed");
  life->publish("approval.requested", R"({"request_id":"r-2"})");
  REQUIRE(expired.wait_count(1));
  CHECK(field(expired.entries()[0].event, "reason") == "timeout");
  REQUIRE(done.wait_count(1));
  CHECK(field(done.entries()[0].event, "result") == "expired");
}

TEST_CASE("workflows: after a restart at an await the instance continues and publishes once") {
  WfWorld w;
  w.write("approval.lua", kApproval);
  {
    auto life = w.live({WfWorld::spec("approval")});
    Recorder& pending = life->record("approval.pending");
    life->publish("approval.requested", R"({"request_id":"r-3"})");
    REQUIRE(pending.wait_count(1));
    life->engine().sync();
  }
  auto life = w.live({WfWorld::spec("approval")}, {"approval.*"});
  CHECK(life->engine().stats().replayed == 1);
  Recorder& done = life->record("workflow.completed");
  life->publish("approval.granted", R"({"request_id":"r-3","by":"bo"})");
  REQUIRE(done.wait_count(1));
  CHECK(field(done.entries()[0].event, "result") == "approved");
  CHECK(life->stored("approval.pending") == 1);
  CHECK(life->stored("approval.done") == 1);
}

TEST_CASE("workflows: an await resumed after a restart sees events stored while down") {
  WfWorld w;
  w.write("approval.lua", kApproval);
  {
    auto life = w.live({WfWorld::spec("approval")}, {"approval.*"});
    Recorder& pending = life->record("approval.pending");
    life->publish("approval.requested", R"({"request_id":"r-4"})");
    REQUIRE(pending.wait_count(1));
    life->engine().sync();
  }
  {
    // The grant reaches the store while no bus delivers it (another writer).
    auto life = w.live({}, {"approval.*"});
    auto ev = EventBuilder("approval.granted").source("x").data(R"({"request_id":"r-4"})").build();
    REQUIRE(ev.ok());
    REQUIRE(life->store().append(*ev).ok());
    life->engine().sync();
    CHECK(life->engine().stats().completed == 0);
  }
  auto life = w.live({WfWorld::spec("approval")}, {"approval.*"});
  REQUIRE(life->wait_stats([](const auto& s) { return s.completed == 1; }));
  CHECK(life->stored("approval.done") == 1);
}

TEST_CASE("workflows: a durable sleep fires after a restart, once") {
  WfWorld w;
  w.write("nap.lua", R"LUA(
chorus.workflow{name = "nap", on = "nap.start", run = function(ctx, e)
  ctx:publish("nap.before", {})
  ctx:sleep(e.data.ms)
  ctx:publish("nap.after", {})
end}
)LUA");
  {
    auto life = w.live({WfWorld::spec("nap")});
    Recorder& before = life->record("nap.before");
    life->publish("nap.start", R"({"ms":300})");
    REQUIRE(before.wait_count(1));
    life->engine().sync();
  }
  auto life = w.live({WfWorld::spec("nap")});
  REQUIRE(life->wait_stats([](const auto& s) { return s.completed == 1; }));
  CHECK(life->stored("nap.before") == 1);
  CHECK(life->stored("nap.after") == 1);
}

TEST_CASE(
    "workflows: now, uuid, random, patched, history_size and set_status replay their "
    "recorded results") {
  WfWorld w;
  w.write("rec.lua", R"LUA(
chorus.workflow{name = "rec", on = "rec.start", run = function(ctx, e)
  local a = {now = ctx:now(), uuid = ctx:uuid(), random = ctx:random(),
             patched = ctx:patched("v2"), size = ctx:history_size()}
  ctx:set_status({phase = "waiting"})
  ctx:publish("rec.values", a)
  ctx:await("rec.go")
  ctx:publish("rec.values", a)
end}
)LUA");
  {
    auto life = w.live({WfWorld::spec("rec")});
    Recorder& v = life->record("rec.values");
    life->publish("rec.start");
    REQUIRE(v.wait_count(1));
    life->engine().sync();
  }
  auto life = w.live({WfWorld::spec("rec")});
  Recorder& v = life->record("rec.values");
  life->publish("rec.go");
  REQUIRE(v.wait_count(1));
  REQUIRE(life->wait_stats([](const auto& s) { return s.completed == 1; }));
  auto page = life->store().read_types("rec.values", 0, store::Direction::kForward, 10);
  REQUIRE(page.ok());
  REQUIRE(page->events.size() == 2);
  for (const char* f : {"now", "uuid", "random", "patched", "size"}) {
    INFO(f);
    CHECK(field(page->events[0].event, f) == field(page->events[1].event, f));
  }
  CHECK(field(page->events[0].event, "patched") == "true");
}

TEST_CASE(
    "workflows: a saga whose third step fails compensates the two before, in reverse, "
    "once each") {
  WfWorld w;
  w.write("saga.lua", R"LUA(
chorus.workflow{name = "saga", on = "saga.start", run = function(ctx, e)
  for _, name in ipairs({"a", "b"}) do
    ctx:step{name = name,
      action = function() ctx:publish("saga.did", {step = name}) return name end,
      compensate = function(r) ctx:publish("saga.undid", {step = r}) end}
  end
  ctx:step{name = "c", retry = {attempts = 3},
    action = function() ctx:publish("saga.try", {}) error("device not responding") end}
  ctx:publish("saga.unreachable", {})
end}
)LUA");
  auto life = w.live({WfWorld::spec("saga")});
  Recorder& undid = life->record("saga.undid");
  Recorder& comp = life->record("workflow.compensated");
  life->publish("saga.start");
  REQUIRE(comp.wait_count(1));
  REQUIRE(undid.wait_count(2));
  CHECK(field(undid.entries()[0].event, "step") == "b");
  CHECK(field(undid.entries()[1].event, "step") == "a");
  CHECK(field(comp.entries()[0].event, "error").find("step 'c' failed") != std::string::npos);
  CHECK(field(comp.entries()[0].event, "error").find("device not responding") != std::string::npos);
  life->engine().sync();
  CHECK(life->stored("saga.try") == 3);
  CHECK(life->stored("saga.undid") == 2);
  CHECK(life->stored("saga.unreachable") == 0);
}

TEST_CASE("workflows: a compensation that fails ends the saga failed, naming it") {
  WfWorld w;
  w.write("saga2.lua", R"LUA(
chorus.workflow{name = "saga2", on = "saga2.start", run = function(ctx, e)
  ctx:step{name = "a", action = function() return 1 end,
           compensate = function() ctx:publish("saga2.undid", {}) end}
  ctx:step{name = "b", action = function() return 2 end,
           compensate = function() error("cannot undo b") end}
  ctx:step{name = "c", action = function() error("boom") end}
end}
)LUA");
  auto life = w.live({WfWorld::spec("saga2")});
  Recorder& failed = life->record("workflow.failed");
  life->publish("saga2.start");
  REQUIRE(failed.wait_count(1));
  CHECK(field(failed.entries()[0].event, "failed_compensation") == "b");
  CHECK(field(failed.entries()[0].event, "error").find("cannot undo b") != std::string::npos);
  life->engine().sync();
  CHECK(life->stored("saga2.undid") == 0);  // after b's failure nothing else runs
}

TEST_CASE("workflows: non-deterministic calls inside run are refused with the ctx equivalent") {
  WfWorld w;
  const std::pair<const char*, const char*> cases[] = {
      {"os.time()", "os.time is not allowed inside a workflow: use ctx:now()"},
      {"os.clock()", "os.clock is not allowed inside a workflow: use ctx:now()"},
      {"math.random()", "math.random is not allowed inside a workflow: use ctx:random()"},
      {"chorus.now()", "chorus.now is not allowed inside a workflow: use ctx:now()"},
      {"chorus.publish('x', {})",
       "chorus.publish is not allowed inside a workflow: use ctx:publish()"},
  };
  std::string src;
  int i = 0;
  for (auto [call, msg] : cases) {
    (void)msg;
    src += "chorus.workflow{name = 'd" + std::to_string(i) + "', on = 'det." + std::to_string(i) +
           "', run = function(ctx) " + call + " end}\n";
    ++i;
  }
  w.write("det.lua", src);
  auto life = w.live({WfWorld::spec("det")});
  Recorder& failed = life->record("workflow.failed");
  for (int j = 0; j < i; ++j)
    life->publish("det." + std::to_string(j));
  REQUIRE(failed.wait_count(static_cast<size_t>(i)));
  std::vector<std::string> errors;
  for (const auto& e : failed.entries())
    errors.push_back(field(e.event, "error"));
  for (auto [call, msg] : cases) {
    bool found = false;
    for (const auto& e : errors)
      if (e.find(msg) != std::string::npos && e.find("det.lua:") != std::string::npos) found = true;
    INFO(call);
    CHECK(found);
  }
}

TEST_CASE("workflows: a replay that diverges suspends the instance with both source lines") {
  WfWorld w;
  w.write("div.lua", R"LUA(
chorus.workflow{name = "div", on = "div.start", run = function(ctx, e)
  if chorus.config.variant == "b" then
    ctx:publish("div.second", {})
  else
    ctx:publish("div.first", {})
  end
  ctx:await("div.go")
  ctx:publish("div.after", {})
end}
)LUA");
  {
    auto life = w.live({WfWorld::spec("div", R"({"variant":"a"})")});
    Recorder& first = life->record("div.first");
    life->publish("div.start");
    REQUIRE(first.wait_count(1));
    life->engine().sync();
  }
  // The same source (the config is not part of the version) takes the other branch.
  auto life = w.live({WfWorld::spec("div", R"({"variant":"b"})")});
  CHECK(life->engine().stats().diverged == 1);
  CHECK(life->engine().stats().suspended == 1);
  life->engine().sync();
  auto page = life->store().read_types("workflow.diverged", 0, store::Direction::kForward, 10);
  REQUIRE(page.ok());
  life->publish("div.go");
  life->engine().sync();
  CHECK(life->stored("div.second") == 0);
  CHECK(life->stored("div.after") == 0);
  auto idx = life->store().read_stream(workflows::kInstancesStream, 1);
  REQUIRE(idx.ok());
  const std::string id = field(idx->events[0].event, "instance");
  // The suspension is recorded asynchronously: wait for its commit.
  REQUIRE(spin_until([&] { return history_of(life->store(), id).status == "suspended"; }));
  const workflows::History h = history_of(life->store(), id);
  CHECK(h.status == "suspended");
  CHECK(h.error.find("instance " + id) != std::string::npos);
  CHECK(h.error.find("seq 1") != std::string::npos);
  CHECK(h.error.find("history has publish 'div.first' at ") != std::string::npos);
  CHECK(h.error.find("div.lua:6") != std::string::npos);
  CHECK(h.error.find("publish 'div.second' at ") != std::string::npos);
  CHECK(h.error.find("div.lua:4") != std::string::npos);
}

TEST_CASE("workflows: a second trigger with an open key starts nothing") {
  WfWorld w;
  w.write("approval.lua", kApproval);
  auto life = w.live({WfWorld::spec("approval")});
  Recorder& pending = life->record("approval.pending");
  life->publish("approval.requested", R"({"request_id":"k-1"})");
  REQUIRE(pending.wait_count(1));
  life->publish("approval.requested", R"({"request_id":"k-1"})");
  REQUIRE(life->wait_stats([](const auto& s) { return s.refused_by_key == 1; }));
  CHECK(life->engine().stats().started == 1);
}

TEST_CASE("workflows: requests carry a stable idempotency key and return the reply") {
  WfWorld w;
  w.write("req.lua", R"LUA(
chorus.workflow{name = "req", on = "req.start", run = function(ctx, e)
  local r, err = ctx:request("calc.request", {op = "sum", values = {1, 2, 3}}, {timeout = 5000})
  ctx:publish("req.result", {result = r and r.data.result, err = err})
end}
)LUA");
  auto life = w.live({WfWorld::spec("req")});
  std::string key;
  std::mutex mu;
  REQUIRE(
      life->bus()
          .subscribe(
              "calc.request",
              [&](const EventPtr& e) {
                {
                  std::lock_guard l(mu);
                  key = std::string(e->find_metadata("idempotencykey").value_or(""));
                }
                return life->bus().reply(
                    *e,
                    std::move(EventBuilder("calc.result").source("calc").data(R"({"result":6})")));
              })
          .ok());
  Recorder& result = life->record("req.result");
  life->publish("req.start");
  REQUIRE(result.wait_count(1));
  INFO(field(result.entries()[0].event, "err"));
  CHECK(field(result.entries()[0].event, "result") == std::to_string(6.0));
  std::lock_guard l(mu);
  CHECK(key.size() > 36);
  CHECK(key.substr(key.size() - 2) == ":1");
}

TEST_CASE("workflows: instances keep the source they started on; new ones use the new file") {
  WfWorld w;
  auto version = [](const char* tag) {
    return std::string(R"(chorus.workflow{name = "pin", on = "pin.start", run = function(ctx, e)
  ctx:publish("pin.hello", {v = ")") +
           tag + R"("})
  ctx:await("pin.go")
  ctx:publish("pin.bye", {v = ")" +
           tag + R"("})
end}
)";
  };
  w.write("pin.lua", version("one"));
  {
    auto life = w.live({WfWorld::spec("pin")});
    Recorder& hello = life->record("pin.hello");
    life->publish("pin.start");
    REQUIRE(hello.wait_count(1));
    life->engine().sync();
  }
  w.write("pin.lua", version("two"));
  auto life = w.live({WfWorld::spec("pin")});
  Recorder& bye = life->record("pin.bye");
  Recorder& hello = life->record("pin.hello");
  life->publish("pin.start");
  REQUIRE(hello.wait_count(1));
  CHECK(field(hello.entries()[0].event, "v") == "two");
  life->publish("pin.go");
  REQUIRE(bye.wait_count(2));
  std::set<std::string> vs;
  for (const auto& e : bye.entries())
    vs.insert(field(e.event, "v"));
  CHECK(vs == std::set<std::string>{"one", "two"});
  CHECK(life->engine().stats().diverged == 0);
}

TEST_CASE("workflows: an error inside run fails the instance naming script:line") {
  WfWorld w;
  w.write("bad.lua", R"LUA(
chorus.workflow{name = "bad", on = "bad.start", run = function(ctx, e)
  local t = nil
  return t.x
end}
)LUA");
  auto life = w.live({WfWorld::spec("bad")});
  Recorder& failed = life->record("workflow.failed");
  life->publish("bad.start");
  REQUIRE(failed.wait_count(1));
  CHECK(field(failed.entries()[0].event, "error").find("bad.lua:4") != std::string::npos);
}

TEST_CASE("workflows: continue_as_new starts a fresh history with the carried input") {
  WfWorld w;
  w.write("loop.lua", R"LUA(
chorus.workflow{name = "loop", on = "loop.start", run = function(ctx, e)
  local n = (ctx.input and ctx.input.n) or 0
  ctx:publish("loop.tick", {n = n, run = ctx.run})
  if n < 2 then ctx:continue_as_new({n = n + 1}) end
  return n
end}
)LUA");
  auto life = w.live({WfWorld::spec("loop")});
  Recorder& done = life->record("workflow.completed");
  life->publish("loop.start");
  REQUIRE(done.wait_count(1));
  CHECK(life->engine().stats().continued == 2);
  life->engine().sync();
  CHECK(life->stored("loop.tick") == 3);
}

TEST_CASE("workflows: upgrade moves only the instances whose history replays cleanly") {
  WfWorld w;
  auto version = [](const char* y_type, const char* tag) {
    return fmt::format(R"(chorus.workflow{{name = "up", on = "up.start", run = function(ctx, e)
  if e.data.kind == "x" then
    ctx:publish("up.x", {{}})
  else
    ctx:publish("{}", {{}})
  end
  ctx:await("up.go")
  ctx:publish("up.after", {{v = "{}"}})
end}}
)",
                       y_type, tag);
  };
  w.write("up.lua", version("up.y", "one"));
  {
    auto life = w.live({WfWorld::spec("up")});
    Recorder& s = life->record("workflow.started");
    life->publish("up.start", R"({"kind":"x"})");
    life->publish("up.start", R"({"kind":"y"})");
    REQUIRE(s.wait_count(2));
    life->engine().sync();
  }
  w.write("up.lua", version("up.z", "two"));
  {
    store::StoreOptions so;
    so.path = w.store_path();
    auto st = store::EventStore::open(so);
    REQUIRE(st.ok());
    lua::ScriptHostOptions o;
    o.folder = w.folder();
    o.scripts.push_back(WfWorld::spec("up"));
    auto r = workflows::upgrade_instances(**st, o, "up");
    INFO(r.status().to_string());
    REQUIRE(r.ok());
    REQUIRE(r->size() == 2);
    int upgraded = 0, pinned = 0;
    for (const auto& u : *r) {
      if (u.result == workflows::UpgradeOutcome::Result::kUpgraded) ++upgraded;
      if (u.result == workflows::UpgradeOutcome::Result::kPinned) {
        ++pinned;
        CHECK(u.why.find("seq 1") != std::string::npos);
        CHECK(u.why.find("history has publish 'up.y' at ") != std::string::npos);
        CHECK(u.why.find("publish 'up.z' at ") != std::string::npos);
        CHECK(u.why.find("up.lua:5") != std::string::npos);
      }
    }
    CHECK(upgraded == 1);
    CHECK(pinned == 1);
  }
  auto life = w.live({WfWorld::spec("up")});
  Recorder& after = life->record("up.after");
  life->publish("up.go");
  REQUIRE(after.wait_count(2));
  std::set<std::string> vs;
  for (const auto& e : after.entries())
    vs.insert(field(e.event, "v"));
  CHECK(vs == std::set<std::string>{"one", "two"});  // the pinned one kept the old source
  CHECK(life->engine().stats().diverged == 0);
}

TEST_CASE(
    "workflows: a persistent trigger stored while the workflow was not running starts "
    "its instance at the next start") {
  WfWorld w;
  w.write("approval.lua", kApproval);
  { auto life = w.live({WfWorld::spec("approval")}, {"approval.*"}); }  // creates the group
  {
    auto life = w.live({}, {"approval.*"});  // the workflow is not loaded
    life->publish("approval.requested", R"({"request_id":"d-1"})");
  }
  auto life = w.live({WfWorld::spec("approval")}, {"approval.*"});
  REQUIRE(life->wait_stats([](const auto& s) { return s.started == 1; }));
  life->engine().sync();
  REQUIRE(spin_until([&] { return life->stored("approval.pending") == 1; }));
}

TEST_CASE("workflows: a trigger delivered again after its instance ended starts nothing") {
  WfWorld w;
  w.write("approval.lua", kApproval);
  auto trigger = EventBuilder("approval.requested").source("t").data(R"({"request_id":"x-1"})");
  EventPtr ev = *trigger.build();
  {
    auto life = w.live({WfWorld::spec("approval")});
    Recorder& done = life->record("workflow.completed");
    Recorder& pending = life->record("approval.pending");
    REQUIRE(life->bus().publish(ev).ok());
    REQUIRE(pending.wait_count(1));  // the await is armed before its pending is delivered
    life->publish("approval.granted", R"({"request_id":"x-1","by":"z"})");
    REQUIRE(done.wait_count(1));
  }
  auto life = w.live({WfWorld::spec("approval")});
  REQUIRE(life->bus().publish(ev).ok());  // the same id: a redelivery
  life->engine().sync();
  life->engine().sync();
  CHECK(life->engine().stats().started == 0);
  CHECK(life->engine().stats().open == 0);
  CHECK(life->stored("approval.pending") == 1);
}
