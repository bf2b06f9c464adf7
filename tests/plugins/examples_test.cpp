// The example agents of plugins/ end to end inside a host (real bus, real
// store, real dlopen of the .so files the build put in build/plugins), with
// short intervals: sensors and safety, the order chain by correlation,
// requests to the calculator instances, and tasks against a budget (the
// test plays the Lua scripts' part: retries and the budget guard).
#include <map>
#include <set>

#include "plugin_fixture.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kExamples = CHORUS_EXAMPLE_PLUGINS_DIR;

// Copies build/plugins/<name>.so into the fixture's folder.
void install_example(PluginFixture& f, const std::string& name) {
  const std::string bytes = read_file(kExamples + "/" + name + ".so");
  INFO(name);
  REQUIRE(!bytes.empty());
  const std::string path = f.dir.write("plugins/" + name + ".so", bytes);
  REQUIRE(::chmod(path.c_str(), 0755) == 0);
}

EventPtr by_id(const std::vector<EventPtr>& log, std::string_view id) {
  for (const EventPtr& e : log)
    if (e->id().to_string() == id) return e;
  return nullptr;
}

Result<EventPtr> request(PluginFixture& f, const std::string& data,
                         const std::string& target = {}) {
  EventBuilder b("calc.request");
  b.source("test").data(data);
  if (!target.empty()) b.target(target);
  auto ev = b.build();
  if (!ev.ok()) return ev.error();
  return f.bus->request(*ev, 5s).get();
}

}  // namespace

TEST_CASE("examples: sensor_gateway, temperature_monitor and data_logger") {
  FixtureOptions o;
  o.with_store = true;
  o.persist = {"sensor.**", "safety.**"};
  PluginFixture f(o);
  f.settings("sensor_gateway").config_json =
      R"({"interval_ms": 10, "sensors": ["s1", "s2", "s3"], "hot_every": 5})";
  // Only s2 is watched, at a threshold every reading is above: the filter
  // decides which sensors raise alerts.
  f.settings("temperature_monitor").config_json = R"({"sensors": ["s2"], "threshold": 10.0})";
  f.settings("data_logger").config_json = R"({"summary_ms": 100000})";
  for (const char* p : {"sensor_gateway", "temperature_monitor", "data_logger"})
    install_example(f, p);
  f.start();

  // Readings of every sensor; s3 runs hot now and then.
  REQUIRE(f.log.wait_count([](const Event& e) { return e.type() == "sensor.reading"; }, 60));
  std::set<std::string> sensors;
  bool hot = false;
  for (const EventPtr& e : f.log.all()) {
    if (e->type() != "sensor.reading") continue;
    CHECK(e->source() == "sensor_gateway");
    CHECK(data_field(*e, "kind") == "temperature");
    CHECK(data_field(*e, "unit") == "C");
    sensors.insert(data_field(*e, "sensor"));
    if (data_field(*e, "sensor") == "s3" && data_number(*e, "value") > 80.0) hot = true;
  }
  CHECK(sensors == std::set<std::string>{"s1", "s2", "s3"});
  CHECK(hot);

  // Alerts: only for s2, high priority, caused by the reading.
  REQUIRE(f.log.wait_count([](const Event& e) { return e.type() == "safety.alert"; }, 5));
  const auto log = f.log.all();
  for (const EventPtr& a : log) {
    if (a->type() != "safety.alert") continue;
    CHECK(a->source() == "temperature_monitor");
    CHECK(a->priority() == Priority::kHigh);
    CHECK(data_field(*a, "sensor") == "s2");
    CHECK(data_field(*a, "level") == "high");
    CHECK(data_number(*a, "threshold") == 10.0);
    EventPtr reading = by_id(log, a->causation_id());
    REQUIRE(reading);
    CHECK(reading->type() == "sensor.reading");
    CHECK(data_number(*reading, "value") == data_number(*a, "value"));
    CHECK(a->correlation_id() == reading->id().to_string());
  }

  // The durable logger counted them all.
  auto stats = [&]() -> EventPtr {
    auto req = EventBuilder("logger.stats").source("test").build();
    auto r = f.bus->request(*req, 5s).get();
    return r.ok() ? *r : nullptr;
  };
  REQUIRE(spin_until([&] {
    EventPtr s = stats();
    return s && data_number(*s, "readings") >= 60 && data_number(*s, "alerts") >= 5;
  }));
}

TEST_CASE("examples: the order chain by correlation, and the calculator on request") {
  PluginFixture f;
  f.settings("order_desk").config_json = R"({"interval_ms": 15})";
  f.settings("calculator").instances = {"calculator-1", "calculator-2"};
  f.settings("reporter").config_json = R"({"stats_every": 5})";
  for (const char* p : {"validator", "calculator", "reporter"})
    install_example(f, p);
  f.start();
  REQUIRE(f.wait_lifecycle("started", "reporter"));
  REQUIRE(f.wait_lifecycle("started", "validator"));
  REQUIRE(f.wait_lifecycle("started", "calculator-2"));
  f.install_file(kExamples + "/order_desk.so", "order_desk");  // orders start once all listen

  REQUIRE(f.log.wait_count([](const Event& e) { return e.type() == "report.order"; }, 15));
  const auto log = f.log.all();
  std::map<std::string, std::string> status;  // order_id -> priced/rejected
  std::set<std::string> pricers;
  for (const EventPtr& report : log) {
    if (report->type() != "report.order") continue;
    const std::string id = data_field(*report, "order_id");
    INFO("order " << id);
    status[id] = data_field(*report, "status");
    // report <- priced|rejected <- (validated <-) submitted, one correlation.
    EventPtr outcome = by_id(log, report->causation_id());
    REQUIRE(outcome);
    EventPtr submitted;
    if (outcome->type() == "order.priced") {
      pricers.insert(data_field(*outcome, "instance"));
      EventPtr validated = by_id(log, outcome->causation_id());
      REQUIRE(validated);
      CHECK(validated->type() == "order.validated");
      submitted = by_id(log, validated->causation_id());
      CHECK(validated->correlation_id() == report->correlation_id());
      CHECK(data_number(*outcome, "total") ==
            Approx(data_number(*outcome, "subtotal") + data_number(*outcome, "tax")));
    } else {
      CHECK(outcome->type() == "order.rejected");
      submitted = by_id(log, outcome->causation_id());
    }
    REQUIRE(submitted);
    CHECK(submitted->type() == "order.submitted");
    CHECK(data_field(*submitted, "order_id") == id);
    CHECK(!submitted->correlation_id().empty());
    CHECK(outcome->correlation_id() == submitted->correlation_id());
    CHECK(report->correlation_id() == submitted->correlation_id());
  }
  CHECK(status["o-1"] == "priced");
  CHECK(status["o-7"] == "rejected");
  CHECK(status["o-14"] == "rejected");
  CHECK(pricers == std::set<std::string>{"calculator-1", "calculator-2"});  // a queue group
  for (const EventPtr& e : log) {
    if (e->type() == "order.rejected" && data_field(*e, "order_id") == "o-7")
      CHECK(data_field(*e, "reason") == "item A1 has quantity 0");
    if (e->type() == "order.rejected" && data_field(*e, "order_id") == "o-14")
      CHECK(data_field(*e, "reason") == "no items");
    if (e->type() == "order.priced" && data_field(*e, "order_id") == "o-5")
      CHECK(data_number(*e, "total") > 1000);
  }
  // The reporter asked for statistics and got an answer.
  REQUIRE(f.log.wait_for(
      [](const Event& e) { return e.type() == "calc.request" && e.source() == "reporter"; }));
  REQUIRE(f.log.wait_for(
      [](const Event& e) { return e.type() == "calc.result" && e.target() == "reporter"; }));

  // The calculator on request: results, a directed request, error replies.
  auto mean = request(f, R"({"op":"mean","values":[1,2,3,4]})");
  REQUIRE(mean.ok());
  CHECK((*mean)->type() == "calc.result");
  CHECK(data_number(**mean, "result") == 2.5);
  auto directed = request(f, R"({"op":"stddev","values":[2,4,4,4,5,5,7,9]})", "calculator-2");
  REQUIRE(directed.ok());
  CHECK(data_field(**directed, "instance") == "calculator-2");
  CHECK(data_number(**directed, "result") == 2.0);
  auto unknown = request(f, R"({"op":"median","values":[1]})");
  REQUIRE(unknown.ok());
  CHECK((*unknown)->find_metadata("chorusstatus") ==
        std::optional<std::string_view>("invalid_argument"));
  CHECK(data_field(**unknown, "error") ==
        "unknown op 'median' (expected mean, sum, min, max or stddev)");
  auto bad = request(f, R"({"op":"sum","values":[1,"two"]})");
  REQUIRE(bad.ok());
  CHECK(data_field(**bad, "error") == "values[1] is not a number");
}

TEST_CASE("examples: task_worker runs, fails, retries, and keeps to its budget") {
  PluginFixture f;
  f.settings("task_worker").config_json = R"({"interval_ms": 10, "budget": 40.0})";
  install_example(f, "task_worker");
  // The test plays task_recovery.lua (retries up to 3 attempts) and
  // budget_guard.lua (pause on a critical budget alert).
  auto retry = f.bus->subscribe("task.failed", [&](const EventPtr& e) {
    const int attempt = static_cast<int>(data_number(*e, "attempt"));
    if (attempt >= 3) return Status::OK();
    auto r = EventBuilder("task.retry")
                 .source("task_recovery")
                 .caused_by(*e)
                 .data("{\"task_id\":\"" + data_field(*e, "task_id") +
                       "\",\"attempt\":" + std::to_string(attempt + 1) + "}")
                 .build();
    return r.ok() ? f.bus->publish(*r) : r.error();
  });
  REQUIRE(retry.ok());
  auto guard = f.bus->subscribe("budget.alert", [&](const EventPtr& e) {
    if (data_field(*e, "level") != "critical") return Status::OK();
    auto p = EventBuilder("operations.paused")
                 .source("budget_guard")
                 .caused_by(*e)
                 .data(R"({"reason":"budget"})")
                 .build();
    return p.ok() ? f.bus->publish(*p) : p.error();
  });
  REQUIRE(guard.ok());
  f.start();

  // 40.0 at 1.0..2.5 per run: the critical alert comes after some 20 tasks.
  EventPtr critical = f.log.wait_for([](const Event& e) {
    return e.type() == "budget.alert" && data_field(e, "level") == "critical";
  });
  REQUIRE(critical);
  CHECK(critical->priority() == Priority::kCritical);
  CHECK(data_number(*critical, "spent") >= 40.0);
  CHECK(data_number(*critical, "limit") == 40.0);
  EventPtr warning = f.log.wait_for([](const Event& e) {
    return e.type() == "budget.alert" && data_field(e, "level") == "warning";
  });
  REQUIRE(warning);
  CHECK(data_number(*warning, "spent") >= 32.0);
  CHECK(warning->id() < critical->id());

  // t-4 fails once (a timeout) and completes on its retry; t-12 is poisoned.
  REQUIRE(f.log.wait_for([](const Event& e) {
    return e.type() == "task.completed" && data_field(e, "task_id") == "t-4" &&
           data_number(e, "attempt") == 2;
  }));
  REQUIRE(f.log.wait_count(
      [](const Event& e) {
        return e.type() == "task.failed" && data_field(e, "task_id") == "t-12";
      },
      3));
  const auto log = f.log.all();
  std::string correlation;
  for (const EventPtr& e : log) {
    if (data_field(*e, "task_id") != "t-4") continue;
    INFO(e->type());
    if (e->type() == "task.created") {
      correlation = std::string(e->correlation_id());
      CHECK(!correlation.empty());
    }
    CHECK(e->correlation_id() == correlation);  // created, failed, retry, completed
    if (e->type() == "task.failed") CHECK(data_field(*e, "error") == "timeout");
  }
  CHECK(f.log.count([](const Event& e) {
    return e.type() == "task.failed" && data_field(e, "task_id") == "t-5";
  }) == 0);

  // Paused by the guard; resumed, it creates tasks again with its spending reset.
  REQUIRE(f.log.wait_type("operations.paused"));
  // The two arrive through different subscriptions: resume only once the
  // pause was handled.
  REQUIRE(spin_until([&] {
    for (const auto& s : f.bus->stats().subscribers)
      if (s.id == "task_worker:operations.paused" && s.delivered >= 1) return true;
    return false;
  }));
  auto resumed = EventBuilder("operations.resumed").source("budget_guard").build();
  REQUIRE(f.bus->publish(*resumed).ok());
  REQUIRE(f.log.wait_for([&](const Event& e) {
    return e.type() == "budget.alert" && data_field(e, "level") == "warning" &&
           e.id() > (*resumed)->id();
  }));
}
