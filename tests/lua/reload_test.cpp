// Hot reload: transactional (a broken version keeps the old one running),
// exactly once across the swap under a steady stream of events, timers of
// the old version cancelled, calls in flight finished on the old state,
// modules tracked, editors' rename saves seen, YAML changes applied.
#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include <catch2/catch.hpp>

#include "lua_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

std::string versioned(int v) {
  return "local V = " + std::to_string(v) +
         "\nchorus.on('work', function(ev) chorus.publish('handled', {n = ev.data.n, v = V}) "
         "end)\n";
}

int64_t version_of(const EventPtr& e) {
  return data_of(e)["version"].GetInt64();
}

}  // namespace

TEST_CASE("reload: 20 rewrites under a steady stream, every event handled exactly once") {
  ScriptFixture f(watching());
  f.write("stream.lua", versioned(1));
  Recorder& handled = f.record("handled");
  Recorder& reloaded = f.record("system.script.reloaded");
  f.start({ScriptFixture::spec("stream")});

  std::atomic<bool> stop{false};
  std::atomic<int> published{0};
  std::thread publisher([&] {
    while (!stop.load()) {
      const int n = published.load() + 1;
      f.publish("work", "{\"n\":" + std::to_string(n) + "}");
      published.store(n);
      if (n % 64 == 0) std::this_thread::yield();
    }
  });
  for (int v = 2; v <= 21; ++v) {
    // Alternate the two ways editors save: in place and by rename.
    if (v % 2 == 0) {
      f.write_by_rename("stream.lua", versioned(v));
    } else {
      f.write("stream.lua", versioned(v));
    }
    REQUIRE(reloaded.wait_count(static_cast<size_t>(v - 1)));
    CHECK(version_of(reloaded.entries().back().event) == v);
  }
  // Keep publishing until the last version has handled something.
  REQUIRE(spin_until([&] {
    const auto e = handled.entries();
    return !e.empty() && data_of(e.back().event)["v"].GetInt() == 21;
  }));
  stop.store(true);
  publisher.join();
  const int total = published.load();
  REQUIRE(handled.wait_count(static_cast<size_t>(total), 60s));

  std::map<int, int> version_of_n;
  int duplicates = 0;
  for (const auto& e : handled.entries()) {
    auto d = data_of(e.event);
    const int n = d["n"].GetInt(), v = d["v"].GetInt();
    duplicates += version_of_n.count(n) ? 1 : 0;
    version_of_n[n] = v;
  }
  CHECK(duplicates == 0);
  CHECK(version_of_n.size() == static_cast<size_t>(total));
  CHECK(version_of_n.begin()->first == 1);
  CHECK(version_of_n.rbegin()->first == total);
  // In publish order the version never goes back, and many versions served.
  int last = 0;
  std::set<int> versions;
  bool monotonic = true;
  for (const auto& [n, v] : version_of_n) {
    monotonic = monotonic && v >= last;
    last = v;
    versions.insert(v);
  }
  CHECK(monotonic);
  CHECK(versions.size() >= 10);
  CHECK(*versions.rbegin() == 21);
}

TEST_CASE("reload: a syntax error keeps the previous version, fixing the file reloads it") {
  ScriptFixture f(watching());
  f.write("s.lua", versioned(1));
  Recorder& handled = f.record("handled");
  Recorder& failed = f.record("system.script.reload_failed");
  Recorder& reloaded = f.record("system.script.reloaded");
  f.start({ScriptFixture::spec("s")});

  f.write(
      "s.lua",
      "local V = 2\nchorus.on('work', function(ev)\n  chorus.publish('handled', {v = V)\nend)\n");
  REQUIRE(failed.wait_count(1));
  auto d = data_of(failed.entries()[0].event);
  CHECK(str(d["script"]) == "s");
  CHECK(d["line"].GetInt() == 3);
  CHECK_THAT(str(d["error"]), Catch::Contains("s.lua:3: '}' expected near ')'"));
  f.publish("work", R"({"n":1})");
  REQUIRE(handled.wait_count(1));
  CHECK(data_of(handled.entries()[0].event)["v"].GetInt() == 1);
  CHECK_THAT(f.host().scripts().at(0).last_error, Catch::Contains("'}' expected"));

  // An error while the new version loads (not only syntax) also keeps v1.
  f.write("s.lua", "local V = 3\nlocal x = nil\nprint(x.y)\n");
  REQUIRE(failed.wait_count(2));
  CHECK(data_of(failed.entries()[1].event)["line"].GetInt() == 3);
  f.publish("work", R"({"n":2})");
  REQUIRE(handled.wait_count(2));
  CHECK(data_of(handled.entries()[1].event)["v"].GetInt() == 1);

  f.write("s.lua", versioned(4));
  REQUIRE(reloaded.wait_count(1));
  auto r = data_of(reloaded.entries()[0].event);
  CHECK(str(r["script"]) == "s");
  CHECK(r["version"].GetInt() == 2);
  CHECK(str(r["hash"]).size() == 16);
  CHECK(str(r["hash"]) != str(r["previous_hash"]));
  CHECK(r["duration_ms"].GetDouble() >= 0);
  f.publish("work", R"({"n":3})");
  REQUIRE(handled.wait_count(3));
  CHECK(data_of(handled.entries()[2].event)["v"].GetInt() == 4);
  CHECK(f.host().scripts().at(0).last_error.empty());
}

TEST_CASE("reload: the old version's timers stop at the swap, the new version's start") {
  ScriptFixture f(watching());
  auto ticker = [](int v) {
    return "chorus.every(10, function() chorus.publish('tick', {v = " + std::to_string(v) +
           "}) end)\n";
  };
  f.write("t.lua", ticker(1));
  Recorder& ticks = f.record("tick");
  Recorder& reloaded = f.record("system.script.reloaded");
  f.start({ScriptFixture::spec("t")});
  REQUIRE(ticks.wait_count(3));
  f.write("t.lua", ticker(2));
  REQUIRE(reloaded.wait_count(1));
  // Ticks arrive in publish order: once a v2 tick is seen, no v1 follows.
  const size_t before = ticks.size();
  REQUIRE(ticks.wait_count(before + 5));
  bool seen2 = false, v1_after_v2 = false;
  for (const auto& e : ticks.entries()) {
    const int v = data_of(e.event)["v"].GetInt();
    if (v == 2) seen2 = true;
    if (v == 1 && seen2) v1_after_v2 = true;
  }
  CHECK(seen2);
  CHECK_FALSE(v1_after_v2);
}

TEST_CASE("reload: a call waiting in the old version finishes on the old state") {
  ScriptFixture f(watching());
  auto slow = [](int v) {
    return "chorus.on('slow', function()\n  chorus.sleep(300)\n  chorus.publish('slow.done', {v "
           "= " +
           std::to_string(v) + "})\nend)\n";
  };
  f.write("w.lua", slow(1));
  Recorder& done = f.record("slow.done");
  Recorder& reloaded = f.record("system.script.reloaded");
  f.start({ScriptFixture::spec("w")});
  f.publish("slow");
  REQUIRE(spin_until([&] { return f.host().scripts().at(0).waiting == 1; }));
  f.write("w.lua", slow(2));
  REQUIRE(reloaded.wait_count(1));
  CHECK(f.host().scripts().at(0).retiring == 1);
  REQUIRE(done.wait_count(1));
  CHECK(data_of(done.entries()[0].event)["v"].GetInt() == 1);
  // The old state is closed once its last call is over.
  CHECK(spin_until([&] { return f.host().scripts().at(0).retiring == 0; }));
  f.publish("slow");
  REQUIRE(done.wait_count(2));
  CHECK(data_of(done.entries()[1].event)["v"].GetInt() == 2);
}

TEST_CASE("reload: a required module's change reloads the scripts that use it") {
  ScriptFixture f(watching());
  f.write("lib/greeting.lua", "return {text = 'hello'}\n");
  f.write("user.lua",
          "local g = require('lib.greeting')\nchorus.on('greet', function() "
          "chorus.publish('greeted', {text = g.text}) end)\n");
  Recorder& greeted = f.record("greeted");
  Recorder& reloaded = f.record("system.script.reloaded");
  f.start({ScriptFixture::spec("user")});
  f.publish("greet");
  REQUIRE(greeted.wait_count(1));
  CHECK(str(data_of(greeted.entries()[0].event)["text"]) == "hello");
  f.write_by_rename("lib/greeting.lua", "return {text = 'bonjour'}\n");
  REQUIRE(reloaded.wait_count(1));
  f.publish("greet");
  REQUIRE(greeted.wait_count(2));
  CHECK(str(data_of(greeted.entries()[1].event)["text"]) == "bonjour");
}

TEST_CASE("reload: a module required from a handler is tracked too") {
  ScriptFixture f(watching());
  f.write("lazy/words.lua", "return {word = 'one'}\n");
  f.write("lazy_user.lua",
          "chorus.on('say', function() chorus.publish('said', {w = require('lazy.words').word}) "
          "end)\n");
  Recorder& said = f.record("said");
  Recorder& reloaded = f.record("system.script.reloaded");
  f.start({ScriptFixture::spec("lazy_user")});
  f.publish("say");
  REQUIRE(said.wait_count(1));
  CHECK(str(data_of(said.entries()[0].event)["w"]) == "one");
  f.write("lazy/words.lua", "return {word = 'two'}\n");
  REQUIRE(reloaded.wait_count(1));
  f.publish("say");
  REQUIRE(said.wait_count(2));
  CHECK(str(data_of(said.entries()[1].event)["w"]) == "two");
}

TEST_CASE("reload: a file written without changes, or removed, keeps the running version") {
  ScriptFixture f(watching());
  f.write("same.lua", versioned(1));
  f.write("other.lua", versioned(1));
  Recorder& reloaded = f.record("system.script.reloaded");
  f.start({ScriptFixture::spec("same"), ScriptFixture::spec("other")});
  f.write("same.lua", versioned(1));  // same bytes
  std::filesystem::remove(f.folder() + "/other.lua");
  // A real change afterwards shows the watcher has handled what came before.
  f.write("same.lua", versioned(2));
  REQUIRE(reloaded.wait_count(1));
  for (const auto& s : f.host().scripts()) {
    INFO(s.name);
    CHECK(s.loaded);
    CHECK(s.generation == (s.name == "same" ? 2 : 1));
  }
  CHECK(reloaded.size() == 1);
}

TEST_CASE("reload: a script that failed to load at start is loaded once its file is fixed") {
  ScriptFixture f(watching());
  f.write("late.lua", "this is not lua");
  Recorder& handled = f.record("handled");
  f.start({ScriptFixture::spec("late"), ScriptFixture::spec("absent")});
  auto infos = f.host().scripts();
  for (const auto& s : infos) {
    INFO(s.name);
    CHECK_FALSE(s.loaded);
    CHECK_FALSE(s.last_error.empty());
  }
  f.write("late.lua", versioned(1));
  f.write("absent.lua", versioned(7));
  REQUIRE(spin_until([&] {
    auto s = f.host().scripts();
    return s.at(0).loaded && s.at(1).loaded;
  }));
  f.publish("work", R"({"n":1})");
  REQUIRE(handled.wait_count(2));
}

TEST_CASE("reload: apply() loads added scripts, unloads removed ones, reloads changed ones") {
  ScriptFixture f;
  f.write("a.lua", "chorus.on('q', function() chorus.publish('a', {k = chorus.config.k}) end)");
  f.write("b.lua", "chorus.on('q', function() chorus.publish('b', {}) end)");
  f.write("c.lua", "chorus.on('q', function() chorus.publish('c', {}) end)");
  Recorder& a = f.record("a");
  Recorder& b = f.record("b");
  Recorder& c = f.record("c");
  auto sa = ScriptFixture::spec("a");
  sa.config_json = R"({"k":1})";
  f.start({sa, ScriptFixture::spec("b")});
  f.publish("q");
  REQUIRE(a.wait_count(1));
  REQUIRE(b.wait_count(1));

  sa.config_json = R"({"k":2})";
  REQUIRE(f.host().apply(f.options({sa, ScriptFixture::spec("c")})).ok());
  f.publish("q");
  REQUIRE(a.wait_count(2));
  REQUIRE(c.wait_count(1));
  CHECK(data_of(a.entries()[1].event)["k"].GetInt() == 2);
  f.publish("q");  // a third round: b must stay silent
  REQUIRE(a.wait_count(3));
  REQUIRE(c.wait_count(2));
  CHECK(b.size() == 1);
  std::set<std::string> names;
  for (const auto& s : f.host().scripts())
    names.insert(s.name);
  CHECK(names == std::set<std::string>{"a", "c"});

  // A change that fails (a missing handler) keeps the running version.
  sa.subscriptions.push_back({{"q"}, "missing_fn", "", "", "", {}, "host.yaml:9:7: x"});
  Status s = f.host().apply(f.options({sa, ScriptFixture::spec("c")}));
  CHECK_THAT(s.message(), Catch::Contains("host.yaml:9:7: x: handler:"));
  CHECK_THAT(s.message(), Catch::Contains("defines no global function 'missing_fn'"));
  f.publish("q");
  REQUIRE(a.wait_count(4));
}
