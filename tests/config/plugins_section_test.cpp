// The `plugins:` section: every key, free-form config blocks as JSON,
// allowed patterns, instance names, and errors with file:line:col.
#include <catch2/catch.hpp>

#include "config/config.h"

using namespace chorus;
using namespace chorus::config;

namespace {

LoadOptions env_of(std::map<std::string, std::string> vars) {
  LoadOptions o;
  o.env = [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  return o;
}

}  // namespace

TEST_CASE("plugins: every key is read") {
  auto r = parse_config(R"(
plugins:
  folder: /opt/agents
  watch: false
  heartbeat_interval: 2s
  drain_timeout: 250ms
  agents:
    calculator:
      instances: [calculator-1, calculator-2]
      config:
        tax_rate: 0.2
        name: "007"
        ops: [mean, sum]
        nested: {on: true, off: ~, home: "${HOME_DIR}"}
      publish: ["calc.**", "order.priced"]
      subscribe: []
    sensor_gateway.so:
      enabled: false
)",
                        "t.yaml", env_of({{"HOME_DIR", "/home/x"}}));
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  const PluginsSection& p = r->plugins;
  CHECK(p.folder == "/opt/agents");
  CHECK(!p.watch);
  CHECK(p.heartbeat_interval == std::chrono::seconds(2));
  CHECK(p.drain_timeout == std::chrono::milliseconds(250));
  REQUIRE(p.agents.size() == 2);
  const PluginEntry& c = p.agents[0];
  CHECK(c.key == "calculator");
  CHECK(c.enabled);
  CHECK(c.instances == std::vector<std::string>{"calculator-1", "calculator-2"});
  CHECK(
      c.config_json ==
      R"({"tax_rate":0.2,"name":"007","ops":["mean","sum"],"nested":{"on":true,"off":null,"home":"/home/x"}})");
  REQUIRE(c.publish);
  CHECK(*c.publish == std::vector<std::string>{"calc.**", "order.priced"});
  REQUIRE(c.subscribe);
  CHECK(c.subscribe->empty());
  const PluginEntry& s = p.agents[1];
  CHECK(s.key == "sensor_gateway.so");
  CHECK(!s.enabled);
  CHECK(s.config_json == "{}");
  CHECK(!s.publish);
  // A reload sees a changed config block.
  CHECK(r->settings.at("plugins.agents.calculator.config") == c.config_json);
}

TEST_CASE("plugins: errors name the key and where it is") {
  auto r = parse_config(R"(
plugins:
  folder: ""
  agents:
    calculator:
      instances: [calc-2, calc-2]
      config: [1, 2]
      publish: ["calc..x"]
      enable: false
    upper:
      instances: [Calc-1]
    other:
      instances: [calc-2]
)",
                        "t.yaml", env_of({}));
  REQUIRE(!r.ok());
  const std::string m = r.error().message();
  CHECK(m.find("t.yaml:3:11: plugins.folder: the folder may not be empty") != std::string::npos);
  CHECK(m.find("plugins.agents.upper.instances[0]: 'Calc-1' may only use a-z, 0-9") !=
        std::string::npos);
  CHECK(m.find("plugins.agents.calculator.instances: instance name 'calc-2' is used twice") !=
        std::string::npos);
  CHECK(m.find("plugins.agents.calculator.config: must be a mapping") != std::string::npos);
  CHECK(m.find("plugins.agents.calculator.publish[0]:") != std::string::npos);
  CHECK(m.find("plugins.agents.calculator.enable: unknown key") != std::string::npos);
  CHECK(m.find("did you mean 'enabled'?") != std::string::npos);
  CHECK(m.find("plugins.agents.other.instances: instance name 'calc-2' is used twice") !=
        std::string::npos);
}

TEST_CASE("plugins: Lua filters by event-type pattern, and their errors") {
  auto r = parse_config(R"(
plugins:
  agents:
    temperature_monitor:
      filters:
        "sensor.**": sensors.watched
        safety.alert: gate.only_high
)",
                        "t.yaml", env_of({}));
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  const PluginEntry& e = r->plugins.agents.at(0);
  REQUIRE(e.filters.size() == 2);
  CHECK(e.filters[0] == PluginFilterEntry{"sensor.**", "sensors", "watched"});
  CHECK(e.filters[1] == PluginFilterEntry{"safety.alert", "gate", "only_high"});

  auto bad = parse_config(R"(
plugins:
  agents:
    temperature_monitor:
      filters:
        "sensor..x": sensors.watched
        sensor.reading: watched
        sensor.other: sensors.9lives
)",
                          "t.yaml", env_of({}));
  REQUIRE(!bad.ok());
  const std::string m = bad.error().message();
  INFO(m);
  CHECK(m.find("t.yaml:6:") != std::string::npos);
  CHECK(m.find("plugins.agents.temperature_monitor.filters: 'sensor..x':") != std::string::npos);
  CHECK(m.find("'watched' must name a script's function as script.function") != std::string::npos);
  CHECK(m.find("'sensors.9lives' must name a script's function as script.function") !=
        std::string::npos);
}
