// The `discovery:` configuration section: defaults, every key, static
// services with their checks, and errors with file:line:col. (Its mapping
// onto DiscoveryOptions, and agreement with the registry's own field rules:
// tests/runtime.)
#include <catch2/catch.hpp>

#include "config/config.h"

using namespace chorus;
using namespace chorus::config;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> errors_of(const std::string& yaml) {
  ConfigErrors errors;
  auto r = parse_config(yaml, "test.yaml", {}, &errors);
  std::vector<std::string> out;
  for (const auto& e : errors.errors)
    out.push_back(e.to_string());
  return out;
}

}  // namespace

TEST_CASE("discovery config: defaults") {
  auto r = parse_config("discovery: {}\n", "t.yaml");
  REQUIRE(r.ok());
  CHECK(r->discovery == DiscoverySection{});
  CHECK(default_config().discovery.ttl == 30s);
  CHECK(default_config().discovery.strategy == DiscoveryStrategy::kRoundRobin);
  CHECK(default_config().discovery.services.empty());
}

TEST_CASE("discovery config: every key, a static service and its check") {
  const char* yaml = R"(discovery:
  ttl: 15s
  deregister_after: 2m
  sweep_interval: 500ms
  checkpoint_interval: 5s
  snapshot_every: 200
  max_services: 5000
  max_pools: 64
  max_checks_in_flight: 8
  strategy: least_connections
  check:
    interval: 3s
    timeout: 700ms
    failures_before_unhealthy: 5
    successes_before_healthy: 1
    http_path: /ready
  request:
    timeout: 250ms
    attempts: 4
  capabilities:
    statistics: {strategy: power_of_two}
    billing: {strategy: weighted_round_robin}
  services:
    billing-api:
      agent_id: billing
      name: Billing API
      type: http
      host: 10.0.0.5
      port: 8080
      protocol: http
      capabilities: [billing, invoices]
      tags: [prod, "region=eu"]
      metadata: {owner: team-a, tier: "1"}
      version: 2.1.0
      weight: 3
      ttl: 0s
      check:
        kind: http
        path: /healthz
        port: 8081
        interval: 5s
        timeout: 1s
        failures_before_unhealthy: 2
        successes_before_healthy: 3
    cache:
      host: cache.internal
      port: 6379
      check: {kind: tcp}
)";
  auto r = parse_config(yaml, "t.yaml");
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  const DiscoverySection& d = r->discovery;
  CHECK(d.ttl == 15s);
  CHECK(d.deregister_after == 2min);
  CHECK(d.sweep_interval == 500ms);
  CHECK(d.checkpoint_interval == 5s);
  CHECK(d.snapshot_every == 200);
  CHECK(d.max_services == 5000);
  CHECK(d.max_pools == 64);
  CHECK(d.max_checks_in_flight == 8);
  CHECK(d.strategy == DiscoveryStrategy::kLeastConnections);
  CHECK(d.check.interval == 3s);
  CHECK(d.check.timeout == 700ms);
  CHECK(d.check.failures_before_unhealthy == 5);
  CHECK(d.check.successes_before_healthy == 1);
  CHECK(d.check.http_path == "/ready");
  CHECK(d.request_timeout == 250ms);
  CHECK(d.request_attempts == 4);
  CHECK(d.capability_strategies == std::map<std::string, DiscoveryStrategy>{
                                       {"billing", DiscoveryStrategy::kWeightedRoundRobin},
                                       {"statistics", DiscoveryStrategy::kPowerOfTwo}});
  REQUIRE(d.services.size() == 2);
  const DiscoveryService& b = d.services[0];
  CHECK(b.id == "billing-api");
  CHECK(b.agent_id == "billing");
  CHECK(b.name == "Billing API");
  CHECK(b.type == "http");
  CHECK(b.host == "10.0.0.5");
  CHECK(b.port == 8080);
  CHECK(b.protocol == "http");
  CHECK(b.capabilities == std::vector<std::string>{"billing", "invoices"});
  CHECK(b.tags == std::vector<std::string>{"prod", "region=eu"});
  CHECK(b.metadata ==
        std::vector<std::pair<std::string, std::string>>{{"owner", "team-a"}, {"tier", "1"}});
  CHECK(b.version == "2.1.0");
  CHECK(b.weight == 3);
  CHECK(b.ttl == 0ms);
  CHECK(b.check.kind == DiscoveryCheckKind::kHttp);
  CHECK(b.check.path == "/healthz");
  CHECK(b.check.port == 8081);
  CHECK(b.check.interval == 5s);
  CHECK(b.check.timeout == 1s);
  CHECK(b.check.failures_before_unhealthy == 2u);
  CHECK(b.check.successes_before_healthy == 3u);
  const DiscoveryService& c = d.services[1];
  CHECK(c.id == "cache");
  CHECK(c.check.kind == DiscoveryCheckKind::kTcp);
  CHECK_FALSE(c.check.interval.has_value());
  CHECK_FALSE(c.ttl.has_value());
  CHECK(r->settings.at("discovery.services.billing-api.port") == "8080");
}

TEST_CASE("discovery config: errors name file, line, column and key") {
  CHECK(errors_of("discovery:\n  strategy: least_conections\n") ==
        std::vector<std::string>{
            "test.yaml:2:13: discovery.strategy: 'least_conections' is not valid (expected "
            "round_robin, weighted_round_robin, least_connections, random, health_based, "
            "response_time or power_of_two)"});
  CHECK(errors_of("discovery:\n  check:\n    interval: 0s\n") ==
        std::vector<std::string>{
            "test.yaml:3:15: discovery.check.interval: 0s is out of range "
            "(expected a duration from 1ms to 86400000ms, like 500ms, 5s, 2m or 1h)"});
  CHECK(errors_of("discovery:\n  services:\n    db:\n      host: 127.0.0.1\n      check: {kind: "
                  "tcp, interval: 0s}\n") ==
        std::vector<std::string>{
            "test.yaml:5:21: discovery.services.db.check.kind: a tcp check needs a port (expected "
            "the service's port or check.port)",
            "test.yaml:5:36: discovery.services.db.check.interval: 0s is out of range (expected a "
            "duration from 1ms to 86400000ms, like 500ms, 5s, 2m or 1h)"});
  CHECK(errors_of("discovery:\n  services:\n    db:\n      capabilities: [Math, sql]\n") ==
        std::vector<std::string>{"test.yaml:4:22: discovery.services.db.capabilities[0]: 'Math' "
                                 "has the character 'M' (allowed: a-z 0-9 . _ -)"});
  CHECK(errors_of("discovery:\n  services:\n    db:\n      prot: 5432\n") ==
        std::vector<std::string>{"test.yaml:4:7: discovery.services.db.prot: unknown key (expected "
                                 "agent_id, name, type, host, port, protocol, capabilities, tags, "
                                 "metadata, version, weight, ttl or check; did you mean 'port'?)"});
  CHECK(errors_of("discovery:\n  services:\n    db: {}\n    db: {}\n") ==
        std::vector<std::string>{
            "test.yaml:4:5: discovery.services.db: duplicate key (first given on line 3)"});
  CHECK(errors_of("discovery:\n  services:\n    \"bad id\": {}\n") ==
        std::vector<std::string>{"test.yaml:3:15: discovery.services.bad id: service id 'bad id' "
                                 "has the character ' ' (allowed: A-Z a-z 0-9 . _ : -)"});
  CHECK(errors_of("discovery:\n  services:\n    w:\n      check: {kind: custom}\n") ==
        std::vector<std::string>{"test.yaml:4:21: discovery.services.w.check.kind: a custom check "
                                 "needs the name of the check (expected check.name)"});
  CHECK(errors_of("discovery:\n  capabilities:\n    stats: {}\n") ==
        std::vector<std::string>{"test.yaml:3:12: discovery.capabilities.stats: sets no strategy "
                                 "(expected strategy: round_robin, least_connections, ...)"});
  CHECK(errors_of("discovery:\n  services:\n    w:\n      host: bad_host\n") ==
        std::vector<std::string>{"test.yaml:4:13: discovery.services.w.host: 'bad_host' is not a "
                                 "valid host name or IP address"});
}
