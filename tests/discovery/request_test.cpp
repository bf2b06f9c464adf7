// request_by_capability over a real bus: the request is directed at the
// picked agent, fails over from an agent that times out (or is not
// subscribed) to one that answers, returns the last error when every
// attempt fails, and NoHealthyInstance when nothing is healthy.
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
  std::unique_ptr<Registry> registry;

  Fixture() {
    DiscoveryOptions o;
    o.sweep_interval = 0ms;
    o.ttl = 0ms;
    o.strategy = Strategy::kRoundRobin;
    auto r = Registry::open(RegistryEnv{&io.io, &bus, nullptr, {}}, o);
    REQUIRE(r.ok());
    registry = std::move(*r);
  }
  ~Fixture() { registry->shutdown(); }

  // An agent subscribed as `agent_id` to stats.compute; it answers unless told not to.
  void agent(const std::string& agent_id, bool answers, std::atomic<int>* seen = nullptr) {
    auto sub = bus.subscribe(
        "stats.compute",
        [this, agent_id, answers, seen](const EventPtr& req) {
          if (seen) ++*seen;
          if (!answers) return Status::OK();  // swallows it: the requester times out
          return bus.reply(*req, EventBuilder("stats.computed")
                                     .source(agent_id)
                                     .data(fmt::format(R"({{"by":"{}"}})", agent_id)));
        },
        subscriber(agent_id));
    REQUIRE(sub.ok());
  }
  void service(const std::string& id, const std::string& agent_id) {
    ServiceSpec s = spec(id, {"statistics"});
    s.agent_id = agent_id;
    REQUIRE(registry->register_service(s).ok());
  }
};

EventPtr request() {
  return *EventBuilder("stats.compute").source("planner").data(R"({"xs":[1,2,3]})").build();
}

}  // namespace

TEST_CASE("request_by_capability: the reply of the picked agent, sent to it alone") {
  Fixture f;
  std::atomic<int> a_seen{0}, b_seen{0};
  f.agent("calc-a", /*answers=*/true, &a_seen);
  f.agent("calc-b", /*answers=*/true, &b_seen);
  f.service("svc-a", "calc-a");
  f.service("svc-b", "calc-b");
  auto r1 = f.registry->request_by_capability("statistics", request(), request_options(5s)).get();
  REQUIRE(r1.ok());
  CHECK((*r1)->data() == R"({"by":"calc-a"})");
  auto r2 = f.registry->request_by_capability("statistics", request(), request_options(5s)).get();
  REQUIRE(r2.ok());
  CHECK((*r2)->data() == R"({"by":"calc-b"})");  // round robin
  CHECK(a_seen == 1);                            // directed: each request reached one agent only
  CHECK(b_seen == 1);
  CHECK(f.registry->get("svc-a")->active == 0);  // released
  auto st = f.registry->stats();
  CHECK(st.requests == 2);
  CHECK(st.request_failovers == 0);
  for (const auto& s : st.per_service)
    CHECK(s.response.count == 1);
}

TEST_CASE("request_by_capability: fails over from an agent that times out to one that answers") {
  Fixture f;
  std::atomic<int> slow_seen{0};
  f.agent("calc-slow", /*answers=*/false, &slow_seen);
  f.agent("calc-ok", /*answers=*/true);
  f.service("svc-slow", "calc-slow");  // picked first by round robin
  f.service("svc-ok", "calc-ok");
  auto r =
      f.registry->request_by_capability("statistics", request(), request_options(100ms, 3)).get();
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  CHECK((*r)->data() == R"({"by":"calc-ok"})");
  CHECK(slow_seen == 1);
  auto st = f.registry->stats();
  CHECK(st.request_failovers == 1);
  CHECK(st.request_failures == 0);
  // The timeout counted as a slow response of svc-slow.
  for (const auto& s : st.per_service)
    if (s.id == "svc-slow") CHECK(s.response.max_us >= 100'000);
}

TEST_CASE("request_by_capability: an agent that is not subscribed is NoResponders, then the next") {
  Fixture f;
  f.agent("calc-ok", /*answers=*/true);
  f.service("svc-gone", "calc-gone");  // its agent never subscribed
  f.service("svc-ok", "calc-ok");
  auto r = f.registry->request_by_capability("statistics", request(), request_options(5s)).get();
  REQUIRE(r.ok());
  CHECK((*r)->data() == R"({"by":"calc-ok"})");
}

TEST_CASE(
    "request_by_capability: the last error when every attempt fails, never the same instance twice "
    "in a row") {
  Fixture f;
  std::atomic<int> a_seen{0}, b_seen{0};
  f.agent("calc-a", /*answers=*/false, &a_seen);
  f.agent("calc-b", /*answers=*/false, &b_seen);
  f.service("svc-a", "calc-a");
  f.service("svc-b", "calc-b");
  auto r = f.registry
               ->request_by_capability("statistics", request(),
                                       request_options(30ms, 4, Strategy::kLeastConnections))
               .get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(StatusCode::kTimeout));
  CHECK(r.error().message() ==
        "request_by_capability 'statistics': 4 attempts failed; last (svc-b): timeout: request "
        "'stats.compute': no reply within 30ms");
  CHECK(a_seen == 2);  // a, b, a, b
  CHECK(b_seen == 2);
  auto st = f.registry->stats();
  CHECK(st.request_failures == 1);
  CHECK(st.request_failovers == 3);
}

TEST_CASE(
    "request_by_capability: a single healthy instance is retried; NoHealthyInstance when none") {
  Fixture f;
  std::atomic<int> seen{0};
  f.agent("calc-a", /*answers=*/false, &seen);
  f.service("svc-a", "calc-a");
  auto r =
      f.registry->request_by_capability("statistics", request(), request_options(20ms, 2)).get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(StatusCode::kTimeout));
  CHECK(seen == 2);

  REQUIRE(f.registry->set_status("svc-a", ServiceStatus::kUnhealthy).ok());
  auto none = f.registry->request_by_capability("statistics", request(), {}).get();
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().is(StatusCode::kNoHealthyInstance));
  CHECK(f.registry->request_by_capability("statistics", request(), request_options(std::nullopt, 0))
            .get()
            .status()
            .is(StatusCode::kInvalidArgument));
}

TEST_CASE(
    "request_by_capability: when instances go unhealthy between attempts, the last error says so") {
  Fixture f;
  f.agent("calc-a", /*answers=*/false);
  f.service("svc-a", "calc-a");
  // The agent marks itself unhealthy when it sees the request: no instance is left to fail over to.
  auto sub = f.bus.subscribe(
      "stats.compute",
      [&](const EventPtr&) {
        (void)f.registry->set_status("svc-a", ServiceStatus::kUnhealthy);
        return Status::OK();
      },
      subscriber("observer", bus::DeliveryMode::kInline, Observe::kAll));
  REQUIRE(sub.ok());
  auto r =
      f.registry->request_by_capability("statistics", request(), request_options(20ms, 3)).get();
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().is(StatusCode::kTimeout));
  CHECK(r.error().message().starts_with(
      "request_by_capability 'statistics': 1 attempt failed, then no healthy instance with "
      "capability 'statistics': 1 registered, 0 healthy; last (svc-a): timeout: "));
}
