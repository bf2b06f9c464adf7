// End to end: the real `chorus` binary with a static service in its YAML
// pointing at a TCP port this test opens on 127.0.0.1. The host checks it,
// marks it healthy (log line, and the bus event, persisted through
// store.persist and read back with `chorus store events`), marks it
// unhealthy once the test closes the port, and applies a SIGHUP that drops
// the service. Every wait has a deadline; nothing sleeps.
#include <signal.h>

#include <fmt/core.h>
#include <rapidjson/document.h>

#include "discovery_test_util.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kChorus = CHORUS_BINARY;

enum class Service { kListed, kDropped };

std::string write_config(const TempDir& dir, uint16_t port, Service service) {
  std::string yaml = fmt::format(R"(host:
  data_dir: {}
  workers: 2
api:
  listen: 127.0.0.1:0
store:
  durability: none
  persist: ["discovery.service.*"]
discovery:
  check: {{interval: 50ms, timeout: 1s}}
)",
                                 dir.file("data"));
  if (service == Service::kListed)
    yaml += fmt::format(R"(  services:
    db:
      host: 127.0.0.1
      port: {}
      capabilities: [sql]
      check: {{kind: tcp, failures_before_unhealthy: 2, successes_before_healthy: 1}}
)",
                        port);
  return dir.write("host.yaml", yaml);
}

// The stored discovery events of `type` (read-only beside the running host).
std::vector<std::string> stored_service_ids(const TempDir& dir, const std::string& type) {
  auto r = run_command(
      {kChorus, "store", "events", "--type", type, "--json", "--data-dir", dir.file("data")}, 30s);
  std::vector<std::string> ids;
  if (r.exit_code != 0) return ids;
  rapidjson::Document d;
  d.Parse(r.out.c_str());
  if (d.HasParseError() || !d.IsArray()) return ids;
  for (const auto& e : d.GetArray()) {
    const auto& ev = e["event"];
    if (ev.HasMember("data") && ev["data"].IsObject() && ev["data"].HasMember("service_id"))
      ids.emplace_back(ev["data"]["service_id"].GetString());
  }
  return ids;
}

}  // namespace

TEST_CASE("host: a static service is checked, healthy, then unhealthy when its port closes") {
  TempDir dir;
  TestServer server(TestServer::Mode::kAccept);
  const uint16_t port = server.port();
  const std::string cfg = write_config(dir, port, Service::kListed);
  Subprocess host({kChorus, "run", cfg});
  INFO(host.err());
  REQUIRE(
      host.wait_for_line("service 'db' registered (starting, from the configuration, "
                         "capabilities: sql)",
                         20s));
  // The first check runs at registration, so the healthy line may come
  // before or after `ready`.
  REQUIRE(host.wait_for_line("service 'db': starting -> healthy: tcp check passed 1 time in a row",
                             20s));
  // The kernel completes the handshake before the server's thread accepts.
  CHECK(spin_until([&] { return server.accepted() >= 1; }));
  REQUIRE(spin_until(
      [&] { return stored_service_ids(dir, "discovery.service.healthy").size() == 1; }, 30s));
  CHECK(stored_service_ids(dir, "discovery.service.registered") == std::vector<std::string>{"db"});

  server.stop();  // the port closes: connections are refused
  const auto unhealthy = host.wait_for_line(
      fmt::format("service 'db': healthy -> unhealthy: tcp check failed 2 times in a row: tcp "
                  "127.0.0.1:{}: Connection refused",
                  port),
      20s);
  INFO(host.err());
  REQUIRE(unhealthy);
  REQUIRE(spin_until(
      [&] {
        return stored_service_ids(dir, "discovery.service.unhealthy") ==
               std::vector<std::string>{"db"};
      },
      30s));

  // A reload that drops the service applies at once.
  write_config(dir, port, Service::kDropped);
  host.signal(SIGHUP);
  REQUIRE(host.wait_for_line("(applied)", 10s));
  REQUIRE(host.wait_for_line("service 'db' unregistered: removed from the configuration", 10s));
  host.signal(SIGTERM);
  CHECK(host.wait_exit(20s) == 0);
}

TEST_CASE("host: a bad discovery section is refused with file:line:col") {
  TempDir dir;
  const std::string cfg = dir.write(
      "bad.yaml",
      "host:\n  data_dir: " + dir.file("data") +
          "\ndiscovery:\n  strategy: fastest\n  services:\n    db:\n      host: 127.0.0.1\n"
          "      check: {kind: tcp, interval: 0s}\n");
  auto r = run_command({kChorus, "check", cfg}, 20s);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(cfg + ":4:13: discovery.strategy: 'fastest' is not valid") != std::string::npos);
  CHECK(r.err.find(cfg + ":8:21: discovery.services.db.check.kind: a tcp check needs a port") !=
        std::string::npos);
  CHECK(r.err.find(cfg + ":8:36: discovery.services.db.check.interval: 0s is out of range") !=
        std::string::npos);
  auto run = run_command({kChorus, "run", cfg}, 20s);
  CHECK(run.exit_code == 1);
}
