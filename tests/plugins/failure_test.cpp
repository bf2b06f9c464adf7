// A plugin whose on_event throws is a failing bus subscriber like any
// other: each failure is retried per the bus's policy, then dead-lettered
// with the exception's text, and the subscriber's circuit breaker opens.
#include "plugin_fixture.h"

using namespace chorus;
using namespace chorus::test;

TEST_CASE("a throwing on_event is retried, dead-lettered and opens the breaker") {
  FixtureOptions o;
  o.retry_attempts = 2;
  o.breaker_threshold = 4;
  PluginFixture f(o);
  f.settings("probe").config_json = R"({"throw_on_event": true})";
  f.install("probe_v1", "probe");
  f.start();
  REQUIRE(f.wait_lifecycle("started", "probe"));

  REQUIRE(f.publish("probe.in", 1).ok());
  // Two attempts (one retry), then a dead letter naming the exception.
  REQUIRE(spin_until([&] { return f.bus->dead_letters().size() == 1; }));
  auto dl = f.bus->dead_letters().list({});
  REQUIRE(dl.size() == 1);
  CHECK(dl[0].subscriber_id == "probe:probe.in");
  CHECK(dl[0].attempts == 2);
  CHECK(dl[0].reason.find("probe: probe: boom on probe.in") != std::string::npos);

  // Two more failed calls make four in a row: the breaker opens.
  REQUIRE(f.publish("probe.in", 2).ok());
  EventPtr opened = f.log.wait_for([](const Event& e) {
    return e.type() == "system.breaker.opened" && data_field(e, "subscriber") == "probe:probe.in";
  });
  REQUIRE(opened);
  // While it is open, events go straight to the dead letters.
  REQUIRE(f.publish("probe.in", 3).ok());
  REQUIRE(spin_until([&] {
    for (const auto& d : f.bus->dead_letters().list({}))
      if (d.reason == "circuit open") return true;
    return false;
  }));
  auto info = f.info("probe");
  REQUIRE(info);
  CHECK(info->stats.failed == 4);
  CHECK(info->stats.delivered == 0);
  for (const auto& s : f.bus->stats().subscribers)
    if (s.id == "probe:probe.in") CHECK(s.breaker_state == "open");
}

TEST_CASE("an on_event that returns an error is a failed delivery too") {
  FixtureOptions o;
  o.retry_attempts = 3;
  PluginFixture f(o);
  f.settings("probe").config_json = R"({"fail_on_event": true})";
  f.install("probe_v1", "probe");
  f.start();
  REQUIRE(f.wait_lifecycle("started", "probe"));
  REQUIRE(f.publish("probe.in", 1).ok());
  REQUIRE(spin_until([&] { return f.bus->dead_letters().size() == 1; }));
  auto dl = f.bus->dead_letters().list({});
  CHECK(dl[0].attempts == 3);
  CHECK(dl[0].reason.find("unavailable: probe: probe: refusing probe.in") != std::string::npos);
}
