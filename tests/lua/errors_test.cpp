// Errors name script:line and come with a traceback: handler errors (in the
// log and in the dead letter), load errors (syntax, top level, missing
// functions), and `chorus check`'s view of the same (check_scripts).
#include <mutex>

#include <catch2/catch.hpp>

#include "lua/lua_log.h"
#include "lua/script_check.h"
#include "lua_test_util.h"

using namespace chorus;
using namespace chorus::test;

namespace {

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += l + "\n";
  return out;
}

}  // namespace

TEST_CASE("errors: a handler error is logged with script:line and a traceback") {
  LogCapture& log = capture_lua_log();
  (void)log.take();
  ScriptFixture f;
  f.write("e.lua", R"(local function inner(x) return x.y end
local function outer() return 1 + inner(nil) end
chorus.on("go", function() local r = outer(); return r end)
)");
  f.start({ScriptFixture::spec("e")});
  f.publish("go");
  REQUIRE(f.dead_letters().wait_size(1));
  const std::string text = joined(log.take());
  INFO(text);
  CHECK_THAT(text, Catch::Contains("e: chorus.on('go') at "));
  CHECK_THAT(text, Catch::Contains("e.lua:1: attempt to index local 'x' (a nil value)"));
  CHECK_THAT(text, Catch::Contains("stack traceback:"));
  CHECK_THAT(text, Catch::Contains("e.lua:2: in function 'outer'"));
  CHECK_THAT(text, Catch::Contains("e.lua:3: in function <"));
}

TEST_CASE("errors: an error object that is not a string is described") {
  ScriptFixture f;
  f.write("t.lua", "chorus.on('go', function() error({code = 7}) end)");
  f.start({ScriptFixture::spec("t")});
  f.publish("go");
  REQUIRE(f.dead_letters().wait_size(1));
  CHECK_THAT(f.dead_letters().all().at(0).reason,
             Catch::Contains("(error object is a table value)"));
}

TEST_CASE("errors: a failing script opens its circuit breaker like any subscriber") {
  ScriptFixture f;  // the bus's defaults: 3 attempts, breaker opens after 5 failures
  f.write("failing.lua", "chorus.on('go', function() error('down') end)");
  f.start({ScriptFixture::spec("failing")});
  for (int i = 0; i < 10; ++i)
    f.publish("go");
  REQUIRE(f.dead_letters().wait_size(10));
  size_t open = 0;
  for (const auto& dl : f.dead_letters().all())
    open += dl.reason.find("circuit open") != std::string::npos ? 1 : 0;
  CHECK(open > 0);
  for (const auto& s : f.bus().stats().subscribers) {
    if (s.id != "script:failing:go") continue;
    CHECK(s.failed == 5);  // the calls that failed before the breaker opened
    CHECK(s.breaker_state == "open");
  }
}

TEST_CASE("errors: a failing script logs at most 10 calls per 10 s") {
  LogCapture& log = capture_lua_log();
  (void)log.take();
  FixtureOptions o;
  o.bus.breaker.failure_threshold = 0;  // no breaker: every call fails
  o.bus.retry.max_attempts = 1;
  ScriptFixture f(o);
  f.write("noisy.lua", "chorus.on('go', function() error('again') end)");
  f.start({ScriptFixture::spec("noisy")});
  for (int i = 0; i < 20; ++i)
    f.publish("go");
  REQUIRE(f.dead_letters().wait_size(20));
  size_t failures = 0;
  for (const auto& l : log.take())
    failures += l.find("noisy.lua:1: again") != std::string::npos ? 1 : 0;
  CHECK(failures == 10);
}

TEST_CASE("errors: load errors name the line, the script stays unloaded") {
  ScriptFixture f;
  f.write("syntax.lua", "chorus.on('go', function()\n  x = = 1\nend)\n");
  f.write("toplevel.lua", "local cfg = nil\n\nlocal limit = cfg.limit\n");
  f.write("yielder.lua", "chorus.sleep(10)\n");
  auto bad_yaml = ScriptFixture::spec("yaml");
  f.write("yaml.lua", "function on_order(ev) end\n");
  bad_yaml.subscriptions.push_back({{"order.*"},
                                    "on_ordr",
                                    "",
                                    "",
                                    "",
                                    {},
                                    "host.yaml:12:9: scripts.entries.yaml.subscriptions[0]"});
  f.start({ScriptFixture::spec("syntax"), ScriptFixture::spec("toplevel"),
           ScriptFixture::spec("yielder"), bad_yaml});
  std::map<std::string, std::string> errors;
  for (const auto& s : f.host().scripts()) {
    CHECK_FALSE(s.loaded);
    errors[s.name] = s.last_error;
  }
  CHECK_THAT(errors["syntax"], Catch::Contains("syntax.lua:2: unexpected symbol near '='"));
  CHECK_THAT(errors["toplevel"],
             Catch::Contains("toplevel.lua:3: attempt to index local 'cfg' (a nil value)"));
  CHECK_THAT(errors["yielder"],
             Catch::Contains("yielder.lua:1: chorus.sleep cannot wait while the script loads"));
  CHECK(errors["yaml"] ==
        "host.yaml:12:9: scripts.entries.yaml.subscriptions[0]: handler: " + f.folder() +
            "/yaml.lua defines no global function 'on_ordr'; did you mean 'on_order'?");
}

TEST_CASE("check_scripts: every problem with its file and line, no handler run") {
  ScriptFixture f;
  f.write("good.lua", "chorus.publish('x', {}) function handle(ev) error('never runs') end\n");
  f.write("syntax.lua", "local = 1\n");
  f.write("toplevel.lua", "\n\nerror('boom at load')\n");
  lua::ScriptHostOptions o = f.options({});
  auto good = ScriptFixture::spec("good");
  good.subscriptions.push_back({{"a"}, "handle", "", "", "", {}, "h.yaml:3:5: s0"});
  good.subscriptions.push_back({{"b"}, "handle", "filters.keep", "", "", {}, "h.yaml:7:5: s1"});
  good.subscriptions.push_back({{"c"}, "handle", "good.nope", "", "", {}, "h.yaml:11:5: s2"});
  good.subscriptions.push_back({{"d"}, "nothere", "", "", "", {}, "h.yaml:15:5: s3"});
  o.scripts = {good, ScriptFixture::spec("syntax"), ScriptFixture::spec("toplevel"),
               ScriptFixture::spec("missing")};
  o.scripts.back().origin = "h.yaml:20:3: scripts.entries.missing";
  auto problems = lua::check_scripts(o);
  std::vector<std::string> texts;
  for (const auto& p : problems)
    texts.push_back(p.file + ":" + std::to_string(p.line) + " " + p.message);
  INFO(joined(texts));
  REQUIRE(problems.size() == 6);
  CHECK(problems[0].message == "h.yaml:15:5: s3: handler: " + f.folder() +
                                   "/good.lua defines no global function 'nothere'");
  CHECK(problems[0].file == "h.yaml");
  CHECK(problems[0].line == 15);
  CHECK(problems[1].message == "h.yaml:7:5: s1: filter: no script named 'filters'");
  CHECK_THAT(problems[2].message, Catch::Contains("h.yaml:11:5: s2: filter: "));
  CHECK_THAT(problems[2].message, Catch::Contains("good.lua defines no global function 'nope'"));
  CHECK_THAT(problems[3].message, Catch::Contains("syntax.lua:1: '<name>' expected near '='"));
  CHECK(problems[3].line == 1);
  CHECK_THAT(problems[4].message, Catch::Contains("toplevel.lua:3: boom at load"));
  CHECK(problems[4].line == 3);
  CHECK_THAT(problems[5].message, Catch::Contains("h.yaml:20:3: scripts.entries.missing: file: "
                                                  "cannot read"));
}
