// Config loading: defaults, every key of every section, and one test per
// error class asserting file:line:col and the key path in the message.
#include "config/config.h"

#include <map>

#include <catch2/catch.hpp>

#include "config/yaml_reader.h"
#include "support/temp_dir.h"

using namespace chorus;
using namespace chorus::config;

namespace {

LoadOptions env_of(std::map<std::string, std::string> vars) {
  LoadOptions o;
  o.env = [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  return o;
}

// Parses `yaml` (file name "test.yaml") expecting failure; returns the errors.
std::vector<std::string> errors_of(const std::string& yaml, LoadOptions opts = env_of({})) {
  ConfigErrors errs;
  auto r = parse_config(yaml, "test.yaml", opts, &errs);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(StatusCode::kInvalidArgument));
  std::vector<std::string> out;
  for (const auto& e : errs.errors)
    out.push_back(e.to_string());
  CHECK(!out.empty());
  return out;
}

}  // namespace

TEST_CASE("an empty file gives the defaults") {
  auto r = parse_config("", "empty.yaml", env_of({}));
  REQUIRE(r.ok());
  CHECK(r->host == default_config().host);
  CHECK(r->log == LogSection{});
  CHECK(r->host.data_dir == "./data");
  CHECK(r->host.workers == 0);
  CHECK(!r->host.name.empty());
  CHECK(r->file == "empty.yaml");
}

TEST_CASE("config/host.yaml holds exactly the built-in defaults") {
  auto r = load_config(std::string(CHORUS_SOURCE_DIR) + "/config/host.yaml", env_of({}));
  REQUIRE(r.ok());
  Config d = default_config();
  CHECK(r->host == d.host);
  CHECK(r->log == d.log);
  CHECK(r->bus == d.bus);
  // Besides the defaults, host.yaml sets up the examples: the example agents
  // (plugins/), the example scripts (scripts/) and the events they store.
  CHECK(!r->store.persist.empty());
  CHECK(!r->plugins.agents.empty());
  CHECK(r->scripts.entries.size() == 11);  // 8 scripts, 3 workflows
  r->store.persist.clear();
  r->plugins.agents.clear();
  r->scripts.entries.clear();
  CHECK(r->store == d.store);
  CHECK(r->discovery == d.discovery);
  CHECK(r->plugins == d.plugins);
  CHECK(r->scripts == d.scripts);
  CHECK(r->api == d.api);
  CHECK(r->workflows == d.workflows);
}

TEST_CASE("every key of the workflows section is read") {
  auto r = parse_config("workflows:\n  upgrade: on_reload\n  max_open: 5\n", "test.yaml",
                        env_of({}));
  REQUIRE(r.ok());
  CHECK(r->workflows.upgrade == WorkflowUpgrade::kOnReload);
  CHECK(r->workflows.max_open == 5);
  auto e = errors_of("workflows:\n  upgrade: always\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].find("test.yaml:2:12: workflows.upgrade") == 0);
  CHECK(e[0].find("pinned") != std::string::npos);
}

TEST_CASE("every example config is valid") {
  for (const char* f : {"/config/examples/production.yaml"}) {
    INFO(f);
    auto r = load_config(std::string(CHORUS_SOURCE_DIR) + f,
                         env_of({{"CHORUS_DATA", "/var/lib/chorus"}}));
    CHECK(r.ok());
  }
}

TEST_CASE("every key of host and log is read") {
  auto r = parse_config(R"(
host:
  name: node-1.example
  data_dir: /var/lib/chorus
  workers: 8
log:
  level: debug
  format: json
)",
                        "t.yaml", env_of({}));
  REQUIRE(r.ok());
  CHECK(r->host.name == "node-1.example");
  CHECK(r->host.data_dir == "/var/lib/chorus");
  CHECK(r->host.workers == 8);
  CHECK(r->log.level == LogLevel::kDebug);
  CHECK(r->log.format == LogFormat::kJson);

  auto a = parse_config("host:\n  workers: auto\n", "t.yaml", env_of({}));
  REQUIRE(a.ok());
  CHECK(a->host.workers == 0);
  CHECK(resolve_workers(0) >= 2);
  CHECK(resolve_workers(3) == 3);
}

TEST_CASE("environment substitution in values") {
  auto r = parse_config("host:\n  data_dir: ${DATA:-/tmp/x}/store\n  workers: ${W}\n", "t.yaml",
                        env_of({{"W", "3"}}));
  REQUIRE(r.ok());
  CHECK(r->host.data_dir == "/tmp/x/store");
  CHECK(r->host.workers == 3);
}

TEST_CASE("every key of the bus section is read") {
  auto r = parse_config(R"(
bus:
  workers: 2
  queue_bound: 500
  overflow: drop_oldest
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
                        "t.yaml", env_of({}));
  REQUIRE(r.ok());
  const BusSection& b = r->bus;
  CHECK(b.workers == 2);
  CHECK(b.queue_bound == 500);
  CHECK(b.overflow == OverflowPolicy::kDropOldest);
  CHECK(b.block_timeout == std::chrono::milliseconds(250));
  CHECK(b.match_cache_size == 4096);
  CHECK(b.idle_spin == std::chrono::microseconds(50));
  CHECK(b.dead_letter_capacity == 100);
  CHECK(b.shutdown_timeout == std::chrono::seconds(2));
  CHECK(b.retry.max_attempts == 5);
  CHECK(b.retry.initial_backoff == std::chrono::milliseconds(10));
  CHECK(b.retry.max_backoff == std::chrono::minutes(1));
  CHECK(b.retry.multiplier == 1.5);
  CHECK(b.retry.jitter == 0.1);
  CHECK(b.breaker.failure_threshold == 3);
  CHECK(b.breaker.failure_ratio == 0.5);
  CHECK(b.breaker.ratio_window == std::chrono::seconds(30));
  CHECK(b.breaker.min_calls == 10);
  CHECK(b.breaker.cooldown == std::chrono::seconds(5));
  CHECK(b.breaker.success_threshold == 1);
}

TEST_CASE("bus section errors name the nested key") {
  CHECK(errors_of("bus:\n  overflow: spill\n")[0] ==
        "test.yaml:2:13: bus.overflow: 'spill' is not valid (expected block, drop_oldest, "
        "drop_newest or reject)");
  CHECK(errors_of("bus:\n  retry:\n    max_attempts: 0\n")[0] ==
        "test.yaml:3:19: bus.retry.max_attempts: 0 is out of range (expected an integer from 1 "
        "to 1000)");
  CHECK(errors_of("bus:\n  breaker:\n    cooldwn: 5s\n")[0] ==
        "test.yaml:3:5: bus.breaker.cooldwn: unknown key (expected failure_threshold, "
        "failure_ratio, ratio_window, min_calls, cooldown or success_threshold; did you mean "
        "'cooldown'?)");
  CHECK(errors_of("bus:\n  idle_spin: 1s\n")[0] ==
        "test.yaml:2:14: bus.idle_spin: 1s is out of range (expected a duration from 0us to "
        "10000us, like 50us, 2ms or 1s)");
  CHECK(errors_of("bus:\n  block_timeout: fast\n")[0].find(
            "bus.block_timeout: 'fast' is not a duration") != std::string::npos);
}

TEST_CASE("error: unknown key - with the list and a did-you-mean") {
  auto e = errors_of("host:\n  wrkers: 2\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0] ==
        "test.yaml:2:3: host.wrkers: unknown key (expected name, data_dir or workers; did "
        "you mean 'workers'?)");
  auto top = errors_of("hots:\n  workers: 2\n");
  CHECK(top[0] ==
        "test.yaml:1:1: hots: unknown key (expected host, log, bus, store, discovery, scripts, "
        "plugins, api or workflows; did you mean 'host'?)");
}

TEST_CASE("error: wrong type") {
  CHECK(errors_of("host:\n  workers: many\n")[0] ==
        "test.yaml:2:12: host.workers: 'many' is not valid (expected auto or an integer from 1 to "
        "256)");
  CHECK(
      errors_of("host:\n  workers: 0\n")[0] ==
      "test.yaml:2:12: host.workers: '0' is not valid (expected auto or an integer from 1 to 256)");
  CHECK(errors_of("host:\n  data_dir: [a, b]\n")[0] ==
        "test.yaml:2:13: host.data_dir: has a list (expected a string)");
  CHECK(errors_of("host: 5\n")[0] ==
        "test.yaml:1:7: host: expected a mapping (key: value lines), got a scalar");
  CHECK(errors_of("log:\n  level: loud\n")[0] ==
        "test.yaml:2:10: log.level: 'loud' is not valid (expected trace, debug, info, warn, "
        "error, critical or off)");
  CHECK(errors_of("log:\n  format:\n")[0] ==
        "test.yaml:2:3: log.format: has nothing (expected text or json)");
  CHECK(errors_of("host:\n  name: 'bad name!'\n")[0] ==
        "test.yaml:2:9: host.name: 'bad name!' is not a valid host name (expected 1 to 63 of A-Z "
        "a-z 0-9 . _ -)");
  CHECK(errors_of("- a\n- b\n")[0] ==
        "test.yaml:1:1: expected a mapping (key: value lines), got a list");
}

TEST_CASE("error: unset variable without default") {
  CHECK(errors_of("host:\n  data_dir: ${NOPE}/x\n")[0] ==
        "test.yaml:2:13: host.data_dir: environment variable NOPE is not set (write "
        "${NOPE:-default} to give a default)");
}

TEST_CASE("error: invalid YAML names the position") {
  auto e = errors_of("host:\n  workers: [1, 2\n");
  REQUIRE(e.size() == 1);
  CHECK(e[0].rfind("test.yaml:", 0) == 0);
  CHECK(e[0].find("invalid YAML") != std::string::npos);
  CHECK(errors_of("a: 1\n---\nb: 2\n")[0] ==
        "test.yaml:2:1: more than one YAML document (expected one)");
  // yaml-cpp 0.7 loops forever on these in LoadAll and silently returns an
  // empty document in Load; they must be errors.
  CHECK(errors_of(",")[0] == "test.yaml:1:1: invalid YAML: unexpected ','");
  CHECK(errors_of(",[")[0] == "test.yaml:1:1: invalid YAML: unexpected ','");
  CHECK(errors_of(",#\nhost:\n  name: [c-[0\n")[0].find("invalid YAML") != std::string::npos);
}

TEST_CASE("error: duplicate key") {
  auto e = errors_of("log:\n  level: info\n  level: debug\n");
  CHECK(e[0] == "test.yaml:3:3: log.level: duplicate key (first given on line 2)");
}

TEST_CASE("every error is reported - in file order") {
  auto e = errors_of("host:\n  workers: x\n  nmae: a\nlog:\n  level: loud\nextra: 1\n");
  REQUIRE(e.size() == 4);
  CHECK(e[0].rfind("test.yaml:2:", 0) == 0);
  CHECK(e[1].rfind("test.yaml:3:", 0) == 0);
  CHECK(e[2].rfind("test.yaml:5:", 0) == 0);
  CHECK(e[3].rfind("test.yaml:6:", 0) == 0);
}

TEST_CASE("error: missing or unreadable file") {
  test::TempDir dir;
  ConfigErrors errs;
  const std::string missing = dir.file("nope.yaml");
  auto r = load_config(missing, {}, &errs);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(StatusCode::kIOError));
  CHECK(r.error().message() == missing + ": cannot open: No such file or directory");
  REQUIRE(errs.errors.size() == 1);
  auto d = load_config(dir.path(), {}, &errs);
  CHECK(d.error().message() == dir.path() + ": not a regular file");
}

TEST_CASE("MapReader reads durations sizes numbers and lists") {
  ReadContext ctx;
  ctx.file = "r.yaml";
  ctx.env = [](const std::string&) { return std::nullopt; };
  YAML::Node n = YAML::Load(
      "d1: 250ms\nd2: 1.5s\nd3: 2m\nd4: soon\nb1: 64MiB\nb2: 1024\nb3: 10MB\nb4: 5XB\n"
      "x: 0.25\nl: [a, b]\nok: true\nbad: yes\n");
  MapReader r(ctx, n, "s");
  std::chrono::milliseconds d1{}, d2{}, d3{}, d4{7};
  r.duration("d1", d1, std::chrono::milliseconds(0), std::chrono::hours(1));
  r.duration("d2", d2, std::chrono::milliseconds(0), std::chrono::hours(1));
  r.duration("d3", d3, std::chrono::milliseconds(0), std::chrono::hours(1));
  r.duration("d4", d4, std::chrono::milliseconds(0), std::chrono::hours(1));
  CHECK(d1.count() == 250);
  CHECK(d2.count() == 1500);
  CHECK(d3.count() == 120000);
  CHECK(d4.count() == 7);  // unchanged on error
  uint64_t b1 = 0, b2 = 0, b3 = 0, b4 = 9;
  r.bytes("b1", b1, 0, UINT64_MAX);
  r.bytes("b2", b2, 0, UINT64_MAX);
  r.bytes("b3", b3, 0, UINT64_MAX);
  r.bytes("b4", b4, 0, UINT64_MAX);
  CHECK(b1 == 64ull << 20);
  CHECK(b2 == 1024);
  CHECK(b3 == 10'000'000);
  CHECK(b4 == 9);
  double x = 0;
  r.number("x", x, 0, 1);
  CHECK(x == 0.25);
  std::vector<std::string> l;
  r.string_list("l", l);
  CHECK(l == std::vector<std::string>{"a", "b"});
  bool ok = false, bad = false;
  r.boolean("ok", ok);
  r.boolean("bad", bad);
  CHECK(ok);
  r.finish();
  REQUIRE(ctx.errors.errors.size() == 3);
  CHECK(ctx.errors.errors[0].to_string().find("s.d4: 'soon' is not a duration") !=
        std::string::npos);
  CHECK(ctx.errors.errors[1].to_string().find("s.b4: '5XB' is not a size") != std::string::npos);
  CHECK(ctx.errors.errors[2].to_string() ==
        "r.yaml:12:6: s.bad: 'yes' is not a boolean (expected true or false)");
}
