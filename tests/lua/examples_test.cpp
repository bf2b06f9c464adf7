// The example scripts of scripts/ as config/host.yaml loads them, driven by
// the events the example agents publish (docs: ../shared scenarios): task
// recovery, budget protection, the high-value filter, the event logger, the
// orders projection (rebuilt from the store) and its report.
#include <catch2/catch.hpp>

#include "config/config.h"
#include "lua/script_check.h"
#include "lua_test_util.h"
#include "runtime/options_from_config.h"
#include "workflows/lua_extension.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kSource = CHORUS_SOURCE_DIR;

// config/host.yaml's scripts, with the repository's scripts folder, only
// `names` loaded, and config values replaced as given (JSON objects).
lua::ScriptHostOptions examples(std::initializer_list<std::string> names,
                                std::map<std::string, std::string> configs = {}) {
  auto cfg = config::load_config(kSource + "/config/host.yaml");
  REQUIRE(cfg.ok());
  lua::ScriptHostOptions o = runtime::scripts_options_from(*cfg);
  o.folder = kSource + "/scripts";
  o.watch = false;
  std::vector<lua::ScriptSpec> keep;
  for (const auto& s : o.scripts) {
    if (std::find(names.begin(), names.end(), s.name) == names.end()) continue;
    keep.push_back(s);
    if (configs.count(s.name)) keep.back().config_json = configs[s.name];
  }
  REQUIRE(keep.size() == names.size());
  o.scripts = keep;
  return o;
}

}  // namespace

TEST_CASE("examples: config/host.yaml's scripts all pass chorus check") {
  auto cfg = config::load_config(kSource + "/config/host.yaml");
  REQUIRE(cfg.ok());
  lua::ScriptHostOptions o = runtime::scripts_options_from(*cfg);
  o.folder = kSource + "/scripts";
  CHECK(o.scripts.size() == 11);  // 8 scripts, 3 workflows (chorus.workflow from the extension)
  for (const auto& p : lua::check_scripts(o, {workflows::make_lua_extension(nullptr)}))
    FAIL(p.message);
}

TEST_CASE("examples: task_recovery retries with the same correlation, then alerts") {
  ScriptFixture f;
  Recorder& retries = f.record("task.retry");
  Recorder& alerts = f.record("system.alert");
  f.start_with(examples({"task_recovery"}));
  EventPtr fail1 = f.publish("task.failed", R"({"task_id":"t-9","attempt":1,"error":"timeout"})",
                             Priority::kNormal, "corr-t9");
  REQUIRE(retries.wait_count(1));
  EventPtr retry = retries.entries()[0].event;
  CHECK(retry->source() == "task_recovery");
  CHECK(retry->correlation_id() == "corr-t9");
  CHECK(retry->causation_id() == fail1->id().to_string());
  auto d = data_of(retry);
  CHECK(str(d["task_id"]) == "t-9");
  CHECK(d["attempt"].GetInt() == 2);

  f.publish("task.failed", R"({"task_id":"t-9","attempt":2,"error":"timeout"})", Priority::kNormal,
            "corr-t9");
  REQUIRE(retries.wait_count(2));
  CHECK(data_of(retries.entries()[1].event)["attempt"].GetInt() == 3);

  EventPtr fail3 = f.publish("task.failed", R"({"task_id":"t-9","attempt":3,"error":"timeout"})",
                             Priority::kNormal, "corr-t9");
  REQUIRE(alerts.wait_count(1));
  EventPtr alert = alerts.entries()[0].event;
  CHECK(alert->priority() == Priority::kHigh);
  CHECK(alert->correlation_id() == "corr-t9");
  CHECK(alert->causation_id() == fail3->id().to_string());
  CHECK(str(data_of(alert)["reason"]) == "task t-9 failed 3 times");
  CHECK(str(data_of(alert)["task_id"]) == "t-9");
  CHECK(retries.size() == 2);
}

TEST_CASE("examples: budget_guard pauses on a critical alert and resumes after the cool-down") {
  ScriptFixture f;
  Recorder& paused = f.record("operations.paused");
  Recorder& resumed = f.record("operations.resumed");
  f.start_with(examples({"budget_guard"}, {{"budget_guard", R"({"after":"200ms"})"}}));
  f.publish("budget.alert", R"({"level":"warning","spent":81.0,"limit":100.0})");
  EventPtr critical =
      f.publish("budget.alert", R"({"level":"critical","spent":100.5,"limit":100.0})",
                Priority::kCritical, "corr-b");
  f.publish("budget.alert", R"({"level":"critical","spent":101.0,"limit":100.0})",
            Priority::kCritical);
  REQUIRE(paused.wait_count(1));
  EventPtr p = paused.entries()[0].event;
  CHECK(p->priority() == Priority::kCritical);
  CHECK(p->causation_id() == critical->id().to_string());
  auto d = data_of(p);
  CHECK(str(d["reason"]) == "budget");
  CHECK(d["spent"].GetDouble() == 100.5);
  REQUIRE(resumed.wait_count(1));
  EventPtr r = resumed.entries()[0].event;
  CHECK(r->correlation_id() == "corr-b");
  CHECK(data_of(r)["after_ms"].GetInt() == 200);
  // One pause for the two critical alerts; after resuming, a new one pauses again.
  CHECK(paused.size() == 1);
  f.publish("budget.alert", R"({"level":"critical","spent":100.2,"limit":100.0})");
  REQUIRE(paused.wait_count(2));
}

TEST_CASE("examples: high_value filters orders above the threshold, from YAML and as a filter") {
  LogCapture& log = capture_lua_log();
  (void)log.take();
  ScriptFixture f;
  f.start_with(examples({"high_value"}));
  auto filter = f.host().filter("high_value", "high_value");
  REQUIRE(filter.ok());
  auto order = [](const char* json) {
    return *EventBuilder("order.submitted").source("order_desk").data(json).build();
  };
  CHECK((*filter)(*order(R"({"order_id":"o-1","customer":"c-3","amount":1250.0})")));
  CHECK_FALSE((*filter)(*order(R"({"order_id":"o-2","customer":"c-3","amount":1000})")));
  CHECK_FALSE((*filter)(*order(R"({"order_id":"o-3","customer":"c-3","amount":"lots"})")));
  CHECK_FALSE((*filter)(*order(R"([1,2,3])")));

  f.publish("order.submitted", R"({"order_id":"o-17","customer":"c-3","amount":1999.5})");
  f.publish("order.submitted", R"({"order_id":"o-18","customer":"c-4","amount":12.0})");
  REQUIRE(log.wait_for("high-value order o-17 from c-3: 1999.50 (over 1000.00)"));
  for (const auto& s : f.bus().stats().subscribers) {
    if (s.id != "script:high_value:order.submitted") continue;
    CHECK(s.filtered >= 1);
  }
  for (const auto& l : log.take())
    CHECK(l.find("o-18") == std::string::npos);
}

TEST_CASE("examples: event_logger logs each event at debug and summarises by type") {
  LogCapture& log = capture_lua_log();
  (void)log.take();
  ScriptFixture f;
  f.start_with(examples({"event_logger"}, {{"event_logger", R"({"summary_every":"100ms"})"}}));
  for (int i = 0; i < 3; ++i)
    f.publish("sensor.reading", R"({"sensor":"s1","value":21.5})");
  f.publish("order.submitted", R"({"order_id":"o-1"})");
  REQUIRE(log.wait_for("4 events in the last 0.1 s: sensor.reading=3, order.submitted=1"));
}

TEST_CASE("examples: orders_projection answers queries, snapshots, and rebuilds from the store") {
  TempDir shared;
  const std::string store_path = shared.file("store");
  FixtureOptions o;
  o.store = true;
  o.persist = {"order.*"};
  o.store_path = store_path;
  auto query = [](ScriptFixture& f) {
    auto reply = f.bus().request(
        *EventBuilder("orders.query").source("test").data(R"({"customer":"c-3"})").build(), 5s);
    auto r = reply.get();
    REQUIRE(r.ok());
    CHECK((*r)->type() == "orders.result");
    return data_of(*r);
  };
  {
    ScriptFixture f(o);
    f.start_with(
        examples({"orders_projection"}, {{"orders_projection", R"({"snapshot_every":"100ms"})"}}));
    f.publish("order.submitted", R"({"order_id":"o-1","customer":"c-3","amount":100.0})");
    f.publish("order.validated", R"({"order_id":"o-1","customer":"c-3","amount":100.0})");
    f.publish("order.priced", R"({"order_id":"o-1","subtotal":100.0,"tax":7.0,"total":107.0})");
    f.publish("order.submitted", R"({"order_id":"o-2","customer":"c-3","amount":200.0})");
    f.publish("order.rejected", R"({"order_id":"o-2","reason":"qty 0"})");
    f.publish("order.submitted", R"({"order_id":"o-3","customer":"c-4","amount":5.0})");
    REQUIRE(spin_until([&] {
      auto d = query(f);
      return d["orders"].GetInt() == 2 && d["by_status"].HasMember("rejected");
    }));
    auto d = query(f);
    CHECK(str(d["customer"]) == "c-3");
    CHECK(d["total"].GetDouble() == 307.0);
    CHECK(d["by_status"]["priced"].GetInt() == 1);
    CHECK(d["by_status"]["rejected"].GetInt() == 1);
    // A snapshot of the model at a checkpoint of its own stream.
    REQUIRE(spin_until([&] {
      auto s = f.store().load_snapshot("projection-orders");
      return s.ok() && s->has_value();
    }));
  }
  {
    // While no projection runs, more orders are stored.
    ScriptFixture f(o);
    f.publish("order.submitted", R"({"order_id":"o-4","customer":"c-3","amount":50.0})");
  }
  {
    // A new host rebuilds the model from the snapshot and the stored events.
    ScriptFixture f(o);
    f.start_with(examples({"orders_projection"}));
    REQUIRE(spin_until([&] { return query(f)["orders"].GetInt() == 3; }));
    auto d = query(f);
    CHECK(d["total"].GetDouble() == 357.0);
    CHECK(d["by_status"]["submitted"].GetInt() == 1);
    auto bad = f.bus().request(
        *EventBuilder("orders.query").source("test").data(R"({"who":"c-3"})").build(), 5s);
    auto r = bad.get();
    REQUIRE(r.ok());
    CHECK_THAT(str(data_of(*r)["error"]), Catch::Contains("orders.query needs"));
  }
}

TEST_CASE("examples: orders_report asks the projection and logs the answer") {
  LogCapture& log = capture_lua_log();
  (void)log.take();
  FixtureOptions o;
  o.store = true;
  o.persist = {"order.*"};
  ScriptFixture f(o);
  f.start_with(examples({"orders_projection", "orders_report"},
                        {{"orders_report", R"({"customer":"c-3","every":"100ms"})"}}));
  f.publish("order.submitted", R"({"order_id":"o-1","customer":"c-3","amount":10.0})");
  REQUIRE(log.wait_for("customer c-3: 1 orders, total 10.00 (submitted=1)"));
}

TEST_CASE("examples: equipment_site asks for commissioning and plays the equipment") {
  ScriptFixture f;
  Recorder& asks = f.record("equipment.commission");
  Recorder& configured = f.record("equipment.configured");
  Recorder& tested = f.record("equipment.tested");
  f.start_with(
      examples({"equipment_site"}, {{"equipment_site", R"({"every":"50ms","fail_every":3})"}}));
  REQUIRE(asks.wait_count(3));
  CHECK(str(data_of(asks.entries()[0].event)["equipment_id"]) == "pump-1");
  CHECK(str(data_of(asks.entries()[2].event)["equipment_id"]) == "compressor-3");

  EventPtr configure =
      f.publish("equipment.configure", R"({"equipment_id":"pump-1","profile":"standard"})");
  REQUIRE(configured.wait_count(1));
  CHECK(configured.entries()[0].event->causation_id() == configure->id().to_string());
  CHECK(str(data_of(configured.entries()[0].event)["profile"]) == "standard");

  f.publish("equipment.test", R"({"equipment_id":"pump-1"})");
  REQUIRE(tested.wait_count(1));
  CHECK(data_of(tested.entries()[0].event)["ok"].GetBool());
  f.publish("equipment.test", R"({"equipment_id":"compressor-3"})");  // every third fails
  REQUIRE(tested.wait_count(2));
  auto failed = data_of(tested.entries()[1].event);
  CHECK_FALSE(failed["ok"].GetBool());
  CHECK(str(failed["reason"]) == "vibration 14 mm/s over the 7 mm/s limit");
}
