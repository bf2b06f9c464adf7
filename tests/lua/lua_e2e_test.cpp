// End to end with the real `chorus` binary: scripts loaded by `chorus run`
// react to events, an edited script takes over without a restart, SIGHUP
// applies a new `scripts:` section, and `chorus check` reports script errors
// with file:line next to YAML errors. Every wait has a deadline.
#include <signal.h>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "support/subprocess.h"
#include "support/temp_dir.h"

using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kChorus = CHORUS_BINARY;

std::string config_for(const TempDir& dir, const std::string& entries) {
  return dir.write("host.yaml",
                   "host:\n  data_dir: " + dir.file("data") +
                       "\n  workers: 2\napi:\n  listen: 127.0.0.1:0\nscripts:\n  folder: " +
                       dir.file("scripts") + "\n  entries:\n" + entries);
}

constexpr const char* kTicker = R"(
local n = 0
chorus.every(20, function()
  n = n + 1
  chorus.publish("demo.tick", {n = n})
end)
)";

std::string reactor(const std::string& version) {
  return "function on_tick(ev)\n  if ev.data.n % 5 == 0 then chorus.log.info('reactor " + version +
         " saw tick') end\nend\n";
}

constexpr const char* kEntries = R"(    ticker: {}
    reactor:
      subscriptions:
        - on: demo.tick
          handler: on_tick
)";

}  // namespace

TEST_CASE("e2e: a script reacts to events, the edited script takes over while the host runs") {
  TempDir dir;
  dir.write("scripts/ticker.lua", kTicker);
  dir.write("scripts/reactor.lua", reactor("v1"));
  Subprocess p({kChorus, "run", config_for(dir, kEntries)});
  INFO(p.err());
  REQUIRE(p.wait_for_line("ready", 20s));
  REQUIRE(p.wait_for_line("reactor: reactor v1 saw tick", 10s));
  dir.write("scripts/reactor.lua", reactor("v2"));
  REQUIRE(p.wait_for_line("reactor: reloaded " + dir.file("scripts/reactor.lua"), 10s));
  REQUIRE(p.wait_for_line("reactor: reactor v2 saw tick", 10s));
  // A broken save keeps v2 running.
  dir.write("scripts/reactor.lua", "function on_tick(ev\n");
  REQUIRE(p.wait_for_line("reactor: reload failed, the previous version keeps running: " +
                              dir.file("scripts/reactor.lua") + ":2:",
                          10s));
  CHECK(p.wait_for_line("reactor: reactor v2 saw tick", 10s));
  p.signal(SIGTERM);
  auto code = p.wait_exit(10s);
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("e2e: SIGHUP applies a changed scripts: section") {
  TempDir dir;
  dir.write("scripts/ticker.lua", kTicker);
  dir.write("scripts/reactor.lua", reactor("late"));
  const std::string cfg = config_for(dir, "    ticker: {}\n");
  Subprocess p({kChorus, "run", cfg});
  INFO(p.err());
  REQUIRE(p.wait_for_line("ready", 20s));
  config_for(dir, kEntries);
  p.signal(SIGHUP);
  REQUIRE(p.wait_for_line("reload: scripts.entries.reactor: (default) -> (entry) (applied)", 10s));
  REQUIRE(p.wait_for_line("reactor: loaded", 10s));
  REQUIRE(p.wait_for_line("reactor: reactor late saw tick", 10s));
  p.signal(SIGTERM);
  CHECK(p.wait_exit(10s) == 0);
}

TEST_CASE("e2e: chorus check reports script errors with file:line, and --json") {
  TempDir dir;
  dir.write("scripts/ticker.lua", kTicker);
  dir.write("scripts/reactor.lua", "function on_tik(ev) end\nlocal x = = 1\n");
  const std::string cfg = config_for(dir, kEntries);
  auto r = run_command({kChorus, "check", cfg});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err,
             Catch::Contains(dir.file("scripts/reactor.lua") + ":2: unexpected symbol near '='"));
  CHECK_THAT(r.err, Catch::Contains(cfg + ": 1 error in scripts"));

  dir.write("scripts/reactor.lua", "function on_tik(ev) end\n");
  r = run_command({kChorus, "check", cfg});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains(cfg +
                                    ":12:11: scripts.entries.reactor.subscriptions[0]: "
                                    "handler: " +
                                    dir.file("scripts/reactor.lua") +
                                    " defines no global function 'on_tick'; did you mean "
                                    "'on_tik'?"));

  auto j = run_command({kChorus, "check", "--json", cfg});
  CHECK(j.exit_code == 1);
  rapidjson::Document d;
  d.Parse(j.out.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK_FALSE(d["ok"].GetBool());
  REQUIRE(d["errors"].Size() == 1);
  CHECK(std::string(d["errors"][0]["file"].GetString()) == cfg);
  CHECK(d["errors"][0]["line"].GetInt() == 12);  // after host: and api:
  CHECK(std::string(d["errors"][0]["path"].GetString()) == "scripts.entries.reactor");

  dir.write("scripts/reactor.lua", reactor("ok"));
  r = run_command({kChorus, "check", cfg});
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains(cfg + ": ok"));
}
