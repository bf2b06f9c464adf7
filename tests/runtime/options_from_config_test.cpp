// Config sections -> module options (runtime/options_from_config.h): every
// key of a section reaches its module's options.
#include "runtime/options_from_config.h"

#include <catch2/catch.hpp>

#include "api/api_options.h"
#include "bus/bus_options.h"
#include "config/config.h"
#include "store/store_options.h"

using namespace chorus;
using namespace chorus::config;
using namespace std::chrono_literals;

TEST_CASE("options: the store section maps onto StoreOptions") {
  const char* yaml = R"(host:
  data_dir: /var/lib/x
store:
  durability: interval
  sync_interval: 25ms
  persist: ["order.*", "payment.**"]
  map:
    initial: 128MiB
    max: 2GiB
    growth: 256MiB
  retention:
    interval: 5m
    batch: 500
    rules:
      "order-*": {max_age: 720h}
      "$global": {max_count: 1000000}
      "audit-*": {max_age: 8760h, max_count: 10}
  groups:
    ack_timeout: 45s
    max_deliveries: 7
)";
  auto r = parse_config(yaml, "t.yaml");
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  auto o = runtime::store_options_from(*r, "");
  CHECK(o.path == "/var/lib/x/store");
  CHECK(o.durability == store::Durability::kInterval);
  CHECK(o.sync_interval == 25ms);
  CHECK(o.map_initial == 128ull << 20);
  CHECK(o.retention.size() == 3);
  CHECK(o.retention[0].max_age == 720h);
  CHECK(o.retention_batch == 500);
  CHECK(o.group_max_deliveries == 7);
  CHECK(runtime::store_options_from(*r, "/other").path == "/other/store");
  CHECK(o.map_max == 2ull << 30);
  CHECK(o.map_growth == 256ull << 20);
  CHECK(o.retention_interval == 5min);
  CHECK(o.retention[1].pattern == "$global");
  CHECK(o.retention[1].max_count == 1000000);
  CHECK(o.group_ack_timeout == 45s);
}

TEST_CASE("options: the built-in store defaults are the store's own") {
  const store::StoreOptions mapped = runtime::store_options_from(default_config(), "/d");
  const store::StoreOptions own;
  CHECK(mapped.path == "/d/store");
  CHECK(mapped.durability == own.durability);
  CHECK(mapped.sync_interval == own.sync_interval);
  CHECK(mapped.map_initial == own.map_initial);
  CHECK(mapped.map_max == own.map_max);
  CHECK(mapped.map_growth == own.map_growth);
  CHECK(mapped.retention_interval == own.retention_interval);
  CHECK(mapped.retention_batch == own.retention_batch);
  CHECK(mapped.group_ack_timeout == own.group_ack_timeout);
  CHECK(mapped.group_max_deliveries == own.group_max_deliveries);
}

TEST_CASE("options: log level and format") {
  auto r = parse_config("log:\n  level: debug\n  format: json\n", "t.yaml");
  REQUIRE(r.ok());
  const runtime::LogOptions o = runtime::log_options_from(r->log);
  CHECK(o.level == spdlog::level::debug);
  CHECK(o.format == log::Format::kJson);
  const runtime::LogOptions d = runtime::log_options_from(LogSection{});
  CHECK(d.level == spdlog::level::info);
  CHECK(d.format == log::Format::kText);
}

TEST_CASE("bus options from config: the section's defaults are the bus's defaults") {
  CHECK(runtime::bus_options_from(config::BusSection{}) == bus::BusOptions{});
  CHECK(runtime::bus_options_from(config::default_config().bus) == bus::BusOptions{});
}

TEST_CASE("bus options from config: every key is mapped") {
  auto r = config::parse_config(R"(
bus:
  workers: 2
  queue_bound: 500
  overflow: reject
  block_timeout: 250ms
  match_cache_size: 4096
  idle_spin: 50us
  dead_letter_capacity: 100
  shutdown_timeout: 2s
  retry:
    max_attempts: 5
    initial_backoff: 10ms
    max_backoff: 1m
    multiplier: 1.5
    jitter: 0.1
  breaker:
    failure_threshold: 3
    failure_ratio: 0.5
    ratio_window: 30s
    min_calls: 10
    cooldown: 5s
    success_threshold: 1
)",
                                "t.yaml");
  REQUIRE(r.ok());
  const bus::BusOptions o = runtime::bus_options_from(r->bus);
  CHECK(o.workers == 2);
  CHECK(o.queue_bound == 500);
  CHECK(o.overflow == bus::OverflowPolicy::kReject);
  CHECK(o.block_timeout == 250ms);
  CHECK(o.match_cache_size == 4096);
  CHECK(o.idle_spin == 50us);
  CHECK(o.dead_letter_capacity == 100);
  CHECK(o.shutdown_timeout == 2s);
  CHECK(o.retry.max_attempts == 5);
  CHECK(o.retry.initial_backoff == 10ms);
  CHECK(o.retry.max_backoff == 1min);
  CHECK(o.retry.multiplier == 1.5);
  CHECK(o.retry.jitter == 0.1);
  CHECK(o.breaker.failure_threshold == 3);
  CHECK(o.breaker.failure_ratio == 0.5);
  CHECK(o.breaker.ratio_window == 30s);
  CHECK(o.breaker.min_calls == 10);
  CHECK(o.breaker.cooldown == 5s);
  CHECK(o.breaker.success_threshold == 1);
}

TEST_CASE("bus options from config: each overflow policy maps to its namesake") {
  using config::OverflowPolicy;
  const std::pair<OverflowPolicy, bus::OverflowPolicy> pairs[] = {
      {OverflowPolicy::kBlock, bus::OverflowPolicy::kBlock},
      {OverflowPolicy::kDropOldest, bus::OverflowPolicy::kDropOldest},
      {OverflowPolicy::kDropNewest, bus::OverflowPolicy::kDropNewest},
      {OverflowPolicy::kReject, bus::OverflowPolicy::kReject},
  };
  for (const auto& [from, to] : pairs) {
    config::BusSection s;
    s.overflow = from;
    CHECK(runtime::bus_options_from(s).overflow == to);
  }
}

TEST_CASE("options: the plugins section maps onto PluginHostOptions") {
  const char* yaml = R"(host:
  data_dir: /var/lib/x
plugins:
  folder: /opt/agents
  watch: false
  heartbeat_interval: 3s
  drain_timeout: 100ms
  agents:
    calculator:
      instances: [calculator-1, calculator-2]
      config: {tax_rate: 0.1}
      publish: ["calc.**"]
    order_desk.so:
      enabled: false
)";
  auto r = parse_config(yaml, "t.yaml");
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  auto o = runtime::plugins_options_from(*r);
  CHECK(o.folder == "/opt/agents");
  CHECK(o.private_dir == "/var/lib/x/plugins");
  CHECK(!o.watch);
  CHECK(o.heartbeat_interval == 3s);
  CHECK(o.drain_timeout == 100ms);
  REQUIRE(o.plugins.size() == 2);
  CHECK(o.plugins[0].key == "calculator");
  CHECK(o.plugins[0].instances == std::vector<std::string>{"calculator-1", "calculator-2"});
  CHECK(o.plugins[0].config_json == R"({"tax_rate":0.1})");
  CHECK(o.plugins[0].publish == std::optional<std::vector<std::string>>({"calc.**"}));
  CHECK(!o.plugins[0].subscribe);
  CHECK(o.plugins[1].key == "order_desk.so");
  CHECK(!o.plugins[1].enabled);
  CHECK(runtime::plugins_options_from(*r, "/data").private_dir == "/data/plugins");
}

TEST_CASE("options: scripts, with limits inherited and overridden") {
  auto r = parse_config(R"(scripts:
  folder: /srv/s
  watch: false
  request_timeout: 3s
  limits: {memory: 16MiB, cpu: 40ms}
  entries:
    a:
      config: {k: 1}
      subscriptions:
        - on: [x.*, y.*]
          handler: h
          filter: b.f
          priority: high
    b:
      file: lib/b.lua
      trusted: true
      limits: {cpu: 1s}
)",
                        "t.yaml");
  REQUIRE(r.ok());
  const lua::ScriptHostOptions o = runtime::scripts_options_from(*r);
  CHECK(o.folder == "/srv/s");
  CHECK_FALSE(o.watch);
  CHECK(o.request_timeout == 3s);
  REQUIRE(o.scripts.size() == 2);
  const lua::ScriptSpec& a = o.scripts[0];
  CHECK(a.name == "a");
  CHECK(a.file == "a.lua");
  CHECK(a.trust == lua::Trust::kSandboxed);
  CHECK(a.limits.memory_bytes == 16u << 20);
  CHECK(a.limits.cpu == 40ms);
  CHECK(a.config_json == R"({"k":1})");
  CHECK(a.origin == "t.yaml:8:7: scripts.entries.a");
  REQUIRE(a.subscriptions.size() == 1);
  CHECK(a.subscriptions[0].patterns == std::vector<std::string>{"x.*", "y.*"});
  CHECK(a.subscriptions[0].handler == "h");
  CHECK(a.subscriptions[0].filter == "b.f");
  CHECK(a.subscriptions[0].min_priority == std::optional<Priority>(Priority::kHigh));
  CHECK(a.subscriptions[0].origin == "t.yaml:10:11: scripts.entries.a.subscriptions[0]");
  const lua::ScriptSpec& b = o.scripts[1];
  CHECK(b.file == "lib/b.lua");
  CHECK(b.trust == lua::Trust::kTrusted);
  CHECK(b.limits.memory_bytes == 16u << 20);
  CHECK(b.limits.cpu == 1s);
  // The built-in defaults are the Lua module's own.
  const lua::ScriptHostOptions d = runtime::scripts_options_from(default_config());
  const lua::ScriptHostOptions own;
  CHECK(d.folder == own.folder);
  CHECK(d.watch == own.watch);
  CHECK(d.request_timeout == own.request_timeout);
  CHECK(d.scripts.empty());
  CHECK(runtime::scripts_options_from(default_config()).scripts.empty());
  CHECK(lua::ScriptLimits{}.memory_bytes == ScriptsSection{}.memory_limit);
  CHECK(lua::ScriptLimits{}.cpu == ScriptsSection{}.cpu_limit);
}

TEST_CASE("options: the api section maps onto ApiOptions") {
  const char* yaml = R"(store:
  persist: ["order.*"]
api:
  listen: "[::1]:8081"
  tokens: [a-token]
  requests:
    default_timeout: 2s
    max_timeout: 20s
  limits:
    body: 2MiB
    header: 8KiB
    connections: 9
    idle_timeout: 3s
    read_timeout: 1s
    requests_per_connection: 7
  tail:
    queue: 77
    close_timeout: 250ms
)";
  auto c = parse_config(yaml, "t.yaml");
  REQUIRE(c.ok());
  const api::ApiOptions o = runtime::api_options_from(*c);
  CHECK(o.host == "::1");
  CHECK(o.port == 8081);
  CHECK(o.tokens == std::vector<std::string>{"a-token"});
  CHECK(o.request_default_timeout == 2s);
  CHECK(o.request_max_timeout == 20s);
  CHECK(o.limits.max_body == 2u << 20);
  CHECK(o.limits.max_header == 8u << 10);
  CHECK(o.limits.max_connections == 9);
  CHECK(o.limits.idle_timeout == 3s);
  CHECK(o.limits.read_timeout == 1s);
  CHECK(o.limits.requests_per_connection == 7);
  CHECK(o.tail_queue == 77);
  CHECK(o.tail_close_timeout == 250ms);
  CHECK(o.persist == std::vector<std::string>{"order.*"});
  // The defaults.
  const api::ApiOptions d = runtime::api_options_from(default_config());
  CHECK(d.host == "127.0.0.1");
  CHECK(d.port == 7070);
  CHECK(d.tokens.empty());
}
