// Load balancing: each strategy's distribution, unhealthy instances never
// selected, NoHealthyInstance, avoid, tags pools, and stats per strategy.
#include <map>

#include <fmt/core.h>

#include "discovery_test_util.h"

using namespace chorus;
using namespace chorus::test;
using namespace chorus::discovery;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  IoThreads io{1};
  ManualClock clock;
  std::unique_ptr<Registry> registry;

  Fixture() {
    DiscoveryOptions o;
    o.sweep_interval = 0ms;
    o.checkpoint_interval = 0ms;
    o.ttl = 0ms;
    auto r = Registry::open(RegistryEnv{&io.io, nullptr, nullptr, clock.fn()}, o);
    REQUIRE(r.ok());
    registry = std::move(*r);
  }
  ~Fixture() { registry->shutdown(); }

  void add(const std::string& id, uint32_t weight = 1, std::vector<std::string> tags = {}) {
    ServiceSpec s = spec(id, {"work"}, std::move(tags));
    s.weight = weight;
    REQUIRE(registry->register_service(s).ok());
  }
  // `n` selections, each released at once; how often each id was picked.
  std::map<std::string, int> picks(Strategy st, int n) {
    std::map<std::string, int> out;
    for (int i = 0; i < n; ++i) {
      auto p = registry->select("work", using_strategy(st));
      REQUIRE(p.ok());
      ++out[p->id()];
      registry->release(p->id());
    }
    return out;
  }
  std::string pick(Strategy st, std::string avoid = {}) {
    auto p = registry->select("work", using_strategy(st, std::move(avoid)));
    REQUIRE(p.ok());
    return p->id();
  }
};

}  // namespace

TEST_CASE("round_robin: each instance in turn") {
  Fixture f;
  for (auto id : {"a", "b", "c"})
    f.add(id);
  auto p = f.picks(Strategy::kRoundRobin, 300);
  CHECK(p == std::map<std::string, int>{{"a", 100}, {"b", 100}, {"c", 100}});
}

TEST_CASE("weighted_round_robin: exact proportions over 1,000 picks, interleaved") {
  Fixture f;
  f.add("a", 5);
  f.add("b", 3);
  f.add("c", 2);
  auto p = f.picks(Strategy::kWeightedRoundRobin, 1000);
  CHECK(p == std::map<std::string, int>{{"a", 500}, {"b", 300}, {"c", 200}});

  Fixture g;
  g.add("a", 5);
  g.add("b", 1);
  g.add("c", 1);
  std::string seq;
  for (int i = 0; i < 14; ++i)
    seq += g.pick(Strategy::kWeightedRoundRobin);
  CHECK(seq == "aaabcaaaaabcaa");  // smooth: never five a's before b and c get a turn
}

TEST_CASE("weighted_round_robin: a member that joins gets its share from then on") {
  Fixture f;
  f.add("a", 1);
  f.add("b", 1);
  for (int i = 0; i < 101; ++i)
    f.pick(Strategy::kWeightedRoundRobin);
  f.add("c", 2);
  auto p = f.picks(Strategy::kWeightedRoundRobin, 400);
  CHECK(p["c"] == 200);
  CHECK(p["a"] == 100);
  CHECK(p["b"] == 100);
}

TEST_CASE("least_connections: held selections steer new ones to the least loaded") {
  Fixture f;
  for (auto id : {"a", "b", "c"})
    f.add(id);
  // Hold: a gets 3, b 1, c 0 connections.
  std::vector<std::string> held;
  std::map<std::string, int> got;
  for (int i = 0; i < 4; ++i) {
    auto p = f.registry->select("work", using_strategy(Strategy::kLeastConnections));
    REQUIRE(p.ok());
    held.push_back(p->id());
    ++got[p->id()];
  }
  // Ties broken by the least recently picked: a, b, c, then the least loaded again.
  CHECK(got == std::map<std::string, int>{{"a", 2}, {"b", 1}, {"c", 1}});
  f.registry->release("b");
  f.registry->release("c");
  // a: 2, b: 0, c: 0 -> the next two go to b and c, then a third joins them at 1.
  std::vector<std::string> next;
  for (int i = 0; i < 4; ++i)
    next.push_back(f.pick(Strategy::kLeastConnections));
  CHECK(next == std::vector<std::string>{"b", "c", "b", "c"});
  CHECK(f.registry->get("a")->active == 2);
  CHECK(f.registry->get("b")->active == 2);
  CHECK(f.registry->get("c")->active == 2);
}

TEST_CASE("release: by id or by the selected info; a stale selection is ignored") {
  Fixture f;
  f.add("a");
  auto first = f.registry->select("work");
  REQUIRE(first.ok());
  CHECK(f.registry->get("a")->active == 1);
  f.registry->release(*first);
  CHECK(f.registry->get("a")->active == 0);
  f.registry->release(*first);  // more releases than selections stop at zero
  CHECK(f.registry->get("a")->active == 0);

  auto old = f.registry->select("work");
  REQUIRE(old.ok());
  RegisterOptions replace;
  replace.on_existing = OnExisting::kReplace;
  REQUIRE(f.registry->register_service(spec("a", {"work"}), replace).ok());
  auto fresh = f.registry->select("work");
  REQUIRE(fresh.ok());
  f.registry->release(*old);  // the old registration is gone: nothing happens
  CHECK(f.registry->get("a")->active == 1);
  f.registry->release("a");
  CHECK(f.registry->get("a")->active == 0);
  f.registry->release("nope");  // ignored
}

TEST_CASE("least_connections: weights scale the load") {
  Fixture f;
  f.add("big", 3);
  f.add("small", 1);
  for (int i = 0; i < 8; ++i)
    f.pick(Strategy::kLeastConnections);  // held
  CHECK(f.registry->get("big")->active == 6);
  CHECK(f.registry->get("small")->active == 2);
}

TEST_CASE("power_of_two: never picks the more loaded of its two choices") {
  Fixture f;
  for (auto id : {"idle", "busy", "busiest"})
    f.add(id);
  auto hold = [&](const std::string& id, int n) {
    for (int i = 0; i < n;) {
      auto p = f.registry->select("work", using_strategy(Strategy::kRoundRobin));
      REQUIRE(p.ok());
      if (p->id() == id) {
        ++i;
      } else {
        f.registry->release(p->id());
      }
    }
  };
  hold("busy", 5);
  hold("busiest", 10);
  // Every pair contains a less loaded member than `busiest`; `idle` wins
  // both pairs it is in, `busy` only the pair with `busiest`.
  auto p = f.picks(Strategy::kPowerOfTwo, 3000);
  CHECK(p.count("busiest") == 0);
  CHECK(p["idle"] > 1500);
  CHECK(p["busy"] > 500);
  CHECK(p["idle"] + p["busy"] == 3000);

  // With two members it is exactly least connections.
  Fixture g;
  g.add("x");
  g.add("y");
  REQUIRE(g.registry->select("work", using_strategy(Strategy::kRoundRobin)).ok());  // x held
  for (int i = 0; i < 50; ++i) {
    CHECK(g.pick(Strategy::kPowerOfTwo) == "y");
    g.registry->release("y");
  }
}

TEST_CASE("response_time: the fastest by EWMA, unmeasured instances first, load counts") {
  Fixture f;
  for (auto id : {"fast", "slow", "new"})
    f.add(id);
  for (int i = 0; i < 5; ++i) {
    f.registry->record_response_time("fast", 2ms);
    f.registry->record_response_time("slow", 40ms);
  }
  CHECK(f.pick(Strategy::kResponseTime) == "new");  // no sample yet: tried first
  f.registry->release("new");
  f.registry->record_response_time("new", 100ms);
  auto p = f.picks(Strategy::kResponseTime, 100);
  CHECK(p == std::map<std::string, int>{{"fast", 100}});
  // Held load multiplies the expected wait (EWMA x (active + 1)): once fast
  // holds 19 (2ms x 20 = 40ms) slow (40ms) gets a turn, then fast again
  // until 2ms x (a + 1) reaches slow's 80ms.
  for (int i = 0; i < 30; ++i)
    REQUIRE(f.registry->select("work", using_strategy(Strategy::kResponseTime)).ok());
  CHECK(f.registry->get("fast")->active == 29);
  CHECK(f.registry->get("slow")->active == 1);
  CHECK(f.registry->get("new")->active == 0);
  auto st = f.registry->stats();
  auto fast = std::find_if(st.per_service.begin(), st.per_service.end(),
                           [](const ServiceStats& s) { return s.id == "fast"; });
  REQUIRE(fast != st.per_service.end());
  CHECK(fast->response.count == 5);
  CHECK(fast->response.ewma_us == Approx(2000));
  CHECK(fast->response.quantile_us(0.5) == 2000);  // bucket [1024, 2048) capped at the max seen
}

TEST_CASE("health_based: the freshest heartbeat wins") {
  Fixture f;
  for (auto id : {"a", "b", "c"})
    f.add(id);
  f.clock.advance(1s);
  REQUIRE(f.registry->heartbeat("b").ok());
  CHECK(f.pick(Strategy::kHealthBased) == "b");
  f.registry->release("b");
  f.clock.advance(1s);
  REQUIRE(f.registry->heartbeat("c").ok());
  auto p = f.picks(Strategy::kHealthBased, 10);
  CHECK(p == std::map<std::string, int>{{"c", 10}});
}

TEST_CASE("random: every healthy instance is picked, roughly evenly") {
  Fixture f;
  for (auto id : {"a", "b", "c"})
    f.add(id);
  auto p = f.picks(Strategy::kRandom, 3000);
  REQUIRE(p.size() == 3);
  for (const auto& [id, n] : p) {
    INFO(id);
    CHECK(n > 800);  // expected 1000, sd ~26
  }
}

TEST_CASE("every strategy: unhealthy never selected, NoHealthyInstance when none is healthy") {
  for (Strategy st : kAllStrategies) {
    INFO(strategy_name(st));
    Fixture f;
    f.add("up");
    f.add("down");
    f.add("stopping");
    REQUIRE(f.registry->set_status("down", ServiceStatus::kUnhealthy).ok());
    REQUIRE(f.registry->set_status("stopping", ServiceStatus::kStopping).ok());
    auto p = f.picks(st, 50);
    CHECK(p == std::map<std::string, int>{{"up", 50}});
    REQUIRE(f.registry->set_status("up", ServiceStatus::kUnhealthy).ok());
    auto none = f.registry->select("work", using_strategy(st));
    REQUIRE_FALSE(none.ok());
    CHECK(none.error().is(StatusCode::kNoHealthyInstance));
    CHECK(none.error().message() ==
          "no healthy instance with capability 'work': 3 registered, 0 healthy");
    // Back to healthy: selected again (the pool follows status changes).
    REQUIRE(f.registry->set_status("down", ServiceStatus::kHealthy).ok());
    CHECK(f.pick(st) == "down");
    auto stats = f.registry->stats();
    CHECK(stats.strategies[static_cast<size_t>(st)].no_healthy == 1);
    CHECK(stats.strategies[static_cast<size_t>(st)].selections == 51);
  }
}

TEST_CASE("every strategy: avoid is honoured while another instance is healthy") {
  for (Strategy st : kAllStrategies) {
    INFO(strategy_name(st));
    Fixture f;
    f.add("a");
    f.add("b");
    for (int i = 0; i < 20; ++i) {
      CHECK(f.pick(st, "a") == "b");
      f.registry->release("b");
    }
    REQUIRE(f.registry->set_status("b", ServiceStatus::kUnhealthy).ok());
    CHECK(f.pick(st, "a") == "a");  // the only healthy one
  }
}

TEST_CASE("select: by tags, unknown capability, malformed names") {
  Fixture f;
  f.add("eu-1", 1, {"region=eu"});
  f.add("eu-2", 1, {"region=eu", "gpu"});
  f.add("us-1", 1, {"region=us"});
  for (int i = 0; i < 10; ++i) {
    auto p = f.registry->select("work", with_tags({"region=eu"}));
    REQUIRE(p.ok());
    CHECK(p->id().starts_with("eu-"));
  }
  auto gpu = f.registry->select("work", with_tags({"gpu", "region=eu"}));
  REQUIRE(gpu.ok());
  CHECK(gpu->id() == "eu-2");
  // A new member joins the tag pool.
  f.add("eu-3", 1, {"region=eu", "gpu"});
  std::map<std::string, int> seen;
  for (int i = 0; i < 4; ++i)
    ++seen[f.registry->select("work", with_tags({"gpu", "region=eu"}))->id()];
  CHECK(seen == std::map<std::string, int>{{"eu-2", 2}, {"eu-3", 2}});
  CHECK(f.registry->select("work", with_tags({"region=mars"}))
            .status()
            .is(StatusCode::kNoHealthyInstance));
  CHECK(f.registry->select("nothing").status().message() ==
        "no healthy instance with capability 'nothing': 0 registered, 0 healthy");
  CHECK(f.registry->select("Bad Name").status().is(StatusCode::kInvalidArgument));
  CHECK(f.registry->select("work", with_tags({"a b"})).status().is(StatusCode::kInvalidArgument));
  // Unregistering every service with a capability drops its pools.
  for (auto id : {"eu-1", "eu-2", "eu-3", "us-1"})
    REQUIRE(f.registry->unregister(id).ok());
  CHECK(f.registry->stats().pools == 0);
}

TEST_CASE("select: per-capability strategy from the options") {
  IoThreads io{1};
  DiscoveryOptions o;
  o.sweep_interval = 0ms;
  o.strategy = Strategy::kRoundRobin;
  o.capability_strategies["work"] = Strategy::kLeastConnections;
  auto r = Registry::open(RegistryEnv{&io.io, nullptr, nullptr, {}}, o);
  REQUIRE(r.ok());
  REQUIRE((*r)->register_service(spec("a", {"work", "other"})).ok());
  REQUIRE((*r)->register_service(spec("b", {"work", "other"})).ok());
  REQUIRE((*r)->select("work").ok());
  REQUIRE((*r)->select("other").ok());
  auto st = (*r)->stats();
  CHECK(st.strategies[static_cast<size_t>(Strategy::kLeastConnections)].selections == 1);
  CHECK(st.strategies[static_cast<size_t>(Strategy::kRoundRobin)].selections == 1);
  (*r)->shutdown();
}
