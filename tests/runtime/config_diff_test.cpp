// What a reload logs: settings recorded while loading, and their diff.
#include "runtime/config_diff.h"

#include <catch2/catch.hpp>

#include "config/config.h"

using namespace chorus;
using namespace chorus::runtime;

namespace {

config::Config parse(const std::string& yaml) {
  auto r = config::parse_config(yaml, "t.yaml");
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("config settings: every value the file set, by key path, after substitution") {
  config::LoadOptions opts;
  opts.env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "LEVEL") return std::string("warn");
    return std::nullopt;
  };
  auto r = config::parse_config(
      "log:\n  level: ${LEVEL}\nstore:\n  persist: [\"a.*\", \"b.**\"]\n  map:\n    max: 2GiB\n",
      "t.yaml", opts);
  REQUIRE(r.ok());
  CHECK(r->settings == std::map<std::string, std::string>{{"log.level", "warn"},
                                                          {"store.map.max", "2GiB"},
                                                          {"store.persist", "[a.*, b.**]"}});
  CHECK(config::default_config().settings.empty());
}

TEST_CASE("config diff: changed, added and removed keys in key order") {
  const auto a = parse("log:\n  level: info\nbus:\n  queue_bound: 100\nhost:\n  workers: 2\n");
  const auto b = parse("log:\n  level: debug\nhost:\n  workers: 2\nstore:\n  durability: none\n");
  const auto changes = diff_settings(a.settings, b.settings);
  REQUIRE(changes.size() == 3);
  CHECK(changes[0].to_string() == "bus.queue_bound: 100 -> (default)");
  CHECK(changes[1].to_string() == "log.level: info -> debug");
  CHECK(changes[2].to_string() == "store.durability: (default) -> none");
  CHECK(diff_settings(a.settings, a.settings).empty());
}

TEST_CASE("config diff: secrets are not shown") {
  const SettingChange c{"api.tokens", std::string("[old]"), std::string("[new]")};
  CHECK(c.to_string() == "api.tokens: (hidden) -> (hidden)");
}
