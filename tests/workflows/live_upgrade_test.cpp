// WorkflowEngine::upgrade on a running engine and `workflows.upgrade:
// on_reload` (UpgradeMode::kOnReload), with real LuaJIT, a real store and
// a real script reload (docs/workflows.md "Versions").
#include <set>

#include <fmt/core.h>
#include <rapidjson/document.h>

#include "wf_test_util.h"
#include "workflows/history_records.h"

using namespace chorus;
using namespace chorus::test;

namespace {

// Instances with kind "x" publish the same first event in both versions;
// the others publish `y_type`, which differs between them.
std::string version(const char* y_type, const char* tag) {
  return fmt::format(R"(chorus.workflow{{name = "up", on = "up.start", run = function(ctx, e)
  if e.data.kind == "x" then
    ctx:publish("up.x", {{}})
  else
    ctx:publish("{}", {{}})
  end
  ctx:publish("up.waiting", {{}})
  ctx:await("up.go")
  ctx:publish("up.after", {{v = "{}"}})
end}}
)",
                     y_type, tag);
}

// Starts an "x" and a "y" instance on version one, then reloads the script
// as version two. Returns the ids {x, y}.
std::pair<std::string, std::string> start_two_and_reload(WfWorld& w, WfLife& life) {
  Recorder& started = life.record("workflow.started");
  Recorder& waiting = life.record("up.waiting");
  Recorder& reloaded = life.record("system.script.reloaded");
  life.publish("up.start", R"({"kind":"x"})");
  REQUIRE(waiting.wait_count(1));
  life.publish("up.start", R"({"kind":"y"})");
  REQUIRE(waiting.wait_count(2));
  const std::string x = field(started.entries()[0].event, "instance");
  const std::string y = field(started.entries()[1].event, "instance");
  w.write("up.lua", version("up.z", "two"));
  REQUIRE(life.scripts().reload("up").ok());
  REQUIRE(reloaded.wait_count(1));
  life.engine().sync();
  return {x, y};
}

}  // namespace

TEST_CASE("workflows: a live upgrade moves the clean instance and keeps the divergent one pinned") {
  WfWorld w;
  w.write("up.lua", version("up.y", "one"));
  auto life = w.live({WfWorld::spec("up")});
  auto [x, y] = start_two_and_reload(w, *life);
  const std::string old_hash = history_of(life->store(), x).started.source_hash;
  auto r = life->engine().upgrade("up");
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  REQUIRE(r->size() == 2);
  for (const auto& o : *r) {
    INFO(o.instance << ": " << o.why);
    CHECK(o.from == old_hash);
    if (o.instance == x) {
      CHECK(o.result == workflows::UpgradeOutcome::Result::kUpgraded);
    } else {
      CHECK(o.instance == y);
      CHECK(o.result == workflows::UpgradeOutcome::Result::kPinned);
      CHECK(o.why.find("seq 1") != std::string::npos);
      CHECK(o.why.find("history has publish 'up.y' at ") != std::string::npos);
      CHECK(o.why.find("publish 'up.z' at ") != std::string::npos);
    }
  }
  Recorder& after = life->record("up.after");
  life->publish("up.go");
  REQUIRE(after.wait_count(2));
  std::set<std::string> vs;
  for (const auto& e : after.entries())
    vs.insert(field(e.event, "v"));
  CHECK(vs == std::set<std::string>{"one", "two"});  // y kept the old source, x moved
  life->engine().sync();
  CHECK(life->engine().stats().diverged == 0);
  CHECK(life->stored("up.x") == 1);  // the re-run replayed it: not published again
  CHECK(life->stored("up.waiting") == 2);
  CHECK(history_of(life->store(), x).started.source_hash != old_hash);
  CHECK(history_of(life->store(), y).started.source_hash == old_hash);
  CHECK(life->engine().upgrade("nope").status().is(StatusCode::kNotFound));
}

TEST_CASE("workflows: with upgrade on_reload, a reload upgrades the open instances that replay") {
  WfWorld w;
  w.write("up.lua", version("up.y", "one"));
  auto life = w.live({WfWorld::spec("up")}, {}, [](workflows::WorkflowOptions& o) {
    o.upgrade = workflows::UpgradeMode::kOnReload;
  });
  auto [x, y] = start_two_and_reload(w, *life);
  const std::string old_hash = history_of(life->store(), y).started.source_hash;
  REQUIRE(spin_until(
      [&, x = x] { return history_of(life->store(), x).started.source_hash != old_hash; }));
  life->engine().sync();
  Recorder& after = life->record("up.after");
  life->publish("up.go");
  REQUIRE(after.wait_count(2));
  std::set<std::string> vs;
  for (const auto& e : after.entries())
    vs.insert(field(e.event, "v"));
  CHECK(vs == std::set<std::string>{"one", "two"});
  CHECK(history_of(life->store(), y).started.source_hash == old_hash);
  CHECK(life->stored("up.x") == 1);
}

TEST_CASE("workflows: a stored source is removed when its last instance ends, not before") {
  WfWorld w;
  w.write("up.lua", version("up.y", "one"));
  auto life = w.live({WfWorld::spec("up")});
  auto [x, y] = start_two_and_reload(w, *life);
  const std::string old_hash = history_of(life->store(), x).started.source_hash;
  const std::string old_source = workflows::source_stream(old_hash);
  auto readable = [&](const std::string& stream) {
    auto page = life->store().read_stream(stream, 1, store::Direction::kForward, 10);
    return page.ok() && !page->events.empty();
  };
  REQUIRE(readable(old_source));
  // A new instance on the current version, then all three end.
  Recorder& started = life->record("workflow.started");
  Recorder& done = life->record("workflow.completed");
  life->publish("up.start", R"({"kind":"x"})");
  REQUIRE(started.wait_count(1));
  const std::string new_hash =
      history_of(life->store(), field(started.entries()[0].event, "instance")).started.source_hash;
  REQUIRE(new_hash != old_hash);
  CHECK(readable(old_source));  // x and y still run on it
  life->publish("up.go");
  REQUIRE(done.wait_count(3));
  REQUIRE(spin_until([&] { return !readable(old_source); }));
  life->engine().sync();
  CHECK(readable(workflows::source_stream(new_hash)));  // the current version's stays
  // The old text comes back: its source is stored again for a new instance.
  Recorder& reloaded = life->record("system.script.reloaded");
  w.write("up.lua", version("up.y", "one"));
  REQUIRE(life->scripts().reload("up").ok());
  REQUIRE(reloaded.wait_count(1));
  life->engine().sync();
  life->publish("up.start", R"({"kind":"y"})");
  REQUIRE(started.wait_count(2));
  CHECK(history_of(life->store(), field(started.entries()[1].event, "instance"))
            .started.source_hash == old_hash);
  REQUIRE(spin_until([&] { return readable(old_source); }));
}
