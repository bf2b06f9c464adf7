// Limits: a runaway loop, a runaway recursion, a huge allocation and an
// expensive C call (string.rep, a pathological pattern) each stop that call
// with an error naming script:line; pcall and coroutines cannot swallow a
// limit; the host, the other scripts and the same script's next event go on;
// a failing handler feeds the bus's retries and dead letters.
#include <catch2/catch.hpp>

#include "lua_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

lua::ScriptSpec limited(std::string name, std::chrono::milliseconds cpu = 50ms) {
  auto s = ScriptFixture::spec(std::move(name));
  s.limits.cpu = cpu;
  s.limits.memory_bytes = 16u << 20;
  return s;
}

// A script whose "run" handler executes `body` when ev.data.bad is set, and
// publishes "done" {n} otherwise; returns the dead letter of the bad event.
struct Runaway {
  ScriptFixture f;
  Recorder* done = nullptr;
  Recorder* other = nullptr;

  explicit Runaway(const std::string& body, std::chrono::milliseconds cpu = 50ms) {
    f.write("victim.lua", "chorus.on('run', function(ev)\n  if ev.data.bad then\n" + body +
                              "\n  end\n  chorus.publish('done', {n = ev.data.n})\nend)\n");
    f.write("bystander.lua", "chorus.on('other', function() chorus.publish('other.done', {}) end)");
    done = &f.record("done");
    other = &f.record("other.done");
    f.start({limited("victim", cpu), limited("bystander")});
  }

  // Publishes the bad event, then checks the bystander and the victim's
  // next event; returns the bad event's dead-letter reason.
  std::string run() {
    f.publish("run", R"({"bad":true,"n":1})");
    f.publish("other");
    f.publish("run", R"({"n":2})");
    REQUIRE(other->wait_count(1));
    REQUIRE(done->wait_count(1));
    CHECK(data_of(done->entries()[0].event)["n"].GetInt() == 2);
    REQUIRE(f.dead_letters().wait_size(1));
    auto dl = f.dead_letters().all().at(0);
    CHECK(dl.subscriber_id == "script:victim:run");
    CHECK(dl.attempts == 3);
    // Still alive after the retries: a third event is served.
    f.publish("run", R"({"n":3})");
    REQUIRE(done->wait_count(2));
    return dl.reason;
  }
};

}  // namespace

TEST_CASE("limits: while true do end stops with a CPU error at script:line") {
  Runaway r("    while true do end");
  CHECK_THAT(r.run(), Catch::Contains("victim.lua:3: CPU limit of 50 ms per call exceeded"));
}

TEST_CASE("limits: pcall, xpcall and coroutines cannot swallow the CPU limit") {
  SECTION("pcall in a loop") {
    Runaway r("    while true do pcall(function() while true do end end) end");
    CHECK_THAT(r.run(), Catch::Contains("CPU limit of 50 ms per call exceeded"));
  }
  SECTION("xpcall with a handler") {
    Runaway r(
        "    while true do xpcall(function() while true do end end, function(e) return e end) end");
    CHECK_THAT(r.run(), Catch::Contains("CPU limit of 50 ms per call exceeded"));
  }
  SECTION("coroutine.resume and coroutine.wrap") {
    Runaway r(
        "    while true do\n"
        "      coroutine.resume(coroutine.create(function() while true do end end))\n"
        "      pcall(coroutine.wrap(function() while true do end end))\n"
        "    end");
    CHECK_THAT(r.run(), Catch::Contains("CPU limit of 50 ms per call exceeded"));
  }
}

TEST_CASE("limits: a runaway recursion stops with a stack overflow at script:line") {
  Runaway r("    local function f(n) return 1 + f(n + 1) end\n    f(1)");
  CHECK_THAT(r.run(), Catch::Contains("victim.lua:3: stack overflow"));
}

TEST_CASE("limits: a huge allocation stops at the memory limit, the state recovers") {
  // CPU limits long enough that memory runs out first.
  SECTION("a growing table") {
    Runaway r("    local t = {}\n    for i = 1, 1e9 do t[i] = {i} end", 5000ms);
    CHECK_THAT(r.run(), Catch::Contains("victim.lua:4: memory limit of 16 MiB exceeded"));
    for (const auto& s : r.f.host().scripts())
      if (s.name == "victim") CHECK(s.memory_bytes < (16u << 20));
  }
  SECTION("swallowed by pcall in a loop") {
    Runaway r(
        "    while true do pcall(function() local t = {} for i = 1, 1e9 do t[i] = {i} end end) "
        "end",
        5000ms);
    CHECK_THAT(r.run(), Catch::Contains("memory limit of 16 MiB exceeded"));
  }
  SECTION("one string.rep of a gigabyte (one C call)") {
    Runaway r("    local s = string.rep('x', 2^30)");
    CHECK_THAT(r.run(), Catch::Contains("victim.lua:3: string.rep: the result would be 1073741824 "
                                        "bytes, over the script's memory limit of 16 MiB"));
  }
  SECTION("a concatenation that doubles") {
    Runaway r("    local s = 'x'\n    while true do s = s .. s end", 5000ms);
    CHECK_THAT(r.run(), Catch::Contains("victim.lua:4: memory limit of 16 MiB exceeded"));
  }
}

TEST_CASE("limits: a pathological pattern (one long C call) stops at the CPU limit") {
  SECTION("string.find") {
    Runaway r("    string.find(('a'):rep(40), ('a*'):rep(30) .. 'b')");
    CHECK_THAT(r.run(), Catch::Contains("victim.lua:3: CPU limit of 50 ms per call exceeded"));
  }
  SECTION("string.match through a method call") {
    Runaway r("    local s = ('a'):rep(40)\n    s:match(('a-'):rep(30) .. 'b')");
    CHECK_THAT(r.run(), Catch::Contains("victim.lua:4: CPU limit of 50 ms per call exceeded"));
  }
  SECTION("string.gsub and string.gmatch") {
    Runaway r(
        "    for m in (('a'):rep(30)):gmatch(('a?'):rep(30) .. 'b') do end\n"
        "    string.gsub(('a'):rep(40), ('a*'):rep(30) .. 'b', 'x')");
    CHECK_THAT(r.run(), Catch::Contains("victim.lua:3: CPU limit of 50 ms per call exceeded"));
  }
}

TEST_CASE("limits: the CPU limit counts running time, not time spent waiting") {
  ScriptFixture f;
  f.write("napper.lua", R"(
chorus.on("nap", function()
  chorus.sleep(150)
  chorus.sleep(150)
  chorus.publish("rested", {})
end)
)");
  Recorder& rested = f.record("rested");
  f.start({limited("napper")});
  f.publish("nap");
  REQUIRE(rested.wait_count(1));
}

TEST_CASE("limits: a handler that always fails is retried, then dead-lettered with script:line") {
  ScriptFixture f;
  f.write("broken.lua", R"(
chorus.on("work", function(ev)
  local t = nil
  return t.field
end)
)");
  f.start({ScriptFixture::spec("broken")});
  f.publish("work");
  REQUIRE(f.dead_letters().wait_size(1));
  auto dl = f.dead_letters().all().at(0);
  CHECK(dl.subscriber_id == "script:broken:work");
  CHECK(dl.attempts == 3);
  CHECK_THAT(dl.reason, Catch::Contains("broken.lua:4: attempt to index local 't' (a nil value)"));
  CHECK(dl.event->type() == "work");
}

TEST_CASE("the budgeted pattern functions give the same results as LuaJIT's") {
  // The same expressions in a trusted script (LuaJIT's own string library)
  // and a sandboxed one (the budgeted matcher).
  const std::string probe = R"lua(
local cases = {
  {string.find("hello world", "o w")}, {string.find("hello world", "l+")},
  {string.find("hello", "l", 1, true)}, {string.find("a.b", ".", 1, true)},
  {string.find("hello", "")}, {string.find("hello", "", 10)}, {string.find("hello", "xyz")},
  {string.find("hello", "l", -2)}, {string.find("x = 10", "(%w+)%s*=%s*(%d+)")},
  {("key=val"):match("(%w+)=(%w+)")}, {("  trim  "):match("^%s*(.-)%s*$")},
  {("THE (quick) fox"):find("%((%a+)%)")}, {("f(a(b)c)d"):match("%b()")},
  {("THE (quick) fox"):gsub("%f[%a]%a+", function(w) return w:lower() end)},
  {("hello"):gsub("l+", "L")}, {("hello world"):gsub("o", "0", 1)},
  {("abc"):gsub("", "-")}, {("hello"):gsub("(l)(l)", "%2%1%%")},
  {("a1b2c3"):gsub("%d", {["1"] = "one", ["3"] = false})},
  {("hello"):match("()ll()")}, {("aaa"):match("(a)%1")}, {("x"):match("^(x?)$")},
  {("[test]"):match("^%[(.*)%]$")}, {("a-b-c"):gsub("%-", "+")}, {("\0a\0"):find("a")},
  {("ABCabc123_"):gsub("[%u%d]", "")}, {("dots..."):match("[^.]+")},
  {("x"):rep(3, ",")}, {("abc"):match(".-b")}, {("abc"):match("a*")},
}
local words = {}
for w in ("one two  three"):gmatch("%a+") do words[#words + 1] = w end
for k, v in ("a=1, b=2"):gmatch("(%w+)=(%w+)") do words[#words + 1] = k .. v end
cases[#cases + 1] = words
local errors = {}
for _, p in ipairs({"%", "[a", "(()", "%b", "%f", "(%1)"}) do
  local ok, e = pcall(string.find, "abc", p)
  errors[#errors + 1] = tostring(e)
end
cases[#cases + 1] = errors
chorus.publish("patterns", {cases = cases})
)lua";
  ScriptFixture f;
  f.write("trusted_probe.lua", probe);
  f.write("sandboxed_probe.lua", probe);
  Recorder& r = f.record("patterns");
  auto t = ScriptFixture::spec("trusted_probe");
  t.trust = lua::Trust::kTrusted;
  f.start({t, ScriptFixture::spec("sandboxed_probe")});
  REQUIRE(r.wait_count(2));
  auto a = r.entries()[0].event, b = r.entries()[1].event;
  CHECK(a->source() != b->source());
  CHECK(std::string(a->data()) == std::string(b->data()));
}
