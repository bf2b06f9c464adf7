// The `scripts:` configuration section: defaults, every key, the config
// block as JSON, YAML positions kept for later errors, and bad input with
// file:line:col. (Its mapping onto lua::ScriptHostOptions: tests/runtime.)
#include <catch2/catch.hpp>

#include "config/config.h"

using namespace chorus;
using namespace chorus::config;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> errors_of(const std::string& yaml, EnvLookup env = {}) {
  ConfigErrors errors;
  LoadOptions o;
  if (env) o.env = env;
  auto r = parse_config(yaml, "test.yaml", o, &errors);
  std::vector<std::string> out;
  for (const auto& e : errors.errors)
    out.push_back(e.to_string());
  return out;
}

}  // namespace

TEST_CASE("scripts config: defaults") {
  ScriptsSection s;
  CHECK(s.folder == "./scripts");
  CHECK(s.watch);
  CHECK(s.request_timeout == 5s);
  CHECK(s.memory_limit == 64ull << 20);
  CHECK(s.cpu_limit == 100ms);
  CHECK(s.entries.empty());
  auto r = parse_config("scripts: {}\n", "t.yaml");
  REQUIRE(r.ok());
  CHECK(r->scripts == ScriptsSection{});
  CHECK(default_config().scripts == ScriptsSection{});
}

TEST_CASE("scripts config: every key") {
  const char* yaml = R"(scripts:
  folder: /srv/scripts
  watch: false
  request_timeout: 2s
  limits:
    memory: 32MiB
    cpu: 250ms
  entries:
    recovery:
      file: lib/task_recovery.lua
      trusted: true
      limits:
        memory: 128MiB
      config:
        max_attempts: 3
        names: [a, "b", 'c']
        nested:
          on: true
          off: false
          none: ~
          empty:
          pi: 3.14
          big: 1e3
          neg: -2
          quoted: "42"
          word: yes
          path: ${HOME}/x
      subscriptions:
        - on: task.failed
          handler: on_failure
        - on: [order.*, payment.**]
          handler: on_money
          filter: high_value.high_value
          queue_group: workers
          priority: high
        - on: audit.*
          handler: on_audit
          durable: audit-log
    plain:
)";
  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HOME") return std::string("/home/u");
    return std::nullopt;
  };
  auto r = parse_config(yaml, "t.yaml", LoadOptions{env});
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  const ScriptsSection& s = r->scripts;
  CHECK(s.folder == "/srv/scripts");
  CHECK_FALSE(s.watch);
  CHECK(s.request_timeout == 2s);
  CHECK(s.memory_limit == 32ull << 20);
  CHECK(s.cpu_limit == 250ms);
  REQUIRE(s.entries.size() == 2);
  const ScriptEntryConfig& e = s.entries[0];
  CHECK(e.name == "recovery");
  CHECK(e.file == "lib/task_recovery.lua");
  CHECK(e.trusted);
  CHECK(e.memory_limit == std::optional<uint64_t>(128ull << 20));
  CHECK_FALSE(e.cpu_limit.has_value());
  CHECK(
      e.config_json ==
      R"({"max_attempts":3,"names":["a","b","c"],"nested":{"on":true,"off":false,"none":null,)"
      R"("empty":null,"pi":3.14,"big":1e3,"neg":-2,"quoted":"42","word":"yes","path":"/home/u/x"}})");
  CHECK(e.origin == "t.yaml:10:7: scripts.entries.recovery");
  REQUIRE(e.subscriptions.size() == 3);
  CHECK(e.subscriptions[0].on == std::vector<std::string>{"task.failed"});
  CHECK(e.subscriptions[0].handler == "on_failure");
  CHECK(e.subscriptions[0].origin == "t.yaml:29:11: scripts.entries.recovery.subscriptions[0]");
  CHECK(e.subscriptions[1].on == std::vector<std::string>{"order.*", "payment.**"});
  CHECK(e.subscriptions[1].filter == "high_value.high_value");
  CHECK(e.subscriptions[1].queue_group == "workers");
  CHECK(e.subscriptions[1].priority == "high");
  CHECK(e.subscriptions[2].durable == "audit-log");
  const ScriptEntryConfig& p = s.entries[1];
  CHECK(p.name == "plain");
  CHECK(p.file == "plain.lua");
  CHECK(p.config_json == "{}");
  CHECK(p.subscriptions.empty());
  // Reload diffs see the config block and each subscription key.
  CHECK(r->settings.at("scripts.entries.recovery.config").starts_with("{\"max_attempts\":3"));
  CHECK(r->settings.at("scripts.entries.recovery.subscriptions[1].handler") == "on_money");
  // An entry that sets nothing is still seen (a reload adds or removes it).
  CHECK(r->settings.at("scripts.entries.plain") == "(entry)");
}

TEST_CASE("scripts config: bad input is named with file:line:col") {
  const auto errors = errors_of(R"(scripts:
  limits:
    memory: 10KiB
    cpu: 0ms
  entries:
    bad.name:
      file: x.lua
    ok:
      trusted: maybe
      subscriptions:
        - on: "Bad Pattern"
          handler: 9lives
        - handler: h
        - on: a.*
        - on: [a.*, b.*]
          handler: h
          durable: g
          queue_group: q
          priority: urgent
          filter: not a filter
        - just a string
      colour: red
)");
  for (const auto& e : errors)
    UNSCOPED_INFO(e);
  REQUIRE(errors.size() == 14);
  CHECK(errors[0] ==
        "test.yaml:3:13: scripts.limits.memory: 10KiB is out of range (expected a size "
        "from 1048576 to 1099511627776 bytes, like 65536, 512KiB, 64MiB or 1GiB)");
  CHECK_THAT(errors[1],
             Catch::StartsWith("test.yaml:4:10: scripts.limits.cpu: 0ms is out of range"));
  CHECK(errors[2] ==
        "test.yaml:7:7: scripts.entries.bad.name: 'bad.name' is not a script name "
        "(expected letters, digits, '_' and '-')");
  CHECK_THAT(errors[3], Catch::StartsWith("test.yaml:9:16: scripts.entries.ok.trusted: 'maybe' is "
                                          "not a boolean"));
  CHECK_THAT(errors[4],
             Catch::StartsWith("test.yaml:11:15: scripts.entries.ok.subscriptions[0].on"));
  CHECK(errors[5] ==
        "test.yaml:12:20: scripts.entries.ok.subscriptions[0].handler: '9lives' is "
        "not a Lua function name");
  CHECK(errors[6] ==
        "test.yaml:13:11: scripts.entries.ok.subscriptions[1]: has no 'on' (expected "
        "the event types it subscribes to)");
  CHECK(errors[7] ==
        "test.yaml:14:11: scripts.entries.ok.subscriptions[2]: has no 'handler' "
        "(expected the name of a function of the script)");
  CHECK(errors[8] ==
        "test.yaml:15:15: scripts.entries.ok.subscriptions[3].on: a durable "
        "subscription takes one pattern");
  CHECK(errors[9] ==
        "test.yaml:17:20: scripts.entries.ok.subscriptions[3].durable: a "
        "subscription is either in a queue group or durable, not both");
  CHECK(errors[10] ==
        "test.yaml:19:21: scripts.entries.ok.subscriptions[3].priority: 'urgent' "
        "is not a priority (expected critical, high, normal or low)");
  CHECK(errors[11] ==
        "test.yaml:20:19: scripts.entries.ok.subscriptions[3].filter: 'not a "
        "filter' is not a Lua function name");
  CHECK_THAT(errors[12], Catch::Contains("scripts.entries.ok.subscriptions[4]: has a scalar "
                                         "(expected a mapping)"));
  CHECK(errors[13] ==
        "test.yaml:22:7: scripts.entries.ok.colour: unknown key (expected file, "
        "trusted, limits, config or subscriptions)");
}

TEST_CASE("scripts config: an unknown key gets a did-you-mean") {
  const auto errors = errors_of("scripts:\n  entries:\n    x:\n      subscription: []\n");
  REQUIRE(errors.size() == 1);
  CHECK_THAT(errors[0], Catch::Contains("scripts.entries.x.subscription: unknown key (expected "
                                        "file, trusted, limits, config or subscriptions; did you "
                                        "mean 'subscriptions'?)"));
}
