// chorus.registry with a real discovery registry: a script registers a
// capability while it is loaded (kept across a reload, gone at unload) and
// answers requests directed at it; another script discovers, selects and
// requests by capability, failing over from an instance that never answers.
#include <catch2/catch.hpp>

#include "lua/script_service.h"
#include "lua_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

FixtureOptions with_registry() {
  FixtureOptions o;
  o.registry = true;
  return o;
}

// A statistics service in Lua: registered while loaded, answers calc.request.
constexpr std::string_view kCalc = R"(
chorus.registry.register{capabilities = {"statistics"}, tags = {"lua"},
                         metadata = {lang = "lua"}, weight = 2}
chorus.on("calc.request", function(req)
  local sum = 0
  for _, v in ipairs(req.data.values) do sum = sum + v end
  chorus.reply(req, {op = "sum", result = sum, instance = chorus.name}, {type = "calc.result"})
end)
)";

// Asks on "ask": discover, select and request by capability; publishes "answer".
constexpr std::string_view kAsker = R"(
chorus.on("ask", function(ev)
  local found = chorus.registry.discover{capability = "statistics", tags = {"lua"}}
  local picked, perr = chorus.registry.select("statistics", {strategy = "round_robin"})
  local reply, err = chorus.registry.request("statistics", "calc.request",
                                             {values = {1, 2, 3}}, {timeout = 300, attempts = 2})
  chorus.publish("answer", {
    count = #found,
    first_id = found[1] and found[1].id,
    first_type = found[1] and found[1].type,
    first_lang = found[1] and found[1].metadata.lang,
    first_weight = found[1] and found[1].weight,
    picked = picked and picked.agent, picked_error = perr,
    result = reply and reply.data.result, instance = reply and reply.data.instance,
    error = err,
  })
end)
)";

}  // namespace

TEST_CASE("chorus.registry: a script registers a capability and another reaches it by request") {
  ScriptFixture f(with_registry());
  f.write("calc.lua", kCalc);
  f.write("asker.lua", kAsker);
  Recorder& answers = f.record("answer");
  f.start({ScriptFixture::spec("calc"), ScriptFixture::spec("asker")});

  auto rec = f.registry().get("script:calc");
  REQUIRE(rec.ok());
  CHECK(rec->agent_id() == "script:calc");
  CHECK(rec->spec->name == "calc");
  CHECK(rec->spec->type == "script");
  CHECK(rec->spec->capabilities == std::vector<std::string>{"statistics"});
  CHECK(rec->status == discovery::ServiceStatus::kHealthy);
  CHECK(rec->spec->ttl == lua::kScriptServiceTtl);  // kept alive by the host's heartbeats

  f.publish("ask");
  REQUIRE(answers.wait_count(1));
  auto d = data_of(answers.entries()[0].event);
  CHECK(d["count"].GetInt() == 1);
  CHECK(str(d["first_id"]) == "script:calc");
  CHECK(str(d["first_type"]) == "script");
  CHECK(str(d["first_lang"]) == "lua");
  CHECK(d["first_weight"].GetInt() == 2);
  CHECK(str(d["picked"]) == "script:calc");
  CHECK(d["result"].GetDouble() == 6);
  CHECK(str(d["instance"]) == "calc");
  CHECK(!d.HasMember("error"));
  // select does not hold a connection.
  CHECK(f.registry().get("script:calc")->active == 0);
}

TEST_CASE("chorus.registry.request fails over from an instance that never answers") {
  ScriptFixture f(with_registry());
  f.write("calc.lua", kCalc);
  // Registered with the capability but its handler never replies.
  f.write("mute.lua", R"(
chorus.registry.register{capabilities = {"statistics"}, tags = {"lua"}}
chorus.on("calc.request", function(req) end)
)");
  f.write("asker.lua", kAsker);
  Recorder& answers = f.record("answer");
  f.start({ScriptFixture::spec("calc"), ScriptFixture::spec("mute"), ScriptFixture::spec("asker")});
  REQUIRE(f.registry().get("script:mute").ok());
  // Round robin: of two requests in a row, one starts at the mute instance.
  f.publish("ask");
  REQUIRE(answers.wait_count(1));
  f.publish("ask");
  REQUIRE(answers.wait_count(2));
  for (const auto& e : answers.entries()) {
    auto d = data_of(e.event);
    CHECK(d["count"].GetInt() == 2);
    CHECK(d["result"].GetDouble() == 6);
    CHECK(str(d["instance"]) == "calc");
  }
}

TEST_CASE("chorus.registry: the registration follows the script's reloads and unload") {
  ScriptFixture f(with_registry());
  f.write("calc.lua", kCalc);
  auto& host = f.start({ScriptFixture::spec("calc")});
  REQUIRE(f.registry().get("script:calc").ok());

  // A reload that keeps declaring it keeps it, with the new capabilities.
  f.write("calc.lua", std::string(kCalc) + R"(
chorus.registry.register{capabilities = {"statistics", "math"}}
)");
  REQUIRE(host.reload("calc").ok());
  auto rec = f.registry().get("script:calc");
  REQUIRE(rec.ok());
  CHECK(rec->spec->capabilities == std::vector<std::string>{"statistics", "math"});

  // A version that declares none is no longer a service.
  f.write("calc.lua", "chorus.on('calc.request', function(req) end)\n");
  REQUIRE(host.reload("calc").ok());
  CHECK(f.registry().get("script:calc").error().code() == StatusCode::kNotFound);

  f.write("calc.lua", kCalc);
  REQUIRE(host.reload("calc").ok());
  REQUIRE(f.registry().get("script:calc").ok());
  // Unloaded (removed from the configuration): gone.
  REQUIRE(host.apply(f.options({})).ok());
  CHECK(f.registry().get("script:calc").error().code() == StatusCode::kNotFound);
}

TEST_CASE("chorus.registry: bad calls raise errors naming the script and line") {
  ScriptFixture f(with_registry());
  f.write("bad.lua", R"(
local out = {}
local function try(name, fn) local ok, err = pcall(fn); out[name] = err end
try("capability", function() chorus.registry.register{capabilities = {"Not A Cap"}} end)
try("empty", function() chorus.registry.register{capabilities = {}} end)
try("weight", function() chorus.registry.register{capabilities = {"x"}, weight = 0} end)
try("unknown", function() chorus.registry.register{capabilities = {"x"}, colour = "red"} end)
try("strategy", function() chorus.registry.select("x", {strategy = "fastest"}) end)
try("query", function() chorus.registry.discover("x") end)
try("waits", function() chorus.registry.request("x", "calc.request", {}) end)
chorus.after(0, function()
  try("late", function() chorus.registry.register{capabilities = {"x"}} end)
  local none, err = chorus.registry.select("nothing-here")
  out.none = err
  chorus.publish("bad", out)
end)
)");
  Recorder& bad = f.record("bad");
  f.start({ScriptFixture::spec("bad")});
  REQUIRE(bad.wait_count(1));
  auto d = data_of(bad.entries()[0].event);
  CHECK_THAT(str(d["capability"]), Catch::Contains("bad.lua:4: chorus.registry.register:") &&
                                       Catch::Contains("Not A Cap"));
  CHECK_THAT(str(d["empty"]), Catch::Contains("at least one capability"));
  CHECK_THAT(str(d["weight"]), Catch::Contains("'weight' must be a whole number from 1"));
  CHECK_THAT(str(d["unknown"]), Catch::Contains("unknown option 'colour'"));
  CHECK_THAT(str(d["strategy"]),
             Catch::Contains("option 'strategy'") && Catch::Contains("fastest"));
  CHECK_THAT(str(d["query"]), Catch::Contains("the query must be a table"));
  CHECK_THAT(str(d["waits"]), Catch::Contains("cannot wait while the script loads"));
  CHECK_THAT(str(d["late"]), Catch::Contains("only while the script loads"));
  CHECK_THAT(str(d["none"]), Catch::Contains("nothing-here"));
  // Nothing valid was declared: not a service.
  CHECK(f.registry().get("script:bad").error().code() == StatusCode::kNotFound);
}
