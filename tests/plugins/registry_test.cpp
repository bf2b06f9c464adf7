// Plugins and service discovery: loaded agents are services in a real
// registry while they run (the runtime's AgentRegistration), their health
// follows their heartbeats, they leave it when unloaded; and the registry
// functions of the host API (discover, select, release,
// request_by_capability) reach the example calculator instances.
#include "plugin_fixture.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kExamples = CHORUS_EXAMPLE_PLUGINS_DIR;

EventPtr result_of(PluginFixture& f, const std::string& op) {
  return f.log.wait_for(
      [&](const Event& e) { return e.type() == "probe.result" && data_field(e, "op") == op; });
}

std::vector<std::string> healthy_ids(discovery::Registry& r, const std::string& capability) {
  discovery::Query q;
  q.capability = capability;
  std::vector<std::string> ids;
  for (const auto& s : r.discover(q))
    ids.push_back(s.id());
  return ids;
}

bool wait_status(discovery::Registry& r, const std::string& id, discovery::ServiceStatus want) {
  return spin_until([&] {
    auto s = r.get(id);
    return s.ok() && s->status == want;
  });
}

// Calculator instances calculator-1 and calculator-2, started.
void start_calculators(PluginFixture& f) {
  f.settings("calculator").instances = {"calculator-1", "calculator-2"};
  f.install_file(kExamples + "/calculator.so", "calculator");
  f.start();
  REQUIRE(f.wait_lifecycle("started", "calculator-2"));
  REQUIRE(f.wait_lifecycle("started", "calculator-1"));
}

}  // namespace

TEST_CASE("registry: each running agent instance is a service with its capabilities") {
  FixtureOptions o;
  o.with_registry = true;
  PluginFixture f(o);
  start_calculators(f);
  auto& reg = *f.registry;
  CHECK(healthy_ids(reg, "statistics") == std::vector<std::string>{"calculator-1", "calculator-2"});
  auto s = reg.get("calculator-2");
  REQUIRE(s.ok());
  CHECK(s->agent_id() == "calculator-2");
  CHECK(s->spec->name == "calculator");
  CHECK(s->spec->type == "agent");
  CHECK(s->spec->version == "1.0.0");
  CHECK(s->status == discovery::ServiceStatus::kHealthy);

  // The registry's own request by capability reaches an instance.
  auto req =
      EventBuilder("calc.request").source("test").data(R"({"op":"sum","values":[1,2]})").build();
  REQUIRE(req.ok());
  auto reply = reg.request_by_capability("statistics", *req).get();
  REQUIRE(reply.ok());
  CHECK(data_number(**reply, "result") == 3);
  const std::string instance = data_field(**reply, "instance");
  CHECK((instance == "calculator-1" || instance == "calculator-2"));

  // Unloaded: no longer a service.
  f.remove("calculator");
  REQUIRE(f.wait_lifecycle("stopped", "calculator-1"));
  REQUIRE(f.wait_lifecycle("stopped", "calculator-2"));
  CHECK(healthy_ids(reg, "statistics").empty());
  CHECK(reg.get("calculator-1").error().code() == StatusCode::kNotFound);
}

TEST_CASE("registry: a plugin discovers, selects and requests by capability") {
  FixtureOptions o;
  o.with_registry = true;
  PluginFixture f(o);
  f.settings("probe").config_json = R"({"try_registry": true})";
  start_calculators(f);
  f.install("probe_v1", "probe");  // after the calculators: it asks them at start

  EventPtr found = result_of(f, "discover");
  REQUIRE(found);
  CHECK(data_field(*found, "code") == "ok");
  CHECK(data_number(*found, "count") == 2);
  EventPtr selected = result_of(f, "select");
  REQUIRE(selected);
  CHECK(data_field(*selected, "code") == "ok");
  CHECK(data_field(*selected, "agent").rfind("calculator-", 0) == 0);
  EventPtr reply = result_of(f, "request_by_capability.reply");
  REQUIRE(reply);
  CHECK(data_field(*reply, "code") == "ok");
  CHECK(data_number(*reply, "result") == 6);
  CHECK(data_field(*reply, "instance").rfind("calculator-", 0) == 0);
  // select + release left no connection counted.
  for (const char* id : {"calculator-1", "calculator-2"})
    CHECK(f.registry->get(id)->active == 0);
}

TEST_CASE("registry: no healthy instance is an error the plugin sees") {
  FixtureOptions o;
  o.with_registry = true;
  PluginFixture f(o);
  f.settings("probe").config_json = R"({"try_registry": true})";
  f.install("probe_v1", "probe");
  f.start();
  EventPtr found = result_of(f, "discover");
  REQUIRE(found);
  CHECK(data_number(*found, "count") == 0);
  EventPtr selected = result_of(f, "select");
  REQUIRE(selected);
  CHECK(data_field(*selected, "code") == "no_healthy_instance");
  CHECK_THAT(data_field(*selected, "message"), Catch::Contains("statistics"));
  EventPtr reply = result_of(f, "request_by_capability.reply");
  REQUIRE(reply);
  CHECK(data_field(*reply, "code") == "no_healthy_instance");
}

TEST_CASE("registry: a lease the plugin never released is given back at unload") {
  FixtureOptions o;
  o.with_registry = true;
  PluginFixture f(o);
  f.settings("probe").config_json = R"({"hold_lease": true})";
  start_calculators(f);
  f.install("probe_v1", "probe");
  EventPtr held = result_of(f, "hold_lease");
  REQUIRE(held);
  REQUIRE(data_field(*held, "code") == "ok");
  uint32_t active = 0;
  for (const char* id : {"calculator-1", "calculator-2"})
    active += f.registry->get(id)->active;
  CHECK(active == 1);
  f.remove("probe");
  REQUIRE(f.wait_lifecycle("stopped", "probe"));
  for (const char* id : {"calculator-1", "calculator-2"})
    CHECK(f.registry->get(id)->active == 0);
}

TEST_CASE("registry: an agent's health follows its heartbeats") {
  FixtureOptions o;
  o.with_registry = true;
  o.heartbeat = 20ms;
  PluginFixture f(o);
  f.settings("probe").instances = {"probe-a"};
  f.install("probe_v1", "probe");
  f.start();
  REQUIRE(f.wait_lifecycle("started", "probe-a"));
  auto& reg = *f.registry;
  REQUIRE(wait_status(reg, "probe-a", discovery::ServiceStatus::kHealthy));
  CHECK(reg.get("probe-a")->spec->ttl == 60ms);  // three heartbeats

  // health() fails: unhealthy, never selected.
  auto next = f.options();
  next.plugins[0].config_json = R"({"unhealthy": true})";
  REQUIRE(f.host().reconfigure(next).ok());
  REQUIRE(wait_status(reg, "probe-a", discovery::ServiceStatus::kUnhealthy));
  CHECK(reg.select("probing").error().code() == StatusCode::kNoHealthyInstance);

  // Healthy again after the next reload.
  next.plugins[0].config_json = "{}";
  REQUIRE(f.host().reconfigure(next).ok());
  REQUIRE(wait_status(reg, "probe-a", discovery::ServiceStatus::kHealthy));
  CHECK(reg.select("probing").ok());
}

TEST_CASE("registry: a reload re-registers the new version, and a failed one leaves the old") {
  FixtureOptions o;
  o.with_registry = true;
  PluginFixture f(o);
  f.install("probe_v1", "probe");
  f.start();
  REQUIRE(f.wait_lifecycle("started", "probe"));
  auto& reg = *f.registry;
  REQUIRE(reg.get("probe").ok());
  CHECK(reg.get("probe")->spec->version == "1.0.0");

  // A new version whose init fails: the old one runs on, still registered.
  f.install("probe_badinit", "probe");
  REQUIRE(f.wait_lifecycle("failed", "probe"));
  auto still = reg.get("probe");
  REQUIRE(still.ok());
  CHECK(still->spec->version == "1.0.0");
  CHECK(still->status == discovery::ServiceStatus::kHealthy);

  f.install("probe_v2", "probe");
  REQUIRE(f.wait_lifecycle("reloaded", "probe"));
  auto now = reg.get("probe");
  REQUIRE(now.ok());
  CHECK(now->spec->version == "2.0.0");
  CHECK(healthy_ids(reg, "probing") == std::vector<std::string>{"probe"});
}
