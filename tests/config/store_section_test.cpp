// The `store:` configuration section: defaults, every key, errors with
// file:line:col. (Its mapping onto StoreOptions: tests/runtime.)
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

TEST_CASE("store config: defaults") {
  StoreSection s;
  CHECK(s.durability == StoreDurability::kAlways);
  CHECK(s.persist.empty());
  auto r = parse_config("store: {}\n", "t.yaml");
  REQUIRE(r.ok());
  CHECK(r->store == StoreSection{});
  CHECK(default_config().store == StoreSection{});
}

TEST_CASE("store config: every key") {
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
  const StoreSection& s = r->store;
  CHECK(s.durability == StoreDurability::kInterval);
  CHECK(s.sync_interval == 25ms);
  CHECK(s.persist == std::vector<std::string>{"order.*", "payment.**"});
  CHECK(s.map_initial == 128ull << 20);
  CHECK(s.map_max == 2ull << 30);
  CHECK(s.map_growth == 256ull << 20);
  CHECK(s.retention_interval == 5min);
  CHECK(s.retention_batch == 500);
  REQUIRE(s.retention.size() == 3);
  CHECK(s.retention[0] == StoreRetentionRule{"order-*", 720h, 0});
  CHECK(s.retention[1] == StoreRetentionRule{"$global", 0ms, 1000000});
  CHECK(s.retention[2].pattern == "audit-*");  // file order kept: the first match applies
  CHECK(s.group_ack_timeout == 45s);
  CHECK(s.group_max_deliveries == 7);
}

TEST_CASE("store config: errors name file - line - column and key") {
  CHECK(errors_of("store:\n  durability: sometimes\n")[0] ==
        "test.yaml:2:15: store.durability: 'sometimes' is not valid (expected always, interval or "
        "none)");
  auto e = errors_of("store:\n  persist: [\"Order.*\"]\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("test.yaml:2:13: store.persist[0]:") == 0);
  e = errors_of("store:\n  map:\n    initial: 1GiB\n    max: 64MiB\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("store.map.max:") != std::string::npos);
  CHECK(e[0].find("below store.map.initial") != std::string::npos);
  e = errors_of("store:\n  retention:\n    rules:\n      \"a-*\": {}\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("store.retention.rules.a-*") != std::string::npos);
  CHECK(e[0].find("neither max_age nor max_count") != std::string::npos);
  e = errors_of("store:\n  retention:\n    rules:\n      \"a-*\": {max_age: 3 days}\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("max_age") != std::string::npos);
  e = errors_of("store:\n  groups:\n    ack_timout: 5s\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("did you mean 'ack_timeout'") != std::string::npos);
  e = errors_of("store:\n  sync_interval: 0ms\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("store.sync_interval") != std::string::npos);
}
