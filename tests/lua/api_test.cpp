// The `chorus` module, function by function, on a real bus (and a real
// store for chorus.store): publish (envelope, causation, options, errors),
// request/reply (reply, timeout, no responders), on (patterns, filter,
// priority, queue group, durable), after/every/cancel, sleep, now, uuid,
// log, json, config, the event object, and chorus.registry without a
// registry (registry_test.cpp has it with one).
#include <catch2/catch.hpp>

#include "lua_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

TEST_CASE("chorus.publish: a handler's event is caused by the event it handles") {
  ScriptFixture f;
  f.write("echo.lua", R"(
chorus.on("ping.*", function(ev)
  chorus.publish("pong." .. ev.data.n, {n = ev.data.n, from = ev.type},
                 {priority = "high", metadata = {userid = "u1"}})
end)
)");
  Recorder& pongs = f.record("pong.*");
  f.start({ScriptFixture::spec("echo")});
  EventPtr ping = f.publish("ping.a", R"({"n":7})", Priority::kNormal, "corr-1");
  REQUIRE(pongs.wait_count(1));
  EventPtr pong = pongs.entries()[0].event;
  CHECK(pong->type() == "pong.7");
  CHECK(pong->source() == "echo");
  CHECK(pong->priority() == Priority::kHigh);
  CHECK(pong->causation_id() == ping->id().to_string());
  CHECK(pong->correlation_id() == "corr-1");
  CHECK(pong->find_metadata("userid") == std::optional<std::string_view>("u1"));
  auto d = data_of(pong);
  CHECK(d["n"].GetInt() == 7);
  CHECK(str(d["from"]) == "ping.a");
}

TEST_CASE("chorus.publish: bad input is an error naming the script line") {
  ScriptFixture f;
  f.write("bad.lua", R"(
chorus.on("go", function(ev)
  local ok, err = pcall(chorus.publish, "Not A Type", {})
  chorus.publish("result", {err = err})
  ok, err = pcall(chorus.publish, "x.y", {}, {prority = "high"})
  chorus.publish("result", {err = err})
  ok, err = pcall(chorus.publish, "x.y", function() end)
  chorus.publish("result", {err = err})
end)
)");
  Recorder& results = f.record("result");
  f.start({ScriptFixture::spec("bad")});
  f.publish("go");
  REQUIRE(results.wait_count(3));
  auto e = results.entries();
  CHECK_THAT(str(data_of(e[0].event)["err"]),
             Catch::Contains("chorus.publish: event field 'type'"));
  CHECK_THAT(str(data_of(e[1].event)["err"]),
             Catch::Contains("unknown option 'prority' (expected target, priority"));
  CHECK_THAT(str(data_of(e[2].event)["err"]),
             Catch::Contains("data must be a table, string, number or boolean (got a function)"));
}

TEST_CASE("chorus.request waits for the reply without holding a thread, chorus.reply answers") {
  ScriptFixture f;
  f.write("server.lua", R"(
chorus.on("calc.request", function(req)
  local sum = 0
  for _, v in ipairs(req.data.values) do sum = sum + v end
  chorus.reply(req, {result = sum}, {type = "calc.result"})
end)
)");
  f.write("client.lua", R"(
chorus.on("go", function(ev)
  local reply, err = chorus.request("calc.request", {values = {1, 2, 3.5}}, {timeout = 2000})
  chorus.publish("answer", {result = reply and reply.data.result, type = reply and reply.type,
                            is_reply = reply and reply.is_reply, err = err})
  local none, nerr = chorus.request("nobody.listens", {})
  chorus.publish("answer", {none = none == nil, err = nerr})
end)
)");
  Recorder& answers = f.record("answer");
  f.start({ScriptFixture::spec("server"), ScriptFixture::spec("client")});
  f.publish("go");
  REQUIRE(answers.wait_count(2));
  auto a = data_of(answers.entries()[0].event);
  CHECK(a["result"].GetDouble() == 6.5);
  CHECK(str(a["type"]) == "calc.result");
  CHECK(a["is_reply"].GetBool());
  auto b = data_of(answers.entries()[1].event);
  CHECK(b["none"].GetBool());
  CHECK_THAT(str(b["err"]), Catch::StartsWith("no_responders"));
}

TEST_CASE("chorus.request times out with an error value") {
  ScriptFixture f;
  f.write("silent.lua", R"(chorus.on("slow.request", function(req) end))");
  f.write("client.lua", R"(
chorus.on("go", function(ev)
  local reply, err = chorus.request("slow.request", {}, {timeout = 50})
  chorus.publish("answer", {got = reply ~= nil, err = err})
end)
)");
  Recorder& answers = f.record("answer");
  f.start({ScriptFixture::spec("silent"), ScriptFixture::spec("client")});
  f.publish("go");
  REQUIRE(answers.wait_count(1));
  auto a = data_of(answers.entries()[0].event);
  CHECK_FALSE(a["got"].GetBool());
  CHECK_THAT(str(a["err"]), Catch::StartsWith("timeout"));
}

TEST_CASE("chorus.after, chorus.every, chorus.cancel and chorus.sleep") {
  ScriptFixture f;
  f.write("timers.lua", R"(
local ticks = 0
local every
every = chorus.every(10, function()
  ticks = ticks + 1
  chorus.publish("tick", {n = ticks})
  if ticks == 3 then chorus.publish("cancelled", {ok = chorus.cancel(every)}) end
end)
chorus.after(5, function() chorus.publish("after", {}) end)
local never = chorus.after(60000, function() chorus.publish("never", {}) end)
chorus.publish("cancel.unknown", {ok = chorus.cancel(never), again = chorus.cancel(never)})
chorus.on("nap", function(ev)
  local t0 = chorus.now()
  chorus.sleep(30)
  chorus.publish("woke", {slept = chorus.now() - t0})
end)
)");
  Recorder& ticks = f.record("tick");
  Recorder& after = f.record("after");
  Recorder& cancelled = f.record("cancelled");
  Recorder& unknown = f.record("cancel.unknown");
  Recorder& woke = f.record("woke");
  f.start({ScriptFixture::spec("timers")});
  REQUIRE(after.wait_count(1));
  REQUIRE(cancelled.wait_count(1));
  CHECK(data_of(cancelled.entries()[0].event)["ok"].GetBool());
  auto u = data_of(unknown.entries()[0].event);
  CHECK(u["ok"].GetBool());
  CHECK_FALSE(u["again"].GetBool());
  f.publish("nap");
  REQUIRE(woke.wait_count(1));
  CHECK(data_of(woke.entries()[0].event)["slept"].GetDouble() >= 29);
  // The periodic timer stopped at 3: nothing arrives after the cancel was
  // handled and a fresh event round-trips through the script.
  f.publish("nap");
  REQUIRE(woke.wait_count(2));
  CHECK(ticks.size() == 3);
}

TEST_CASE("chorus.on: several patterns, a Lua filter, a minimum priority") {
  ScriptFixture f;
  f.write("sub.lua", R"(
chorus.on({"a.*", "b.**"}, function(ev) chorus.publish("seen", {type = ev.type}) end)
chorus.on("c.*", function(ev) chorus.publish("seen", {type = ev.type}) end,
          {filter = function(ev) return ev.data.keep == true end})
chorus.on("d.*", function(ev) chorus.publish("seen", {type = ev.type}) end, {priority = "high"})
)");
  Recorder& seen = f.record("seen");
  f.start({ScriptFixture::spec("sub")});
  f.publish("a.x");
  f.publish("a.x.y");  // not matched by a.* nor b.**
  f.publish("b.x.y");
  f.publish("c.x", R"({"keep":false})");
  f.publish("c.y", R"({"keep":true})");
  f.publish("d.low", "{}", Priority::kLow);
  f.publish("d.crit", "{}", Priority::kCritical);
  f.publish("end.marker");
  REQUIRE(seen.wait_count(4));
  // Give late ones a chance to show: a final marker through the same script.
  std::set<std::string> types;
  for (auto& e : seen.entries())
    types.insert(str(data_of(e.event)["type"]));
  CHECK(types == std::set<std::string>{"a.x", "b.x.y", "c.y", "d.crit"});
}

TEST_CASE("chorus.on is refused outside the script's loading") {
  ScriptFixture f;
  f.write("late.lua", R"(
chorus.on("go", function(ev)
  local ok, err = pcall(function() chorus.on("x", function() end) end)
  chorus.publish("result", {err = err})
end)
)");
  Recorder& results = f.record("result");
  f.start({ScriptFixture::spec("late")});
  f.publish("go");
  REQUIRE(results.wait_count(1));
  CHECK_THAT(str(data_of(results.entries()[0].event)["err"]),
             Catch::Contains("late.lua:3: chorus.on: subscriptions are declared while the script "
                             "loads"));
}

TEST_CASE("the event object: envelope fields, lazy data, metadata, read-only") {
  ScriptFixture f;
  f.write("fields.lua", R"(
chorus.on("probe", function(ev)
  local ok, err = pcall(function() ev.type = "x" end)
  chorus.publish("fields", {
    id = ev.id, type = ev.type, source = ev.source, priority = ev.priority,
    correlation_id = ev.correlation_id, has_target = ev.target ~= nil,
    time_ok = math.abs(ev.time - chorus.now()) < 60000,
    content_type = ev.content_type, raw = ev.raw, nested = ev.data.a.b[2],
    same = ev.data == ev.data, readonly = err, tostring = tostring(ev),
    mt = getmetatable(ev), unknown = ev.nope == nil,
  })
end)
)");
  Recorder& fields = f.record("fields");
  f.start({ScriptFixture::spec("fields")});
  EventPtr probe = f.publish("probe", R"({"a":{"b":[10,20]}})", Priority::kHigh, "c-9");
  REQUIRE(fields.wait_count(1));
  auto d = data_of(fields.entries()[0].event);
  CHECK(str(d["id"]) == probe->id().to_string());
  CHECK(str(d["type"]) == "probe");
  CHECK(str(d["source"]) == "test");
  CHECK(str(d["priority"]) == "high");
  CHECK(str(d["correlation_id"]) == "c-9");
  CHECK_FALSE(d["has_target"].GetBool());
  CHECK(d["time_ok"].GetBool());
  CHECK(str(d["content_type"]) == "application/json");
  CHECK(str(d["raw"]) == R"({"a":{"b":[10,20]}})");
  CHECK(d["nested"].GetInt() == 20);
  CHECK(d["same"].GetBool());
  CHECK_THAT(str(d["readonly"]), Catch::Contains("event fields are read-only"));
  CHECK_THAT(str(d["tostring"]), Catch::StartsWith("event probe "));
  CHECK(str(d["mt"]) == "chorus.event");
  CHECK(d["unknown"].GetBool());
}

TEST_CASE("chorus.json, chorus.now, chorus.uuid, chorus.config, chorus.name") {
  ScriptFixture f;
  f.write("misc.lua", R"(
local j = chorus.json
local round = j.decode(j.encode({a = 1, b = {1, 2, 3}, c = "x", d = true, e = j.null}))
local empty_array = j.encode(j.decode("[]"))
local empty_object = j.encode({})
local ok1, e1 = pcall(j.encode, {f = function() end})
local ok2, e2 = pcall(j.decode, "{bad json")
local t = {}; t.self = t
local ok3, e3 = pcall(j.encode, t)
local ok4, e4 = pcall(j.encode, {0/0})
chorus.publish("misc", {
  a = round.a, b3 = round.b[3], c = round.c, d = round.d, e_is_null = round.e == j.null,
  empty_array = empty_array, empty_object = empty_object, big = j.encode(2^53 + 2),
  int = j.encode(42), e1 = e1, e2 = e2, e3 = e3, e4 = e4,
  uuid = chorus.uuid(), uuid2 = chorus.uuid(), now = chorus.now(),
  name = chorus.name, threshold = chorus.config.threshold, list2 = chorus.config.list[2],
})
)");
  Recorder& misc = f.record("misc");
  auto spec = ScriptFixture::spec("misc");
  spec.config_json = R"({"threshold":80.5,"list":["x","y"]})";
  f.start({spec});
  REQUIRE(misc.wait_count(1));
  auto d = data_of(misc.entries()[0].event);
  CHECK(d["a"].GetInt() == 1);
  CHECK(d["b3"].GetInt() == 3);
  CHECK(str(d["c"]) == "x");
  CHECK(d["d"].GetBool());
  CHECK(d["e_is_null"].GetBool());
  CHECK(str(d["empty_array"]) == "[]");
  CHECK(str(d["empty_object"]) == "{}");
  CHECK(str(d["big"]) == "9007199254740994.0");
  CHECK(str(d["int"]) == "42");
  CHECK_THAT(str(d["e1"]), Catch::Contains("json.encode: cannot encode a function (at .f)"));
  CHECK_THAT(str(d["e2"]), Catch::Contains("json.decode: invalid JSON at offset 1"));
  CHECK_THAT(str(d["e3"]), Catch::Contains("does a table contain itself?"));
  CHECK_THAT(str(d["e4"]), Catch::Contains("cannot encode NaN (at [1])"));
  CHECK(str(d["uuid"]).size() == 36);
  CHECK(str(d["uuid"]) < str(d["uuid2"]));
  CHECK(d["now"].GetDouble() > 1.7e12);
  CHECK(str(d["name"]) == "misc");
  CHECK(d["threshold"].GetDouble() == 80.5);
  CHECK(str(d["list2"]) == "y");
}

TEST_CASE("chorus.registry without a registry raises: discovery is not available in this host") {
  ScriptFixture f;
  f.write("reg.lua", R"(
local out = {}
local calls = {
  discover = function() local r = chorus.registry.discover{capability = "statistics"}; return r end,
  select = function() local r = chorus.registry.select("statistics"); return r end,
  register = function() local r = chorus.registry.register{capabilities = {"statistics"}}; return r end,
}
for fn, call in pairs(calls) do
  local ok, err = pcall(call)
  out[fn] = err
end
chorus.after(0, function()
  local ok, err = pcall(function()
    local r = chorus.registry.request("statistics", "calc.request", {})
    return r
  end)
  out.request = err
  chorus.publish("reg", out)
end)
)");
  Recorder& reg = f.record("reg");
  f.start({ScriptFixture::spec("reg")});
  REQUIRE(reg.wait_count(1));
  auto d = data_of(reg.entries()[0].event);
  for (const char* fn : {"discover", "select", "request", "register"}) {
    INFO(fn);
    CHECK_THAT(str(d[fn]), Catch::Contains("reg.lua:") &&
                               Catch::Contains(std::string("chorus.registry.") + fn +
                                               ": discovery is not available in this host"));
  }
}

TEST_CASE("chorus.on with a queue group shares events, durable reads stored events") {
  FixtureOptions o;
  o.store = true;
  o.persist = {"job.*"};
  ScriptFixture f(o);
  auto worker = [](const std::string& me) {
    return "chorus.on('job.*', function(ev) chorus.publish('done', {by = '" + me +
           "', n = ev.data.n}) end, {queue = 'workers'})\n"
           "chorus.on('job.*', function(ev) chorus.publish('audited', {by = '" +
           me + "', n = ev.data.n}) end, {durable = 'audit-" + me + "'})\n";
  };
  f.write("w1.lua", worker("w1"));
  f.write("w2.lua", worker("w2"));
  Recorder& done = f.record("done");
  Recorder& audited = f.record("audited");
  f.start({ScriptFixture::spec("w1"), ScriptFixture::spec("w2")});
  for (int i = 1; i <= 20; ++i)
    f.publish("job.run", "{\"n\":" + std::to_string(i) + "}");
  REQUIRE(done.wait_count(20));
  // Each job once in the group, both members used.
  std::set<int> jobs;
  std::set<std::string> members;
  for (const auto& e : done.entries()) {
    auto d = data_of(e.event);
    jobs.insert(d["n"].GetInt());
    members.insert(str(d["by"]));
  }
  CHECK(jobs.size() == 20);
  CHECK(members.size() == 2);
  // Each durable group (one per script) reads every stored job.
  INFO(audited.size());
  REQUIRE(audited.wait_count(40));
  std::map<std::string, int> per;
  for (const auto& e : audited.entries())
    per[str(data_of(e.event)["by"])]++;
  CHECK(per["w1"] == 20);
  CHECK(per["w2"] == 20);
}

TEST_CASE("chorus.store: append with expected versions, read by stream, type and correlation") {
  FixtureOptions o;
  o.store = true;
  ScriptFixture f(o);
  f.write("ledger.lua", R"(
chorus.on("go", function(ev)
  local out = {}
  local a = assert(chorus.store.append("acct-1", "acct.opened", {owner = "ann"},
                                       {expected_version = "no_stream"}))
  local b = assert(chorus.store.append("acct-1", "acct.credited", {amount = 5},
                                       {expected_version = a.version}))
  local none, err = chorus.store.append("acct-1", "acct.credited", {amount = 9},
                                        {expected_version = 1})
  out.versions = {a.version, b.version}
  out.seq_grows = b.seq > a.seq
  out.conflict = none == nil and err
  local events, more = chorus.store.read{stream = "acct-1"}
  out.stream_types = {events[1].type, events[2].type}
  out.stream_versions = {events[1].version, events[2].version}
  out.more = more
  out.owner = events[1].data.owner
  out.caused = events[1].causation_id == ev.id
  local back = chorus.store.read{stream = "acct-1", backward = true, limit = 1}
  out.last = back[1].type
  local typed = chorus.store.read{type = "acct.*"}
  out.typed = #typed
  local timeline = chorus.store.read{correlation = ev.correlation_id}
  out.timeline = #timeline
  local page, next_from = chorus.store.read{stream = "acct-1", limit = 1}
  out.paged = #page == 1 and next_from == 2
  local ok, rerr = pcall(function() chorus.store.read{stream = "a", type = "b"} end)
  out.read_error = rerr
  chorus.publish("ledger", out)
end)
)");
  Recorder& ledger = f.record("ledger");
  f.start({ScriptFixture::spec("ledger")});
  f.publish("go", "{}", Priority::kNormal, "corr-ledger");
  REQUIRE(ledger.wait_count(1));
  auto d = data_of(ledger.entries()[0].event);
  CHECK(d["versions"][0].GetInt() == 1);
  CHECK(d["versions"][1].GetInt() == 2);
  CHECK(d["seq_grows"].GetBool());
  CHECK_THAT(str(d["conflict"]), Catch::StartsWith("conflict"));
  CHECK(str(d["stream_types"][0]) == "acct.opened");
  CHECK(str(d["stream_types"][1]) == "acct.credited");
  CHECK(d["stream_versions"][1].GetInt() == 2);
  CHECK_FALSE(d.HasMember("more"));
  CHECK(str(d["owner"]) == "ann");
  CHECK(d["caused"].GetBool());
  CHECK(str(d["last"]) == "acct.credited");
  CHECK(d["typed"].GetInt() == 2);
  CHECK(d["timeline"].GetInt() == 2);
  CHECK(d["paged"].GetBool());
  CHECK_THAT(str(d["read_error"]), Catch::Contains("give one of stream, type or correlation"));
}

TEST_CASE("chorus.store: snapshot and load_snapshot") {
  FixtureOptions o;
  o.store = true;
  ScriptFixture f(o);
  f.write("snap.lua", R"(
local before = chorus.store.load_snapshot("counter-1")
chorus.on("go", function()
  local r = assert(chorus.store.append("counter-1", "counter.bumped", {n = 1}))
  local ok, err = chorus.store.snapshot("counter-1", r.version, {count = 41, tags = {"a"}})
  local state, version = chorus.store.load_snapshot("counter-1")
  local bad, berr = chorus.store.snapshot("no-such-stream", 1, {})
  chorus.publish("snap", {before = before == nil, ok = ok, err = err, count = state.count,
                          tag = state.tags[1], version = version, bad = bad == nil,
                          berr = berr})
end)
)");
  Recorder& snap = f.record("snap");
  f.start({ScriptFixture::spec("snap")});
  f.publish("go");
  REQUIRE(snap.wait_count(1));
  auto d = data_of(snap.entries()[0].event);
  CHECK(d["before"].GetBool());
  CHECK(d["ok"].GetBool());
  CHECK(d["count"].GetInt() == 41);
  CHECK(str(d["tag"]) == "a");
  CHECK(d["version"].GetInt() == 1);
  CHECK(d["bad"].GetBool());
  CHECK_THAT(str(d["berr"]),
             Catch::StartsWith("not_found: snapshot: stream 'no-such-stream' does not exist"));
}

TEST_CASE("chorus.publish{wait = true}, and waits from nested coroutines") {
  FixtureOptions o;
  o.store = true;
  o.persist = {"stored.*"};
  ScriptFixture f(o);
  f.write("w.lua", R"(
chorus.on("calc.request", function(req) chorus.reply(req, {x = req.data.x * 2}) end)
chorus.on("go", function()
  local id, err = chorus.publish("stored.thing", {a = 1}, {wait = true})
  -- A generator that waits for the host inside coroutine.wrap.
  local gen = coroutine.wrap(function()
    for i = 1, 3 do
      local r = chorus.request("calc.request", {x = i})
      coroutine.yield(r.data.x)
    end
  end)
  local got = {gen(), gen(), gen()}
  chorus.publish("result", {id = id, err = err, got = got})
end)
)");
  Recorder& result = f.record("result");
  f.start({ScriptFixture::spec("w")});
  f.publish("go");
  REQUIRE(result.wait_count(1));
  auto d = data_of(result.entries()[0].event);
  CHECK(str(d["id"]).size() == 36);
  CHECK_FALSE(d.HasMember("err"));
  REQUIRE(d["got"].Size() == 3);
  CHECK(d["got"][0].GetInt() == 2);
  CHECK(d["got"][2].GetInt() == 6);
  // The waited-for publish was stored.
  auto page = f.store().read_types("stored.*");
  REQUIRE(page.ok());
  CHECK(page->events.size() == 1);
}

TEST_CASE("waiting is refused where it cannot work, with a clear error") {
  ScriptFixture f;
  f.write("nowait.lua", R"(
chorus.on("go", function()
  local out = {}
  local ok, err = pcall(function()
    table.sort({3, 2, 1}, function(a, b) chorus.sleep(1) return a < b end)
  end)
  out.sort = err
  ok, err = pcall(function() coroutine.yield() end)
  out.yield = err
  -- Inside a coroutine of the script's own, yield is fine.
  out.inner = coroutine.wrap(function() coroutine.yield(7) end)()
  chorus.publish("result", out)
end)
chorus.on("bare", function() coroutine.yield() end)
)");
  Recorder& result = f.record("result");
  f.start({ScriptFixture::spec("nowait")});
  f.publish("go");
  REQUIRE(result.wait_count(1));
  auto d = data_of(result.entries()[0].event);
  CHECK_THAT(str(d["sort"]), Catch::Contains("chorus.sleep cannot wait inside a call made from C"));
  CHECK_THAT(str(d["yield"]), Catch::Contains("nowait.lua:8: coroutine.yield() outside a "
                                              "coroutine: a handler cannot yield itself"));
  CHECK(d["inner"].GetInt() == 7);
  f.publish("bare");
  REQUIRE(f.dead_letters().wait_size(1));
  CHECK_THAT(f.dead_letters().all().at(0).reason,
             Catch::Contains("coroutine.yield() outside a coroutine"));
}
