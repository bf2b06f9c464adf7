// The admin routes of the plugins, the scripts and the registry, over real
// sockets against a host made of the runtime's pieces (ApiHost kAll):
// real test plugins dlopened from a temp plugins folder (tests/plugins),
// real Lua scripts, the real registry; requests by capability through
// discovery to a plugin; and their /metrics families and /readyz checks.
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "api_host.h"
#include "bus/event_bus.h"
#include "json_check.h"
#include "lua/script_host.h"
#include "plugins/plugin_host.h"
#include "prom_check.h"
#include "scrape_metrics.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/wait.h"
#include "wire_client.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kTestPlugins = CHORUS_TEST_PLUGINS_DIR;
const std::string kJson = "Content-Type: application/json";
const std::string kStructured = "Content-Type: application/cloudevents+json";

// Copies a built test plugin into `folder` as <as>.so (to a temporary name,
// then renamed, as a file should be installed).
void install(const std::string& plugin, const std::string& folder, const std::string& as) {
  const std::string tmp = folder + "/." + as + ".tmp";
  std::filesystem::copy_file(kTestPlugins + "/" + plugin + ".so", tmp,
                             std::filesystem::copy_options::overwrite_existing);
  REQUIRE(::chmod(tmp.c_str(), 0755) == 0);
  REQUIRE(::rename(tmp.c_str(), (folder + "/" + as + ".so").c_str()) == 0);
}

void write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  REQUIRE(::rename(tmp.c_str(), path.c_str()) == 0);
}

config::PluginEntry probe_entry(const std::string& config_json) {
  config::PluginEntry e;
  e.key = "probe";
  e.config_json = config_json;
  return e;
}

}  // namespace

TEST_CASE("api: plugins list, reload, unload, load and failures with real plugins") {
  ApiHost host([](config::Config& c) { c.plugins.agents = {probe_entry(R"({"alloc": 4096})")}; },
               ApiHost::Parts::kAll,
               [](const ApiHost& h) { install("probe_v1", h.plugins_folder(), "probe"); });
  const std::string folder = host.plugins_folder();

  auto r = http(host.port(), "GET", "/v1/plugins");
  REQUIRE(r.status == 200);
  auto d = json(r.body);
  REQUIRE(d["plugins"].Size() == 1);
  CHECK(std::string(d["plugins"][0]["name"].GetString()) == "probe");
  CHECK(std::string(d["plugins"][0]["version"].GetString()) == "1.0.0");
  CHECK(std::string(d["plugins"][0]["file"].GetString()) == folder + "/probe.so");
  CHECK(d["plugins"][0]["stats"]["memory_bytes"].GetUint64() >= 4096);
  CHECK(d["failures"].Size() == 0);
  CHECK(http(host.port(), "GET", "/readyz").status == 200);

  // A new build in the folder (not watched here): reload picks it up.
  install("probe_v2", folder, "probe");
  r = http(host.port(), "POST", "/v1/plugins/probe/reload");
  INFO(r.body);
  REQUIRE(r.status == 200);
  d = json(r.body);
  CHECK(std::string(d["reloaded"].GetString()) == "probe");
  REQUIRE(d["plugins"].Size() == 1);
  CHECK(std::string(d["plugins"][0]["version"].GetString()) == "2.0.0");
  // Reloading the same bytes is a reload too (forced).
  CHECK(http(host.port(), "POST", "/v1/plugins/probe.so/reload").status == 200);

  // Unload: gone from the list; the file stays; a second unload is 404.
  r = http(host.port(), "DELETE", "/v1/plugins/probe");
  REQUIRE(r.status == 200);
  CHECK(std::string(json(r.body)["unloaded"].GetString()) == "probe");
  CHECK(json(http(host.port(), "GET", "/v1/plugins").body)["plugins"].Size() == 0);
  r = http(host.port(), "DELETE", "/v1/plugins/probe");
  CHECK(r.status == 404);
  CHECK(error_code(r) == "not_found");
  CHECK(http(host.port(), "POST", "/v1/plugins/probe/reload").status == 404);

  // Load it again by file name; twice is a conflict.
  r = http(host.port(), "POST", "/v1/plugins", {kJson}, R"({"file":"probe.so"})");
  INFO(r.body);
  REQUIRE(r.status == 201);
  d = json(r.body);
  REQUIRE(d["plugins"].Size() == 1);
  CHECK(std::string(d["plugins"][0]["version"].GetString()) == "2.0.0");
  r = http(host.port(), "POST", "/v1/plugins", {kJson}, R"({"file":"probe.so"})");
  CHECK(r.status == 409);
  CHECK(error_code(r) == "already_exists");

  // Bad requests name the problem.
  r = http(host.port(), "POST", "/v1/plugins", {kJson}, R"({"file":"../probe.so"})");
  CHECK(r.status == 400);
  CHECK_THAT(error_message(r), Catch::Contains("not a plugin file name"));
  r = http(host.port(), "POST", "/v1/plugins", {kJson}, R"({"path":"probe.so"})");
  CHECK(r.status == 400);
  CHECK_THAT(error_message(r), Catch::Contains("field 'file'"));
  r = http(host.port(), "POST", "/v1/plugins", {kJson}, "not json");
  CHECK(r.status == 400);
  r = http(host.port(), "POST", "/v1/plugins", {kJson}, R"({"file":"nothere.so"})");
  CHECK(r.status == 404);
  CHECK_THAT(error_message(r), Catch::Contains(folder + "/nothere.so"));

  // A plugin whose init fails: 422 naming the file and stage; listed as a
  // failure; the host is not ready until it is gone.
  install("probe_badinit", folder, "bad");
  r = http(host.port(), "POST", "/v1/plugins", {kJson}, R"({"file":"bad.so"})");
  INFO(r.body);
  CHECK(r.status == 422);
  CHECK(error_code(r) == "load_failed");
  CHECK_THAT(error_message(r), Catch::Contains(folder + "/bad.so: init failed"));
  d = json(http(host.port(), "GET", "/v1/plugins").body);
  REQUIRE(d["failures"].Size() == 1);
  CHECK(std::string(d["failures"][0]["file"].GetString()) == folder + "/bad.so");
  CHECK(std::string(d["failures"][0]["stage"].GetString()) == "init");
  r = http(host.port(), "GET", "/readyz");
  CHECK(r.status == 503);
  CHECK_THAT(r.body, Catch::Contains("plugin " + folder + "/bad.so failed to init"));

  // The chorus_plugins_* families.
  const PromDoc m = scrape_metrics(host.port());
  CHECK(m.value("chorus_plugins_loaded") == 1);
  CHECK(m.value("chorus_plugins_failing") == 1);
  CHECK(m.value("chorus_plugins_reloads_total") == 2);
  CHECK(m.value("chorus_plugins_loads_total") == 2);
  CHECK(m.value("chorus_plugins_unloads_total") == 1);
  CHECK(m.value("chorus_plugins_failures_total") == 1);
  CHECK(m.value("chorus_plugins_memory_bytes", {{"instance", "probe"}, {"plugin", "probe"}}) >=
        4096);
  CHECK(m.types.at("chorus_plugins_delivered_total") == "counter");
}

TEST_CASE("api: scripts list and reload with real Lua scripts, counters in /metrics") {
  ApiHost host(
      [](config::Config& c) {
        config::ScriptEntryConfig counter;
        counter.name = "counter";
        counter.file = "counter.lua";
        config::ScriptEntryConfig runaway;
        runaway.name = "runaway";
        runaway.file = "runaway.lua";
        runaway.cpu_limit = 50ms;
        c.scripts.entries = {counter, runaway};
        c.scripts.watch = false;
      },
      ApiHost::Parts::kAll,
      [](const ApiHost& h) {
        write_file(h.scripts_folder() + "/counter.lua",
                   "local n = 0\nchorus.on('count.me', function(ev) n = n + 1 end)\n");
        write_file(h.scripts_folder() + "/runaway.lua",
                   "chorus.on('spin', function(ev)\n  while true do end\nend)\n");
      });
  lua::ScriptHost& scripts = *host.services().scripts;
  auto info = [&](const std::string& name) {
    for (const lua::ScriptInfo& s : scripts.scripts())
      if (s.name == name) return s;
    FAIL("no script " << name);
    return lua::ScriptInfo{};
  };

  for (int i = 0; i < 3; ++i)
    REQUIRE(host.bus().publish(*EventBuilder("count.me").source("test").build()).ok());
  REQUIRE(host.bus().publish(*EventBuilder("spin").source("test").build()).ok());
  REQUIRE(spin_until([&] { return info("counter").invocations >= 3; }));
  REQUIRE(spin_until([&] { return info("runaway").limit_hits >= 1; }));

  auto r = http(host.port(), "GET", "/v1/scripts");
  REQUIRE(r.status == 200);
  auto d = json(r.body);
  REQUIRE(d["scripts"].Size() == 2);
  CHECK(std::string(d["scripts"][0]["name"].GetString()) == "counter");
  CHECK(d["scripts"][0]["loaded"].GetBool());
  CHECK(d["scripts"][0]["generation"].GetUint64() == 1);
  CHECK(d["scripts"][0]["invocations"].GetUint64() == 3);
  CHECK(d["scripts"][0]["errors"].GetUint64() == 0);
  CHECK(d["scripts"][0]["memory_bytes"].GetUint64() > 0);
  CHECK(std::string(d["scripts"][1]["name"].GetString()) == "runaway");
  CHECK(d["scripts"][1]["errors"].GetUint64() == 1);
  CHECK(d["scripts"][1]["limit_hits"].GetUint64() == 1);
  CHECK(http(host.port(), "GET", "/readyz").status == 200);

  // A new version on disk (the folder is not watched): reload now.
  write_file(host.scripts_folder() + "/counter.lua",
             "local n = 100\nchorus.on('count.me', function(ev) n = n + 1 end)\n");
  r = http(host.port(), "POST", "/v1/scripts/counter/reload");
  INFO(r.body);
  REQUIRE(r.status == 200);
  d = json(r.body);
  CHECK(std::string(d["reloaded"].GetString()) == "counter");
  CHECK(d["script"]["generation"].GetUint64() == 2);
  CHECK(d["script"]["reloads"].GetUint64() == 1);

  // A version that does not compile: 422 with script:line; the running one stays.
  write_file(host.scripts_folder() + "/counter.lua", "chorus.on('count.me', function(ev)\n");
  r = http(host.port(), "POST", "/v1/scripts/counter/reload");
  CHECK(r.status == 422);
  CHECK(error_code(r) == "load_failed");
  CHECK_THAT(error_message(r), Catch::Contains("counter.lua:"));
  CHECK(info("counter").loaded);
  CHECK(info("counter").generation == 2);

  r = http(host.port(), "POST", "/v1/scripts/nothere/reload");
  CHECK(r.status == 404);
  CHECK_THAT(error_message(r), Catch::Contains("nothere"));

  const PromDoc m = scrape_metrics(host.port());
  CHECK(m.value("chorus_scripts_configured") == 2);
  CHECK(m.value("chorus_scripts_loaded") == 2);
  CHECK(m.value("chorus_scripts_invocations_total", {{"script", "counter"}}) == 3);
  CHECK(m.value("chorus_scripts_errors_total", {{"script", "runaway"}}) == 1);
  CHECK(m.value("chorus_scripts_limit_hits_total", {{"script", "runaway"}}) == 1);
  CHECK(m.value("chorus_scripts_reloads_total", {{"script", "counter"}}) == 1);
  CHECK(m.value("chorus_scripts_load_failures_total", {{"script", "counter"}}) == 1);
  CHECK(m.value("chorus_scripts_memory_bytes", {{"script", "counter"}}) > 0);
}

TEST_CASE("api: registry register, list, show, heartbeat, select, unregister") {
  ApiHost host({}, ApiHost::Parts::kAll);
  const std::string svc =
      R"({"id":"calc-1","agent_id":"probe","capabilities":["math"],"tags":["eu"],"port":8080,
          "metadata":{"zone":"a"},"ttl":"30s","weight":2})";
  auto r = http(host.port(), "POST", "/v1/registry/services", {kJson}, svc);
  INFO(r.body);
  REQUIRE(r.status == 201);
  auto d = json(r.body);
  CHECK(std::string(d["id"].GetString()) == "calc-1");
  CHECK(std::string(d["status"].GetString()) == "healthy");
  CHECK(std::string(d["origin"].GetString()) == "dynamic");
  CHECK(d["ttl_ms"].GetInt64() == 30'000);
  CHECK(d["weight"].GetUint() == 2);
  CHECK(std::string(d["metadata"]["zone"].GetString()) == "a");

  r = http(host.port(), "POST", "/v1/registry/services", {kJson}, svc);
  CHECK(r.status == 409);
  CHECK(error_code(r) == "already_exists");
  CHECK(http(host.port(), "POST", "/v1/registry/services?replace=true", {kJson}, svc).status ==
        201);

  // Bad specs name the field.
  r = http(host.port(), "POST", "/v1/registry/services", {kJson}, R"({"id":"x","port":70000})");
  CHECK(r.status == 400);
  CHECK_THAT(error_message(r), Catch::Contains("field 'port'"));
  r = http(host.port(), "POST", "/v1/registry/services", {kJson}, R"({"id":"x","colour":"red"})");
  CHECK(r.status == 400);
  CHECK_THAT(error_message(r), Catch::Contains("unknown field 'colour'"));
  r = http(host.port(), "POST", "/v1/registry/services", {kJson},
           R"({"id":"x","capabilities":["Not Valid"]})");
  CHECK(r.status == 400);
  CHECK_THAT(error_message(r), Catch::Contains("capabilities"));
  CHECK(http(host.port(), "POST", "/v1/registry/services", {kJson}, "{").status == 400);

  d = json(http(host.port(), "GET", "/v1/registry/services").body);
  CHECK(d["count"].GetUint64() == 1);
  d = json(http(host.port(), "GET", "/v1/registry/services?capability=math&tag=eu").body);
  CHECK(d["count"].GetUint64() == 1);
  d = json(http(host.port(), "GET", "/v1/registry/services?capability=poetry").body);
  CHECK(d["count"].GetUint64() == 0);
  CHECK(http(host.port(), "GET", "/v1/registry/services?health=maybe").status == 400);
  CHECK(http(host.port(), "GET", "/v1/registry/services?colour=red").status == 400);
  r = http(host.port(), "GET", "/v1/registry/services/calc-1");
  REQUIRE(r.status == 200);
  CHECK(std::string(json(r.body)["agent_id"].GetString()) == "probe");
  CHECK(http(host.port(), "GET", "/v1/registry/services/nothere").status == 404);

  CHECK(http(host.port(), "POST", "/v1/registry/services/calc-1/heartbeat").status == 200);
  CHECK(http(host.port(), "POST", "/v1/registry/services/nothere/heartbeat").status == 404);

  r = http(host.port(), "POST", "/v1/registry/select?capability=math");
  REQUIRE(r.status == 200);
  CHECK(std::string(json(r.body)["service"]["id"].GetString()) == "calc-1");
  CHECK(json(r.body)["service"]["active"].GetUint() == 1);  // counted, then released
  CHECK(json(http(host.port(), "GET", "/v1/registry/services/calc-1").body)["active"].GetUint() ==
        0);
  r = http(host.port(), "POST", "/v1/registry/select?capability=poetry");
  CHECK(r.status == 503);
  CHECK(error_code(r) == "no_healthy_instance");
  CHECK(http(host.port(), "POST", "/v1/registry/select").status == 400);
  r = http(host.port(), "POST", "/v1/registry/select?capability=math&strategy=fastest");
  CHECK(r.status == 400);
  CHECK_THAT(error_message(r), Catch::Contains("strategy"));

  const PromDoc m = scrape_metrics(host.port());
  CHECK(m.value("chorus_discovery_services", {{"status", "healthy"}}) == 1);
  CHECK(m.value("chorus_discovery_registered_total") >= 2);
  CHECK(m.value("chorus_discovery_service_selections_total", {{"service", "calc-1"}}) == 1);
  CHECK(m.value("chorus_discovery_no_healthy_total", {{"strategy", "round_robin"}}) == 1);
  CHECK(m.types.at("chorus_discovery_checks_total") == "counter");

  r = http(host.port(), "DELETE", "/v1/registry/services/calc-1");
  REQUIRE(r.status == 200);
  CHECK(std::string(json(r.body)["unregistered"].GetString()) == "calc-1");
  CHECK(http(host.port(), "DELETE", "/v1/registry/services/calc-1").status == 404);
  CHECK(json(http(host.port(), "GET", "/v1/registry/services").body)["count"].GetUint64() == 0);
}

TEST_CASE("api: POST /v1/requests?capability= goes through discovery to a plugin") {
  ApiHost host(
      [](config::Config& c) { c.plugins.agents = {probe_entry(R"({"requests":"calc.ask"})")}; },
      ApiHost::Parts::kAll,
      [](const ApiHost& h) { install("probe_v1", h.plugins_folder(), "probe"); });
  // The plugin as an instance offering "math" (the agent's bus id is its
  // instance name, "probe").
  REQUIRE(http(host.port(), "POST", "/v1/registry/services", {kJson},
               R"({"id":"calc-1","agent_id":"probe","capabilities":["math"],"ttl":0})")
              .status == 201);
  auto r = http(host.port(), "POST", "/v1/requests?capability=math&timeout=5s", {kStructured},
                R"({"specversion":"1.0","type":"calc.ask","source":"cli","data":{"x":1}})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto d = json(r.body);
  CHECK(std::string(d["type"].GetString()) == "probe.reply");
  CHECK(std::string(d["data"]["instance"].GetString()) == "probe");

  r = http(host.port(), "POST", "/v1/requests?capability=poetry", {kStructured},
           R"({"specversion":"1.0","type":"calc.ask","source":"cli"})");
  CHECK(r.status == 503);
  CHECK(error_code(r) == "no_healthy_instance");
  CHECK_THAT(error_message(r), Catch::Contains("poetry"));

  const PromDoc m = scrape_metrics(host.port());
  CHECK(m.value("chorus_discovery_requests_total") == 2);
  CHECK(m.value("chorus_plugins_delivered_total", {{"instance", "probe"}, {"plugin", "probe"}}) ==
        1);
}

TEST_CASE("api: plugins, scripts and registry routes answer 503 when not running") {
  ApiHost host;  // store, bus and api only
  for (const auto& [method, target] :
       std::vector<std::pair<std::string, std::string>>{{"GET", "/v1/plugins"},
                                                        {"DELETE", "/v1/plugins/x"},
                                                        {"GET", "/v1/scripts"},
                                                        {"POST", "/v1/scripts/x/reload"},
                                                        {"GET", "/v1/registry/services"},
                                                        {"POST", "/v1/registry/select"}}) {
    auto r = http(host.port(), method, target);
    INFO(method << " " << target << " " << r.body);
    CHECK(r.status == 503);
    CHECK(error_code(r) == "unavailable");
  }
}

TEST_CASE("api: /metrics with plugins, scripts and discovery is valid Prometheus text") {
  ApiHost host(
      [](config::Config& c) {
        c.plugins.agents = {probe_entry("{}")};
        config::ScriptEntryConfig counter;
        counter.name = "counter";
        counter.file = "counter.lua";
        c.scripts.entries = {counter};
      },
      ApiHost::Parts::kAll,
      [](const ApiHost& h) {
        install("probe_v1", h.plugins_folder(), "probe");
        write_file(h.scripts_folder() + "/counter.lua",
                   "chorus.on('count.me', function(ev) end)\n");
      });
  REQUIRE(http(host.port(), "POST", "/v1/registry/services", {kJson},
               R"({"id":"calc-1","capabilities":["math"],"ttl":0})")
              .status == 201);
  auto r = http(host.port(), "GET", "/metrics");
  REQUIRE(r.status == 200);
  const PromDoc m = scrape_metrics(host.port());
  for (const char* family : {"chorus_plugins_loaded",
                             "chorus_plugins_failing",
                             "chorus_plugins_loads_total",
                             "chorus_plugins_reloads_total",
                             "chorus_plugins_unloads_total",
                             "chorus_plugins_failures_total",
                             "chorus_plugins_memory_bytes",
                             "chorus_plugins_delivered_total",
                             "chorus_plugins_failed_total",
                             "chorus_plugins_published_total",
                             "chorus_scripts_configured",
                             "chorus_scripts_loaded",
                             "chorus_scripts_invocations_total",
                             "chorus_scripts_errors_total",
                             "chorus_scripts_limit_hits_total",
                             "chorus_scripts_reloads_total",
                             "chorus_scripts_load_failures_total",
                             "chorus_scripts_memory_bytes",
                             "chorus_discovery_services",
                             "chorus_discovery_static_services",
                             "chorus_discovery_registered_total",
                             "chorus_discovery_unregistered_total",
                             "chorus_discovery_expired_total",
                             "chorus_discovery_removed_total",
                             "chorus_discovery_checks_total",
                             "chorus_discovery_checks_in_flight",
                             "chorus_discovery_checks_queued",
                             "chorus_discovery_selections_total",
                             "chorus_discovery_no_healthy_total",
                             "chorus_discovery_service_selections_total",
                             "chorus_discovery_service_active",
                             "chorus_discovery_requests_total",
                             "chorus_discovery_request_failovers_total",
                             "chorus_discovery_request_failures_total",
                             "chorus_discovery_journal_errors_total",
                             "chorus_bus_published_total",
                             "chorus_store_appended_total"}) {
    INFO(family);
    CHECK(m.has_family(family));
  }
  CHECK(m.value("chorus_plugins_loaded") == 1);
  CHECK(m.value("chorus_scripts_loaded") == 1);
  // calc-1, and the loaded probe, which registers itself.
  CHECK(m.value("chorus_discovery_services", {{"status", "healthy"}}) == 2);
  CHECK(m.value("chorus_discovery_selections_total", {{"strategy", "round_robin"}}) == 0);

  // promtool, when Debian's prometheus package is installed.
  if (std::filesystem::exists("/usr/bin/promtool")) {
    TempDir dir;
    const std::string file = dir.write("metrics.txt", r.body);
    auto p = run_command({"/bin/sh", "-c", "/usr/bin/promtool check metrics < " + file});
    INFO(p.out << p.err);
    CHECK(p.exit_code == 0);
  } else {
    WARN("promtool not installed: only the built-in checker ran");
  }

  // Each subsystem removes its collector and its check when it stops.
  host.stop_subsystems();
  const PromDoc after = parse_prometheus(host.metrics().render());
  CHECK_FALSE(after.has_family("chorus_bus_published_total"));  // the API removed its own
  CHECK_FALSE(after.has_family("chorus_plugins_loaded"));
  CHECK_FALSE(after.has_family("chorus_scripts_loaded"));
  CHECK_FALSE(after.has_family("chorus_discovery_services"));
  CHECK(host.metrics().size() == 0);
  CHECK(host.readiness().run().empty());
}
