// Lua functions as bus filters: ScriptHost::filter() for subscriptions
// outside the script (plugins), YAML filters of script subscriptions, from
// several publisher threads at once, across reloads, with errors and limits.
#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "lua_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kHighValue = R"(
local threshold = chorus.config.threshold or 1000
function high_value(ev) return ev.data.amount > threshold end
function broken(ev) return ev.data.nope.x end
function spin(ev) while true do end end
)";

bus::SubscriptionId subscribe_filtered(ScriptFixture& f, Recorder& r, bus::Filter filter) {
  bus::SubscribeOptions o;
  o.filter = std::move(filter);
  auto id = f.bus().subscribe(
      "order.submitted",
      [&r](const EventPtr& e) {
        r.add(e);
        return Status::OK();
      },
      o);
  REQUIRE(id.ok());
  return *id;
}

}  // namespace

TEST_CASE("filter: a script function filters a bus subscription from several threads") {
  ScriptFixture f;
  f.write("high_value.lua", kHighValue);
  f.start({ScriptFixture::spec("high_value")});
  auto filter = f.host().filter("high_value", "high_value");
  REQUIRE(filter.ok());
  Recorder got;
  subscribe_filtered(f, got, *filter);
  constexpr int kPerThread = 2000;
  std::vector<std::thread> publishers;
  for (int t = 0; t < 2; ++t) {
    publishers.emplace_back([&f, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int amount = (i % 2) ? 1500 : 500;
        f.publish("order.submitted", "{\"order_id\":\"o-" + std::to_string(t * kPerThread + i) +
                                         "\",\"amount\":" + std::to_string(amount) + "}");
      }
    });
  }
  for (auto& p : publishers)
    p.join();
  REQUIRE(got.wait_count(kPerThread));
  for (const auto& e : got.entries())
    CHECK(data_of(e.event)["amount"].GetInt() == 1500);
  // Every event went through the filter: the rest were filtered out.
  uint64_t filtered = 0;
  for (const auto& s : f.bus().stats().subscribers)
    filtered += s.filtered;
  CHECK(filtered == kPerThread);
  CHECK(got.size() == kPerThread);
}

TEST_CASE("filter: unknown scripts and functions are named") {
  ScriptFixture f;
  f.write("high_value.lua", kHighValue);
  f.start({ScriptFixture::spec("high_value")});
  auto a = f.host().filter("nope", "high_value");
  REQUIRE_FALSE(a.ok());
  CHECK(a.error().code() == StatusCode::kNotFound);
  CHECK_THAT(a.error().message(),
             Catch::Contains("no script named 'nope' (configured scripts: high_value)"));
  auto b = f.host().filter("high_value", "hi_value");
  REQUIRE_FALSE(b.ok());
  CHECK_THAT(b.error().message(),
             Catch::Contains("script high_value defines no global function 'hi_value'"));
}

TEST_CASE("filter: an error or a runaway filter counts as no, the host goes on") {
  ScriptFixture f;
  f.write("high_value.lua", kHighValue);
  auto spec = ScriptFixture::spec("high_value");
  spec.limits.cpu = 20ms;
  f.start({spec});
  Recorder broken, spin;
  subscribe_filtered(f, broken, *f.host().filter("high_value", "broken"));
  subscribe_filtered(f, spin, *f.host().filter("high_value", "spin"));
  Recorder all = {};
  bus::SubscriptionId id = *f.bus().subscribe("order.submitted", [&all](const EventPtr& e) {
    all.add(e);
    return Status::OK();
  });
  (void)id;
  f.publish("order.submitted", R"({"amount":5000})");
  f.publish("order.submitted", R"({"amount":6000})");
  REQUIRE(all.wait_count(2));
  CHECK(broken.size() == 0);
  CHECK(spin.size() == 0);
}

TEST_CASE("filter: it follows the script's reloads") {
  ScriptFixture f(watching());
  f.write("high_value.lua", kHighValue);
  Recorder& reloaded = f.record("system.script.reloaded");
  f.start({ScriptFixture::spec("high_value")});
  Recorder got;
  subscribe_filtered(f, got, *f.host().filter("high_value", "high_value"));
  f.publish("order.submitted", R"({"amount":10})");
  f.publish("order.submitted", R"({"amount":2000})");
  REQUIRE(got.wait_count(1));
  f.write("high_value.lua", "function high_value(ev) return ev.data.amount < 100 end");
  REQUIRE(reloaded.wait_count(1));
  f.publish("order.submitted", R"({"amount":10})");
  f.publish("order.submitted", R"({"amount":2000})");
  REQUIRE(got.wait_count(2));
  auto e = got.entries();
  CHECK(data_of(e[0].event)["amount"].GetInt() == 2000);
  CHECK(data_of(e[1].event)["amount"].GetInt() == 10);
  // A version that drops a function in use as a filter is refused.
  Recorder& failed = f.record("system.script.reload_failed");
  f.write("high_value.lua", "function other(ev) return true end");
  REQUIRE(failed.wait_count(1));
  CHECK_THAT(str(data_of(failed.entries()[0].event)["error"]),
             Catch::Contains("no longer defines 'high_value', which is in use as a filter"));
}

TEST_CASE("filter: YAML subscriptions of scripts name filters of their own or another script") {
  ScriptFixture f;
  f.write("high_value.lua", kHighValue);
  f.write("logger.lua", R"(
function is_rush(ev) return ev.priority == "high" end
function log_order(ev) chorus.publish("logged", {amount = ev.data.amount, prio = ev.priority}) end
)");
  Recorder& logged = f.record("logged");
  auto hv = ScriptFixture::spec("high_value");
  hv.config_json = R"({"threshold":100})";
  auto logger = ScriptFixture::spec("logger");
  lua::SubscriptionSpec big;
  big.patterns = {"order.submitted"};
  big.handler = "log_order";
  big.filter = "high_value.high_value";
  big.origin = "host.yaml:1:1: scripts.entries.logger.subscriptions[0]";
  lua::SubscriptionSpec rush = big;
  rush.patterns = {"order.rush"};
  rush.filter = "is_rush";
  logger.subscriptions = {big, rush};
  // logger comes first: the host loads filter providers first.
  f.start({logger, hv});
  f.publish("order.submitted", R"({"amount":50})");
  f.publish("order.submitted", R"({"amount":150})");
  f.publish("order.rush", R"({"amount":1})", Priority::kNormal);
  f.publish("order.rush", R"({"amount":2})", Priority::kHigh);
  REQUIRE(logged.wait_count(2));
  std::set<int> amounts;
  for (const auto& e : logged.entries())
    amounts.insert(data_of(e.event)["amount"].GetInt());
  CHECK(amounts == std::set<int>{150, 2});
}

TEST_CASE("filter: a filter sees what the script's top level computes, not its handlers' state") {
  ScriptFixture f;
  f.write("counter.lua", R"(
count = 0
chorus.on("bump", function() count = count + 1 end)
function below_three(ev) return count < 3 end
)");
  f.start({ScriptFixture::spec("counter")});
  Recorder got;
  subscribe_filtered(f, got, *f.host().filter("counter", "below_three"));
  for (int i = 0; i < 5; ++i)
    f.publish("bump");
  for (int i = 0; i < 3; ++i)
    f.publish("order.submitted", R"({"amount":1})");
  // The filter state never saw the bumps (docs/lua.md "Filters").
  REQUIRE(got.wait_count(3));
}
