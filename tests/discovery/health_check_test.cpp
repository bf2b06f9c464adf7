// Health checks against real servers on 127.0.0.1 that the test starts,
// stops and restarts: thresholds respected, events published, recovery
// detected, slow and garbage servers failing with a reason, custom checks,
// and the bound on checks in flight. Checks run every few milliseconds;
// the test waits on the registry's events and counters with deadlines.
#include <fmt/core.h>

#include "discovery_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace chorus::discovery;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  IoThreads io{2};
  bus::EventBus bus{io.io};
  EventLog log{bus};
  std::unique_ptr<Registry> registry;

  explicit Fixture(size_t max_in_flight = 64) {
    DiscoveryOptions o;
    o.sweep_interval = 0ms;
    o.checkpoint_interval = 0ms;
    o.ttl = 0ms;
    o.max_checks_in_flight = max_in_flight;
    o.check.interval = 10ms;
    o.check.timeout = 2s;
    o.check.failures_before_unhealthy = 3;
    o.check.successes_before_healthy = 2;
    auto r = Registry::open(RegistryEnv{&io.io, &bus, nullptr, {}}, o);
    REQUIRE(r.ok());
    registry = std::move(*r);
  }
  ~Fixture() { registry->shutdown(); }

  ServiceStats stats_of(std::string_view id) {
    for (auto& s : registry->stats().per_service)
      if (s.id == id) return s;
    FAIL("no stats for " << id);
    return {};
  }
  bool wait_status(std::string_view id, ServiceStatus want) {
    return spin_until([&] {
      auto i = registry->get(id);
      return i.ok() && i->status == want;
    });
  }
};

ServiceSpec checked(std::string id, CheckKind kind, uint16_t port) {
  ServiceSpec s = spec(std::move(id), {"web"});
  s.host = "127.0.0.1";
  s.port = port;
  s.check.kind = kind;
  return s;
}

}  // namespace

TEST_CASE(
    "tcp check: healthy after the success threshold, unhealthy after the failure threshold, "
    "recovers") {
  Fixture f;
  auto server = std::make_unique<TestServer>(TestServer::Mode::kAccept);
  const uint16_t port = server->port();
  REQUIRE(f.registry->register_service(checked("db", CheckKind::kTcp, port)).ok());
  CHECK(f.registry->get("db")->status == ServiceStatus::kStarting);  // no verdict yet
  REQUIRE(f.log.wait_for("discovery.service.healthy", "db"));
  auto healthy = f.log.data("discovery.service.healthy", "db");
  CHECK(std::string((*healthy)["reason"].GetString()) == "tcp check passed 2 times in a row");
  CHECK(std::string((*healthy)["previous_status"].GetString()) == "starting");

  server->stop();
  REQUIRE(f.log.wait_for("discovery.service.unhealthy", "db"));
  auto unhealthy = f.log.data("discovery.service.unhealthy", "db");
  const std::string reason = (*unhealthy)["reason"].GetString();
  CHECK(reason.starts_with(
      fmt::format("tcp check failed 3 times in a row: tcp 127.0.0.1:{}: ", port)));
  CHECK(reason.find("refused") != std::string::npos);
  CHECK(f.registry->select("web").status().is(StatusCode::kNoHealthyInstance));
  ServiceStats st = f.stats_of("db");
  CHECK(st.consecutive_failures >= 3);
  CHECK(st.checks_passed >= 2);
  CHECK_FALSE(st.last_check_error.empty());

  server = std::make_unique<TestServer>(TestServer::Mode::kAccept, port);  // restarted
  REQUIRE(f.wait_status("db", ServiceStatus::kHealthy));
  CHECK(f.log.wait_count("discovery.service.healthy", "db", 2));
  CHECK(f.registry->select("web").ok());
  // One transition each way per outage: the thresholds damp flapping.
  CHECK(f.log.count("discovery.service.unhealthy", "db") == 1);
}

TEST_CASE("http check: 2xx passes, 503 and garbage fail with the reason, recovery") {
  Fixture f;
  TestServer ok(TestServer::Mode::kHttpOk);
  TestServer down(TestServer::Mode::kHttp503);
  TestServer junk(TestServer::Mode::kGarbage);
  ServiceSpec a = checked("api", CheckKind::kHttp, ok.port());
  a.check.path = "/healthz";
  REQUIRE(f.registry->register_service(a).ok());
  REQUIRE(f.registry->register_service(checked("api-503", CheckKind::kHttp, down.port())).ok());
  REQUIRE(f.registry->register_service(checked("api-junk", CheckKind::kHttp, junk.port())).ok());
  REQUIRE(f.log.wait_for("discovery.service.healthy", "api"));
  REQUIRE(f.log.wait_for("discovery.service.unhealthy", "api-503"));
  REQUIRE(f.log.wait_for("discovery.service.unhealthy", "api-junk"));
  CHECK(std::string(
            f.log.data("discovery.service.unhealthy", "api-503").value()["reason"].GetString()) ==
        fmt::format("http check failed 3 times in a row: http 127.0.0.1:{}/health: status 503",
                    down.port()));
  const std::string junk_reason =
      f.log.data("discovery.service.unhealthy", "api-junk").value()["reason"].GetString();
  CHECK(junk_reason.find(fmt::format("http 127.0.0.1:{}/health: malformed response",
                                     junk.port())) != std::string::npos);
  // The 503 server comes back.
  down.set_mode(TestServer::Mode::kHttpOk);
  REQUIRE(f.wait_status("api-503", ServiceStatus::kHealthy));
  CHECK(ok.accepted() >= 2);
}

TEST_CASE("http check: a server that never answers times out") {
  Fixture f;
  TestServer silent(TestServer::Mode::kSilent);
  ServiceSpec s = checked("slow", CheckKind::kHttp, silent.port());
  s.check.timeout = 50ms;
  s.check.failures_before_unhealthy = 1;
  REQUIRE(f.registry->register_service(s).ok());
  REQUIRE(f.log.wait_for("discovery.service.unhealthy", "slow"));
  CHECK(std::string(
            f.log.data("discovery.service.unhealthy", "slow").value()["reason"].GetString()) ==
        fmt::format(
            "http check failed 1 time in a row: http 127.0.0.1:{}/health: timed out after 50ms",
            silent.port()));
}

TEST_CASE("custom check: the callback decides; a missing one fails; removal stops it") {
  Fixture f;
  auto pass = std::make_shared<std::atomic<bool>>(true);
  auto calls = std::make_shared<std::atomic<int>>(0);
  auto wrong_service = std::make_shared<std::atomic<bool>>(false);
  REQUIRE(f.registry
              ->add_custom_check(
                  "queue-depth",
                  [pass, calls, wrong_service](const ServiceInfo& svc, CheckDone done) {
                    ++*calls;
                    if (svc.id() != "worker") *wrong_service = true;
                    // Completes from another thread, as a plugin or script may.
                    std::thread([pass, done] {
                      done(*pass ? Status::OK() : Status::Unavailable("queue 9000 deep"));
                    }).detach();
                  })
              .ok());
  CHECK(f.registry->add_custom_check("queue-depth", [](const ServiceInfo&, CheckDone) {})
            .is(StatusCode::kAlreadyExists));
  ServiceSpec w = spec("worker", {"jobs"});
  w.check.kind = CheckKind::kCustom;
  w.check.name = "queue-depth";
  REQUIRE(f.registry->register_service(w).ok());
  REQUIRE(f.wait_status("worker", ServiceStatus::kHealthy));
  *pass = false;
  REQUIRE(f.log.wait_for("discovery.service.unhealthy", "worker"));
  CHECK(std::string(
            f.log.data("discovery.service.unhealthy", "worker").value()["reason"].GetString()) ==
        "custom check failed 3 times in a row: custom 'queue-depth': queue 9000 deep");
  CHECK_FALSE(wrong_service->load());

  REQUIRE(f.registry->remove_custom_check("queue-depth").ok());
  const int calls_at_removal = calls->load();
  const uint64_t failed_at_removal = f.stats_of("worker").checks_failed;
  *pass = true;
  // Later checks fail without calling the function (it is gone).
  REQUIRE(spin_until([&] { return f.stats_of("worker").checks_failed >= failed_at_removal + 3; }));
  CHECK(calls->load() == calls_at_removal);
  CHECK(f.stats_of("worker").last_check_error.starts_with("custom 'queue-depth': "));
  CHECK(f.registry->get("worker")->status == ServiceStatus::kUnhealthy);
  CHECK(f.registry->remove_custom_check("queue-depth").is(StatusCode::kNotFound));

  ServiceSpec m = spec("missing", {"jobs"});
  m.check.kind = CheckKind::kCustom;
  m.check.name = "nobody";
  m.check.failures_before_unhealthy = 1;
  REQUIRE(f.registry->register_service(m).ok());
  REQUIRE(f.log.wait_for("discovery.service.unhealthy", "missing"));
  CHECK(std::string(
            f.log.data("discovery.service.unhealthy", "missing").value()["reason"].GetString()) ==
        "custom check failed 1 time in a row: custom 'nobody': no custom check is registered under "
        "that name");
}

TEST_CASE("custom check: a callback that never calls done times out") {
  Fixture f;
  REQUIRE(f.registry->add_custom_check("hang", [](const ServiceInfo&, CheckDone) {}).ok());
  ServiceSpec s = spec("stuck", {"jobs"});
  s.check.kind = CheckKind::kCustom;
  s.check.name = "hang";
  s.check.timeout = 20ms;
  s.check.failures_before_unhealthy = 1;
  REQUIRE(f.registry->register_service(s).ok());
  REQUIRE(f.log.wait_for("discovery.service.unhealthy", "stuck"));
  CHECK(f.stats_of("stuck").last_check_error == "custom 'hang': timed out after 20ms");
}

TEST_CASE("checks in flight are bounded; the rest wait their turn") {
  Fixture f(/*max_in_flight=*/3);
  TestServer silent(TestServer::Mode::kSilent);
  for (int i = 0; i < 10; ++i) {
    ServiceSpec s = checked(fmt::format("s{}", i), CheckKind::kHttp, silent.port());
    s.check.timeout = 300ms;
    REQUIRE(f.registry->register_service(s).ok());
  }
  // Three connections are held by the silent server, never more.
  REQUIRE(spin_until([&] { return silent.open_connections() == 3; }));
  size_t max_seen = 0;
  REQUIRE(spin_until([&] {
    auto st = f.registry->stats();
    max_seen = std::max(max_seen, st.checks_in_flight);
    size_t checked_services = 0;
    for (const auto& ps : st.per_service)
      if (ps.checks_failed > 0) ++checked_services;
    return checked_services == 10;  // every service got its turn
  }));
  CHECK(max_seen <= 3);
  CHECK(spin_until([&] { return silent.accepted() >= 10; }));
}

TEST_CASE("a re-registration or unregistration stops the old checks") {
  Fixture f;
  TestServer srv(TestServer::Mode::kAccept);
  REQUIRE(f.registry->register_service(checked("db", CheckKind::kTcp, srv.port())).ok());
  REQUIRE(f.wait_status("db", ServiceStatus::kHealthy));
  REQUIRE(f.registry->unregister("db").ok());
  const size_t accepted = srv.accepted();
  // Another service's checks going on prove the checker runs; the old one's stopped.
  TestServer other(TestServer::Mode::kAccept);
  REQUIRE(f.registry->register_service(checked("db2", CheckKind::kTcp, other.port())).ok());
  REQUIRE(f.wait_status("db2", ServiceStatus::kHealthy));
  REQUIRE(spin_until([&] { return other.accepted() >= 5; }));
  // At most the probe in flight and one whose accept lagged its handshake.
  CHECK(srv.accepted() <= accepted + 2);
}
