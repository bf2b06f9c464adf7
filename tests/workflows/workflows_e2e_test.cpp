// End to end with the real `chorus` binary: a workflow SIGKILLed at its
// second await continues after a restart and its earlier publishes are not
// repeated; the commissioning saga killed between configure and test
// compensates exactly once (counted in the store, read-only, while the
// host runs). Every wait has a deadline.
#include <fstream>
#include <functional>
#include <signal.h>
#include <sstream>

#include <catch2/catch.hpp>

#include "store/event_store.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "workflows/history_records.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kChorus = CHORUS_BINARY;
const std::string kSource = CHORUS_SOURCE_DIR;

std::string config_for(const TempDir& dir, const std::string& entries) {
  return dir.write("host.yaml",
                   "host:\n  data_dir: " + dir.file("data") +
                       "\n  workers: 2\napi:\n  listen: 127.0.0.1:0\nscripts:\n  folder: " +
                       dir.file("scripts") + "\n  watch: false\n  entries:\n" + entries);
}

// Events of `type` in the store of a running (or stopped) host.
size_t count_stored(const TempDir& dir, const std::string& type) {
  store::StoreOptions o;
  o.path = dir.file("data/store");
  o.read_only = true;
  auto s = store::EventStore::open(o);
  if (!s.ok()) return 0;
  auto page = (*s)->read_types(type, 0, store::Direction::kForward, 100'000);
  return page.ok() ? page->events.size() : 0;
}

// Instances ended, per $wf-instances.
size_t count_ended(const TempDir& dir) {
  store::StoreOptions o;
  o.path = dir.file("data/store");
  o.read_only = true;
  auto s = store::EventStore::open(o);
  if (!s.ok()) return 0;
  auto page = (*s)->read_stream(workflows::kInstancesStream, 1, store::Direction::kForward, 1000);
  if (!page.ok()) return 0;
  size_t n = 0;
  for (const auto& e : page->events)
    if (e.event->type() == workflows::kRecInstanceEnded) ++n;
  return n;
}

bool eventually(const std::function<bool()>& f) {
  return spin_until(f, 30s);
}

constexpr const char* kTwoAwaits = R"(
chorus.workflow{name = "two", on = "two.start", run = function(ctx, e)
  ctx:publish("two.a", {})
  ctx:await("two.first")
  ctx:publish("two.b", {})
  ctx:await("two.second")
  ctx:publish("two.c", {})
end}
)";

constexpr const char* kDriver = R"(
local finish = chorus.config.finish
if not finish then
  chorus.after(300, function() chorus.publish("two.start", {}) end)
  chorus.on("two.a", function() chorus.publish("two.first", {}) end)
else
  chorus.every(200, function() chorus.publish("two.second", {}) end)
end
)";

constexpr const char* kEquipment = R"(
local phase = chorus.config.phase
if phase == "first" then
  chorus.after(300, function() chorus.publish("equipment.commission", {equipment_id = "eq-1"}) end)
  chorus.on("equipment.configure", function(ev)
    chorus.publish("equipment.configured", {equipment_id = ev.data.equipment_id})
  end)
else
  chorus.every(200, function()
    chorus.publish("equipment.tested", {equipment_id = "eq-1", ok = false, reason = "no signal"})
  end)
end
)";

}  // namespace

TEST_CASE(
    "e2e: a workflow killed at its second await completes after a restart, publishing "
    "nothing twice") {
  TempDir dir;
  dir.write("scripts/two.lua", kTwoAwaits);
  dir.write("scripts/driver.lua", kDriver);
  {
    Subprocess p(
        {kChorus, "run", config_for(dir, "    two: {}\n    driver: {config: {finish: false}}\n")});
    INFO(p.err());
    REQUIRE(p.wait_for_line("ready", 20s));
    REQUIRE(eventually([&] { return count_stored(dir, "two.b") == 1; }));
    // Killed once the second await is recorded (its wf.scheduled follows
    // two.b's publish in another transaction).
    REQUIRE(eventually([&] {
      return run_command({kChorus, "workflows", "list", "--data-dir", dir.file("data")})
                 .out.find("waits: await 'two.second'") != std::string::npos;
    }));
    p.signal(SIGKILL);
    REQUIRE(p.wait_exit(10s));
  }
  CHECK(count_ended(dir) == 0);
  // While it is down, the command line shows where the instance waits.
  RunResult list = run_command({kChorus, "workflows", "list", "--data-dir", dir.file("data")});
  INFO(list.err);
  REQUIRE(list.exit_code == 0);
  CHECK(list.out.find(" two ") != std::string::npos);
  CHECK(list.out.find("waits: await 'two.second' (seq 4) at " + dir.file("scripts/two.lua") +
                      ":6") != std::string::npos);
  const std::string id = list.out.substr(0, 36);
  RunResult hist = run_command(
      {kChorus, "workflows", "history", id.substr(0, 8), "--data-dir", dir.file("data")});
  REQUIRE(hist.exit_code == 0);
  CHECK(hist.out.find("v1 wf.started") != std::string::npos);
  CHECK(hist.out.find("wf.command seq 1 publish 'two.a' at " + dir.file("scripts/two.lua") +
                      ":3") != std::string::npos);
  RunResult show = run_command({kChorus, "workflows", "show", id, "--data-dir", dir.file("data")});
  REQUIRE(show.exit_code == 0);
  CHECK(show.out.find("status       running") != std::string::npos);
  Subprocess p(
      {kChorus, "run", config_for(dir, "    two: {}\n    driver: {config: {finish: true}}\n")});
  INFO(p.err());
  REQUIRE(p.wait_for_line("ready", 20s));
  REQUIRE(eventually([&] { return count_stored(dir, "two.c") == 1; }));
  REQUIRE(eventually([&] { return count_ended(dir) == 1; }));
  CHECK(count_stored(dir, "two.a") == 1);
  CHECK(count_stored(dir, "two.b") == 1);
  p.signal(SIGTERM);
  auto code = p.wait_exit(10s);
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("e2e: the commissioning saga killed between configure and test compensates once") {
  TempDir dir;
  std::ifstream in(kSource + "/scripts/commissioning.lua");
  std::stringstream text;
  text << in.rdbuf();
  dir.write("scripts/commissioning.lua", text.str());
  dir.write("scripts/equipment.lua", kEquipment);
  {
    Subprocess p(
        {kChorus, "run",
         config_for(dir, "    commissioning: {}\n    equipment: {config: {phase: first}}\n")});
    INFO(p.err());
    REQUIRE(p.wait_for_line("ready", 20s));
    REQUIRE(eventually([&] { return count_stored(dir, "equipment.test") == 1; }));
    p.signal(SIGKILL);
    REQUIRE(p.wait_exit(10s));
  }
  Subprocess p(
      {kChorus, "run",
       config_for(dir, "    commissioning: {}\n    equipment: {config: {phase: second}}\n")});
  INFO(p.err());
  REQUIRE(p.wait_for_line("ready", 20s));
  REQUIRE(eventually([&] { return count_ended(dir) == 1; }));
  REQUIRE(p.wait_for_line("compensated", 10s));
  CHECK(count_stored(dir, "equipment.deconfigure") == 1);
  CHECK(count_stored(dir, "equipment.configure") == 1);
  CHECK(count_stored(dir, "equipment.test") == 1);
  CHECK(count_stored(dir, "equipment.activated") == 0);
  p.signal(SIGTERM);
  auto code = p.wait_exit(10s);
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(count_stored(dir, "equipment.deconfigure") == 1);
}

TEST_CASE(
    "e2e: chorus test runs the example workflow tests (also with --crash-matrix) and names a "
    "failing line") {
  RunResult r = run_command({kChorus, "test", kSource + "/scripts"}, 120s);
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find(" failed") != std::string::npos);
  CHECK(r.out.find(", 0 failed") != std::string::npos);
  RunResult matrix = run_command(
      {kChorus, "test", "--crash-matrix", kSource + "/scripts/approval_test.lua"}, 120s);
  INFO(matrix.out << matrix.err);
  CHECK(matrix.exit_code == 0);
  CHECK(matrix.out.find("3 passed, 0 failed (") != std::string::npos);
  CHECK(matrix.out.find("crash-matrix reruns)") != std::string::npos);
  TempDir dir;
  std::ifstream in(kSource + "/scripts/approval.lua");
  std::stringstream text;
  text << in.rdbuf();
  dir.write("approval.lua", text.str());
  dir.write("bad_test.lua",
            "test('fails', function(h)\n  h:load('approval.lua')\n"
            "  h:publish('approval.requested', {request_id = 'r-1'})\n"
            "  h:expect_published('approval.done')\nend)\n");
  RunResult bad = run_command({kChorus, "test", dir.file("bad_test.lua")}, 60s);
  CHECK(bad.exit_code == 1);
  CHECK(bad.out.find("FAIL " + dir.file("bad_test.lua") + ": fails: " + dir.file("bad_test.lua") +
                     ":4: expected approval.done") != std::string::npos);
}
