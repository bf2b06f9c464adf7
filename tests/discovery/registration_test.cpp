// Registration: validation errors that name the field, duplicates and
// re-registration, unregister, heartbeats and TTL expiry, removal after
// deregister_after, set_status, and the events every change publishes. Time
// is a ManualClock the test moves: nothing sleeps.
#include <fmt/core.h>

#include "discovery_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace chorus::discovery;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  IoThreads io;
  bus::EventBus bus{io.io};
  EventLog log{bus};
  ManualClock clock;
  std::unique_ptr<Registry> registry;

  explicit Fixture(DiscoveryOptions o = quiet()) {
    auto r = Registry::open(RegistryEnv{&io.io, &bus, nullptr, clock.fn()}, std::move(o));
    INFO(r.status().to_string());
    REQUIRE(r.ok());
    registry = std::move(*r);
  }
  ~Fixture() { registry->shutdown(); }

  // No timers: the test runs sweep() itself.
  static DiscoveryOptions quiet() {
    DiscoveryOptions o;
    o.sweep_interval = 0ms;
    o.checkpoint_interval = 0ms;
    o.ttl = 30s;
    o.deregister_after = 60s;
    return o;
  }
  ServiceStatus status(std::string_view id) {
    auto i = registry->get(id);
    REQUIRE(i.ok());
    return i->status;
  }
};

std::string error_of(Registry& r, ServiceSpec s) {
  Status st = r.register_service(std::move(s));
  REQUIRE_FALSE(st.ok());
  CHECK(st.is(StatusCode::kInvalidArgument));
  return st.message();
}

}  // namespace

TEST_CASE("registration: each invalid field is named in the error") {
  Fixture f;
  Registry& r = *f.registry;
  auto bad = [&](auto mutate) {
    ServiceSpec s = spec("calc-1", {"math"});
    mutate(s);
    return error_of(r, s);
  };
  CHECK(bad([](ServiceSpec& s) { s.id = ""; }) ==
        "service '': field 'id': '' must be 1 to 128 bytes of A-Z a-z 0-9 . _ : -");
  CHECK(bad([](ServiceSpec& s) { s.id = "calc 1"; }) ==
        "service 'calc 1': field 'id': 'calc 1' has the character ' ' (allowed: A-Z a-z 0-9 . _ : "
        "-)");
  CHECK(bad([](ServiceSpec& s) {
          s.host = "bad_host!";
        }).starts_with("service 'calc-1': field 'host': "));
  CHECK(bad([](ServiceSpec& s) { s.host = "::zz"; }) ==
        "service 'calc-1': field 'host': '::zz' is not a valid IPv6 address");
  CHECK(bad([](ServiceSpec& s) { s.capabilities = {"Math"}; }) ==
        "service 'calc-1': field 'capabilities': [0]: 'Math' has the character 'M' (allowed: a-z "
        "0-9 . _ -)");
  CHECK(bad([](ServiceSpec& s) {
          s.capabilities = {"math", "math"};
        }) == "service 'calc-1': field 'capabilities': [1]: 'math' is given twice");
  CHECK(bad([](ServiceSpec& s) {
          s.tags = {"prod", "a b"};
        }).starts_with("service 'calc-1': field 'tags': [1]: 'a b' has the character ' '"));
  CHECK(bad([](ServiceSpec& s) { s.weight = 0; }) ==
        "service 'calc-1': field 'weight': 0 is out of range (expected 1 to 10000)");
  CHECK(bad([](ServiceSpec& s) {
          s.metadata = {{"k", "v"}, {"k", "w"}};
        }) == "service 'calc-1': field 'metadata.k': the key 'k' is given twice");
  CHECK(bad([](ServiceSpec& s) { s.ttl = 100h; }).starts_with("service 'calc-1': field 'ttl': "));
  CHECK(bad([](ServiceSpec& s) {
          s.check.kind = CheckKind::kTcp;
          s.host = "127.0.0.1";
        }) ==
        "service 'calc-1': field 'check.port': the tcp check needs a port (the service has none)");
  CHECK(bad([](ServiceSpec& s) {
          s.check.kind = CheckKind::kHttp;
          s.port = 80;
        }) == "service 'calc-1': field 'host': is empty, but the http check needs a host to probe");
  CHECK(bad([](ServiceSpec& s) {
          s.check.kind = CheckKind::kTcp;
          s.host = "127.0.0.1";
          s.port = 80;
          s.check.interval = 0ms;
        }) ==
        "service 'calc-1': field 'check.interval': 0ms is out of range (expected 1ms to "
        "86400000ms)");
  CHECK(bad([](ServiceSpec& s) {
          s.check.kind = CheckKind::kHttp;
          s.host = "127.0.0.1";
          s.port = 80;
          s.check.path = "health";
        }).starts_with("service 'calc-1': field 'check.path': 'health' must start with '/'"));
  CHECK(bad([](ServiceSpec& s) {
          s.check.kind = CheckKind::kCustom;
        }).starts_with("service 'calc-1': field 'check.name': "));
  CHECK(r.stats().services == 0);  // nothing half-registered
}

TEST_CASE("registration: defaults are filled in and a duplicate id is refused") {
  Fixture f;
  Registry& r = *f.registry;
  REQUIRE(r.register_service(spec("calc-1", {"math"})).ok());
  auto info = r.get("calc-1");
  REQUIRE(info.ok());
  CHECK(info->agent_id() == "calc-1");
  CHECK(info->spec->name == "calc-1");
  CHECK(info->spec->type == "agent");
  CHECK(info->spec->protocol == "bus");
  CHECK(info->status == ServiceStatus::kHealthy);  // no check: healthy at once
  CHECK(info->registered_ns == f.clock.now());

  Status dup = r.register_service(spec("calc-1", {"stats"}));
  CHECK(dup.is(StatusCode::kAlreadyExists));
  CHECK(dup.message() ==
        "service 'calc-1' is already registered (agent 'calc-1'); unregister it first or "
        "register with OnExisting::kReplace");
  CHECK(r.get("calc-1")->spec->capabilities == std::vector<std::string>{"math"});

  REQUIRE(r.select("math").ok());  // the pool of `math` exists now
  RegisterOptions replace;
  replace.on_existing = OnExisting::kReplace;
  REQUIRE(r.register_service(spec("calc-1", {"stats"}), replace).ok());
  CHECK(r.get("calc-1")->spec->capabilities == std::vector<std::string>{"stats"});
  CHECK(r.discover(query("math")).empty());
  CHECK(r.discover(query("stats")).size() == 1);
  // The name `math` is gone and its id went to `stats`: no stale pool answers.
  CHECK(r.select("math").status().is(StatusCode::kNoHealthyInstance));
  CHECK(r.select("stats").ok());
  CHECK(r.stats().services == 1);
}

TEST_CASE("registration: unregister, unknown ids, and events for each change") {
  Fixture f;
  Registry& r = *f.registry;
  REQUIRE(r.register_service(spec("calc-1", {"math", "stats"}, {"prod"})).ok());
  REQUIRE(f.log.wait_for("discovery.service.registered", "calc-1"));
  REQUIRE(f.log.wait_for("discovery.service.healthy", "calc-1"));
  auto data = f.log.data("discovery.service.registered", "calc-1");
  REQUIRE(data);
  CHECK(std::string((*data)["agent_id"].GetString()) == "calc-1");
  REQUIRE((*data)["capabilities"].IsArray());
  CHECK((*data)["capabilities"].Size() == 2);
  CHECK(std::string((*data)["capabilities"][1].GetString()) == "stats");
  CHECK(std::string((*data)["tags"][0].GetString()) == "prod");
  CHECK(std::string((*data)["status"].GetString()) == "healthy");
  CHECK((*data)["static"].GetBool() == false);

  REQUIRE(r.unregister("calc-1").ok());
  REQUIRE(f.log.wait_for("discovery.service.unregistered", "calc-1"));  // published in order
  CHECK(r.get("calc-1").status().is(StatusCode::kNotFound));
  CHECK(r.unregister("calc-1").is(StatusCode::kNotFound));
  CHECK(r.heartbeat("nope").is(StatusCode::kNotFound));
  CHECK(r.set_status("nope", ServiceStatus::kStopping).is(StatusCode::kNotFound));
  CHECK(f.log.types_for("calc-1") == std::vector<std::string>{"discovery.service.registered",
                                                              "discovery.service.healthy",
                                                              "discovery.service.unregistered"});
}

TEST_CASE("TTL: missed heartbeats make a service unhealthy, a heartbeat brings it back") {
  Fixture f;
  Registry& r = *f.registry;
  ServiceSpec s = spec("agent-1", {"math"});
  s.ttl = 10s;
  REQUIRE(r.register_service(s).ok());
  f.clock.advance(9s);
  r.sweep();
  CHECK(f.status("agent-1") == ServiceStatus::kHealthy);
  REQUIRE(r.heartbeat("agent-1").ok());
  f.clock.advance(9s);
  r.sweep();
  CHECK(f.status("agent-1") == ServiceStatus::kHealthy);  // the heartbeat moved the TTL on
  f.clock.advance(2s);
  r.sweep();
  CHECK(f.status("agent-1") == ServiceStatus::kUnhealthy);
  REQUIRE(f.log.wait_for("discovery.service.unhealthy", "agent-1"));
  auto d = f.log.data("discovery.service.unhealthy", "agent-1");
  CHECK(std::string((*d)["reason"].GetString()) == "no heartbeat for 11000ms (ttl 10000ms)");
  CHECK(std::string((*d)["previous_status"].GetString()) == "healthy");
  CHECK(r.select("math").status().is(StatusCode::kNoHealthyInstance));

  REQUIRE(r.heartbeat("agent-1").ok());
  CHECK(f.status("agent-1") == ServiceStatus::kHealthy);
  CHECK(f.log.wait_count("discovery.service.healthy", "agent-1", 2));
  CHECK(r.select("math").ok());
  CHECK(r.stats().expired == 1);
}

TEST_CASE("TTL: a service unhealthy for deregister_after is removed; ttl 0 never expires") {
  Fixture f;
  Registry& r = *f.registry;
  ServiceSpec a = spec("agent-1", {"math"});
  a.ttl = 5s;
  ServiceSpec b = spec("agent-2", {"math"});
  b.ttl = 0ms;  // no heartbeats expected
  REQUIRE(r.register_service(a).ok());
  REQUIRE(r.register_service(b).ok());
  f.clock.advance(6s);
  r.sweep();
  CHECK(f.status("agent-1") == ServiceStatus::kUnhealthy);
  f.clock.advance(59s);
  r.sweep();
  CHECK(r.get("agent-1").ok());  // unhealthy for 59 s < deregister_after 60 s
  f.clock.advance(1s);
  r.sweep();
  CHECK(r.get("agent-1").status().is(StatusCode::kNotFound));
  REQUIRE(f.log.wait_for("discovery.service.removed", "agent-1"));
  auto d = f.log.data("discovery.service.removed", "agent-1");
  CHECK(std::string((*d)["reason"].GetString()) ==
        "unhealthy for 60000ms (deregister_after 60000ms)");
  CHECK(f.status("agent-2") == ServiceStatus::kHealthy);
  CHECK(r.stats().removed == 1);
}

TEST_CASE("set_status: an override wins until healthy clears it") {
  Fixture f;
  Registry& r = *f.registry;
  REQUIRE(r.register_service(spec("calc-1", {"math"})).ok());
  REQUIRE(r.set_status("calc-1", ServiceStatus::kStopping).ok());
  CHECK(f.status("calc-1") == ServiceStatus::kStopping);
  CHECK(r.select("math").status().is(StatusCode::kNoHealthyInstance));
  REQUIRE(r.set_status("calc-1", ServiceStatus::kHealthy).ok());
  CHECK(f.status("calc-1") == ServiceStatus::kHealthy);

  RegisterOptions starting;
  starting.initial_status = ServiceStatus::kStarting;
  REQUIRE(r.register_service(spec("calc-2", {"math"}), starting).ok());
  CHECK(f.status("calc-2") == ServiceStatus::kStarting);
  auto picked = r.select("math");
  REQUIRE(picked.ok());
  CHECK(picked->id() == "calc-1");
}

TEST_CASE("static services: replaced, changed and removed by set_static_services") {
  Fixture f;
  Registry& r = *f.registry;
  REQUIRE(r.set_static_services({spec("billing", {"billing"}), spec("search", {"search"})}).ok());
  CHECK(r.get("billing")->origin == Origin::kStatic);
  CHECK(r.unregister("billing").is(StatusCode::kFailedPrecondition));
  CHECK(r.register_service(spec("billing", {"x"})).is(StatusCode::kFailedPrecondition));

  ServiceSpec changed = spec("billing", {"billing", "invoices"});
  REQUIRE(r.set_static_services({changed}).ok());
  CHECK(r.get("search").status().is(StatusCode::kNotFound));
  CHECK(r.get("billing")->spec->capabilities.size() == 2);
  REQUIRE(f.log.wait_for("discovery.service.unregistered", "search"));

  // All or nothing: one bad spec changes nothing.
  ServiceSpec bad = spec("x y");
  Status s = r.set_static_services({spec("other"), bad});
  CHECK(s.is(StatusCode::kInvalidArgument));
  CHECK(s.message().starts_with("discovery.services: service 'x y': field 'id'"));
  CHECK(r.get("billing").ok());
  CHECK(r.get("other").status().is(StatusCode::kNotFound));
  CHECK(r.set_static_services({spec("a"), spec("a")}).message() ==
        "discovery.services: service 'a' is given twice");
}

TEST_CASE("discover: by type, capability and tags, healthy only or not, ordered by id") {
  Fixture f;
  Registry& r = *f.registry;
  for (int i = 0; i < 20; ++i) {
    ServiceSpec s = spec(fmt::format("svc-{:02}", i), {i % 2 ? "odd" : "even", "all"},
                         {i % 3 ? "x" : "three", i % 5 ? "y" : "five"});
    s.type = i < 10 ? "agent" : "http";
    REQUIRE(r.register_service(s).ok());
  }
  REQUIRE(r.set_status("svc-00", ServiceStatus::kUnhealthy).ok());
  auto ids = [](const std::vector<ServiceInfo>& v) {
    std::vector<std::string> out;
    for (const auto& i : v)
      out.push_back(i.id());
    return out;
  };
  CHECK(ids(r.discover(query("even", {"three", "five"}))) ==
        std::vector<std::string>{});  // svc-00 is unhealthy
  CHECK(ids(r.discover(query("even", {"three", "five"}, "", HealthFilter::kAny))) ==
        std::vector<std::string>{"svc-00"});
  CHECK(ids(r.discover(query("odd", {"x", "y"}))) ==
        std::vector<std::string>{"svc-01", "svc-07", "svc-11", "svc-13", "svc-17", "svc-19"});
  CHECK(ids(r.discover(query("odd", {"x", "y"}, "http"))) ==
        std::vector<std::string>{"svc-11", "svc-13", "svc-17", "svc-19"});
  CHECK(r.discover(query("", {}, "agent")).size() == 9);
  CHECK(r.discover(query("all", {}, "", HealthFilter::kHealthyOnly, 3)).size() == 3);
  CHECK(r.discover(query("nope")).empty());
  CHECK(r.discover(query("", {"nope"})).empty());
  CHECK(r.discover({}).size() == 19);
}

TEST_CASE("after shutdown every call is Unavailable") {
  Fixture f;
  Registry& r = *f.registry;
  REQUIRE(r.register_service(spec("calc-1", {"math"})).ok());
  r.shutdown();
  CHECK(r.register_service(spec("calc-2")).is(StatusCode::kUnavailable));
  CHECK(r.heartbeat("calc-1").is(StatusCode::kUnavailable));
  CHECK(r.select("math").status().is(StatusCode::kUnavailable));
  CHECK(r.get("calc-1").status().is(StatusCode::kUnavailable));
  r.shutdown();  // idempotent
}
