// The `discovery:` section mapped onto discovery::DiscoveryOptions, and the
// config's field rules agreeing with the registry's own (so `chorus check`
// and `chorus run` accept and refuse the same services).
#include <catch2/catch.hpp>

#include "config/config.h"
#include "discovery/validate.h"
#include "runtime/discovery_subsystem.h"
#include "runtime/options_from_config.h"

using namespace chorus;
using namespace std::chrono_literals;

TEST_CASE("options: the discovery section maps onto DiscoveryOptions") {
  const char* yaml = R"(discovery:
  ttl: 15s
  deregister_after: 2m
  sweep_interval: 500ms
  checkpoint_interval: 5s
  snapshot_every: 200
  max_services: 5000
  max_pools: 64
  max_checks_in_flight: 8
  strategy: response_time
  check: {interval: 3s, timeout: 700ms, failures_before_unhealthy: 5, successes_before_healthy: 1, http_path: /ready}
  request: {timeout: 250ms, attempts: 4}
  capabilities:
    statistics: {strategy: power_of_two}
  services:
    api:
      agent_id: api-agent
      host: 10.0.0.5
      port: 8080
      capabilities: [billing]
      tags: [prod]
      metadata: {owner: a}
      weight: 3
      ttl: 20s
      check: {kind: http, path: /healthz, port: 8081, interval: 5s, timeout: 1s, failures_before_unhealthy: 2, successes_before_healthy: 3}
)";
  auto c = config::parse_config(yaml, "t.yaml");
  INFO(c.status().to_string());
  REQUIRE(c.ok());
  const discovery::DiscoveryOptions o = runtime::discovery_options_from(*c);
  CHECK(o.ttl == 15s);
  CHECK(o.deregister_after == 2min);
  CHECK(o.sweep_interval == 500ms);
  CHECK(o.checkpoint_interval == 5s);
  CHECK(o.snapshot_every == 200);
  CHECK(o.max_services == 5000);
  CHECK(o.max_pools == 64);
  CHECK(o.max_checks_in_flight == 8);
  CHECK(o.strategy == discovery::Strategy::kResponseTime);
  CHECK(o.check.interval == 3s);
  CHECK(o.check.timeout == 700ms);
  CHECK(o.check.failures_before_unhealthy == 5);
  CHECK(o.check.successes_before_healthy == 1);
  CHECK(o.check.http_path == "/ready");
  CHECK(o.request_timeout == 250ms);
  CHECK(o.request_attempts == 4);
  CHECK(o.capability_strategies.at("statistics") == discovery::Strategy::kPowerOfTwo);
  REQUIRE(o.static_services.size() == 1);
  const discovery::ServiceSpec& s = o.static_services[0];
  CHECK(s.id == "api");
  CHECK(s.agent_id == "api-agent");
  CHECK(s.host == "10.0.0.5");
  CHECK(s.port == 8080);
  CHECK(s.capabilities == std::vector<std::string>{"billing"});
  CHECK(s.tags == std::vector<std::string>{"prod"});
  CHECK(s.metadata == std::vector<std::pair<std::string, std::string>>{{"owner", "a"}});
  CHECK(s.weight == 3);
  CHECK(s.ttl == 20s);
  CHECK(s.check.kind == discovery::CheckKind::kHttp);
  CHECK(s.check.path == "/healthz");
  CHECK(s.check.port == 8081);
  CHECK(s.check.interval == 5s);
  CHECK(s.check.timeout == 1s);
  CHECK(s.check.failures_before_unhealthy == 2u);
  CHECK(s.check.successes_before_healthy == 3u);

  // The built-in defaults are the module's defaults.
  const discovery::DiscoveryOptions d = runtime::discovery_options_from(config::default_config());
  CHECK(d == discovery::DiscoveryOptions{});
}

TEST_CASE("options: the config and the registry accept and refuse the same service fields") {
  struct Sample {
    std::string field;  // the YAML key under discovery.services.svc
    std::string value;  // YAML text of the value
  };
  const std::vector<Sample> samples = {
      {"agent_id", "agent-1"},
      {"agent_id", "'agent 1'"},
      {"agent_id", "a:b.c_d-e"},
      {"agent_id", "'é'"},
      {"name", "'Billing API'"},
      {"name", "'tab\there'"},
      {"type", "http"},
      {"type", "HTTP"},
      {"type", "a.b-c_d"},
      {"host", "127.0.0.1"},
      {"host", "'::1'"},
      {"host", "'::zz'"},
      {"host", "db.example.com"},
      {"host", "-bad.example"},
      {"host", "bad_host"},
      {"host", "a..b"},
      {"host", "x"},
      {"protocol", "http+tls"},
      {"protocol", "HTTP"},
      {"capabilities", "[math]"},
      {"capabilities", "[Math]"},
      {"capabilities", "[a, a]"},
      {"capabilities", "['a b']"},
      {"tags", "['region=eu']"},
      {"tags", "['a/b:c']"},
      {"tags", "['a b']"},
      {"tags", "[x, x]"},
      {"metadata", "{k: v}"},
      {"metadata", "{'a b': v}"},
      {"version", "1.2.3"},
      {"weight", "10000"},
      {"weight", "0"},
      {"port", "65535"},
  };
  for (const Sample& s : samples) {
    INFO(s.field << ": " << s.value);
    const std::string yaml =
        "discovery:\n  services:\n    svc:\n      " + s.field + ": " + s.value + "\n";
    auto c = config::parse_config(yaml, "t.yaml");
    bool registry_ok = false;
    if (c.ok()) {
      discovery::ServiceSpec spec = runtime::discovery_options_from(*c).static_services.at(0);
      registry_ok = discovery::normalize_spec(spec).ok();
    }
    // A value the config refuses never reaches the registry; one it accepts
    // must pass the registry's rules too.
    CHECK((!c.ok() || registry_ok));
    if (!c.ok() && (s.field != "capabilities" && s.field != "tags" && s.field != "metadata")) {
      // ... and the registry refuses it as well (scalar fields: the YAML
      // text unquoted is the value).
      std::string v = s.value;
      if (v.size() >= 2 && v.front() == '\'') v = v.substr(1, v.size() - 2);
      discovery::ServiceSpec spec;
      spec.id = "svc";
      if (s.field == "agent_id") spec.agent_id = v;
      if (s.field == "type") spec.type = v;
      if (s.field == "host") spec.host = v;
      if (s.field == "protocol") spec.protocol = v;
      if (s.field == "name") spec.name = v;
      if (s.field == "weight") spec.weight = static_cast<uint32_t>(std::stoul(v));
      CHECK_FALSE(discovery::normalize_spec(spec).ok());
    }
  }
}

TEST_CASE("discovery subsystem: which keys a reload applies") {
  runtime::HostServices services;
  runtime::DiscoverySubsystem d(services);
  CHECK(d.reloads("discovery.services.api.port"));
  CHECK(d.reloads("discovery.strategy"));
  CHECK(d.reloads("discovery.capabilities.stats.strategy"));
  CHECK(d.reloads("discovery.check.interval"));
  CHECK(d.reloads("discovery.ttl"));
  CHECK(d.reloads("discovery.request.attempts"));
  CHECK_FALSE(d.reloads("discovery.sweep_interval"));
  CHECK_FALSE(d.reloads("discovery.checkpoint_interval"));
  CHECK_FALSE(d.reloads("discovery.snapshot_every"));
  CHECK_FALSE(d.reloads("bus.queue_bound"));
}
