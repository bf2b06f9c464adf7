// Config sections -> module options (runtime/options_from_config.h): every
// key of a section reaches its module's options.
#include "runtime/options_from_config.h"

#include <catch2/catch.hpp>

#include "api/api_options.h"
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
