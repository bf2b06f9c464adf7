// The host API as a real plugin sees it: allowed patterns enforced and
// counted, retained events and memory counted and given back at unload,
// requests and error replies, pending requests cancelled at unload, timers,
// the store, the registry functions without a registry (registry_test.cpp
// has them with one), health and the agent directory hook.
#include <mutex>

#include "plugin_fixture.h"
#include "plugins/config_tree.h"
#include "plugins/pattern_policy.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

EventPtr result_of(PluginFixture& f, const std::string& op) {
  return f.log.wait_for(
      [&](const Event& e) { return e.type() == "probe.result" && data_field(e, "op") == op; });
}

// An AgentDirectory that records what it was told.
class RecordingDirectory final : public plugins::AgentDirectory {
 public:
  void agent_started(const plugins::AgentRecord& a) override {
    add("started " + a.name + " " + a.version);
  }
  void agent_stopped(const plugins::AgentRecord& a) override {
    add("stopped " + a.name + " " + a.version);
  }
  void agent_heartbeat(const plugins::AgentRecord& a, const Status& health) override {
    add("heartbeat " + a.name + (health.ok() ? " healthy" : " unhealthy: " + health.message()));
  }
  std::vector<std::string> calls() const {
    std::lock_guard l(mu_);
    return calls_;
  }
  bool wait_for(const std::string& call) {
    std::unique_lock l(mu_);
    return cv_.wait_for(
        l, kWait, [&] { return std::find(calls_.begin(), calls_.end(), call) != calls_.end(); });
  }

 private:
  void add(std::string s) {
    std::lock_guard l(mu_);
    calls_.push_back(std::move(s));
    cv_.notify_all();
  }
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> calls_;
};

}  // namespace

TEST_CASE("patterns: an allowed pattern covers a subscription only if it matches all it can") {
  using plugins::pattern_covers;
  CHECK(pattern_covers("sensor.**", "sensor.reading"));
  CHECK(pattern_covers("sensor.**", "sensor.*.x"));
  CHECK(pattern_covers("sensor.**", "sensor.**"));
  CHECK(pattern_covers("sensor.*", "sensor.reading"));
  CHECK(pattern_covers("sensor.*", "sensor.*"));
  CHECK(pattern_covers("**", "a.b.c"));
  CHECK_FALSE(pattern_covers("sensor.*", "sensor.**"));
  CHECK_FALSE(pattern_covers("sensor.reading", "sensor.*"));
  CHECK_FALSE(pattern_covers("sensor.**", "sensor"));
  CHECK_FALSE(pattern_covers("a.*.c", "a.b"));
}

TEST_CASE("config lookups follow keys and array indexes") {
  auto t = plugins::ConfigTree::parse(R"({"threshold": 80.5, "sensors": ["s1", "s2"],
                                          "deep": {"on": true}})",
                                      "test");
  REQUIRE(t.ok());
  chorus_config_value v{};
  v.struct_size = sizeof(v);
  REQUIRE((*t)->lookup("threshold", v).ok());
  CHECK(v.kind == CHORUS_CONFIG_NUMBER);
  CHECK(v.number == 80.5);
  REQUIRE((*t)->lookup("sensors", v).ok());
  CHECK(v.kind == CHORUS_CONFIG_ARRAY);
  CHECK(v.count == 2);
  REQUIRE((*t)->lookup("sensors.1", v).ok());
  CHECK(std::string(v.string.data, v.string.len) == "s2");
  REQUIRE((*t)->lookup("deep.on", v).ok());
  CHECK(v.kind == CHORUS_CONFIG_BOOL);
  CHECK((*t)->lookup("sensors.2", v).is(StatusCode::kNotFound));
  CHECK(v.kind == CHORUS_CONFIG_MISSING);
  CHECK((*t)->lookup("threshold.x", v).is(StatusCode::kNotFound));
  CHECK(!plugins::ConfigTree::parse("[1]", "test").ok());
}

TEST_CASE("publish and subscribe outside the allowed patterns are refused and counted") {
  PluginFixture f;
  auto& s = f.settings("probe");
  s.publish = std::vector<std::string>{"probe.**"};
  s.subscribe = std::vector<std::string>{"probe.**"};
  s.config_json = R"({"try_publish": "secret.plans", "try_subscribe": "secret.*"})";
  f.install("probe_v1", "probe");
  f.start();
  EventPtr pub = result_of(f, "publish");
  REQUIRE(pub);
  CHECK(data_field(*pub, "code") == "permission_denied");
  CHECK(data_field(*pub, "message") ==
        "probe: publish of 'secret.plans' refused: outside the allowed publish patterns "
        "[probe.**]");
  EventPtr sub = result_of(f, "subscribe");
  REQUIRE(sub);
  CHECK(data_field(*sub, "code") == "permission_denied");
  CHECK(data_field(*sub, "message").find("subscribe to 'secret.*' refused") != std::string::npos);
  CHECK(f.log.count([](const Event& e) { return e.type() == "secret.plans"; }) == 0);
  auto info = f.info("probe");
  REQUIRE(info);
  CHECK(info->stats.violations == 2);
}

TEST_CASE("retained events and memory are counted per plugin and given back at unload") {
  PluginFixture f;
  f.settings("probe").config_json = R"({"retain": true, "alloc": 4096})";
  f.install("probe_v1", "probe");
  f.start();
  REQUIRE(f.wait_lifecycle("started", "probe"));
  auto ev = EventBuilder("probe.in").source("test").data(R"({"n":1})").build();
  REQUIRE(ev.ok());
  EventPtr kept = *ev;
  REQUIRE(f.bus->publish(kept).ok());
  for (int i = 2; i <= 5; ++i)
    REQUIRE(f.publish("probe.in", i).ok());
  REQUIRE(f.log.wait_count([](const Event& e) { return e.type() == "probe.seen"; }, 5));
  auto info = f.info("probe");
  REQUIRE(info);
  CHECK(info->stats.retained_events == 5);
  CHECK(info->stats.memory_bytes == 4096);
  CHECK(info->stats.memory_blocks == 1);
  const uint32_t refs = kept.use_count();  // this test, the tap's log, the plugin, maybe the bus
  CHECK(refs >= 3);

  f.remove("probe");
  EventPtr stopped = f.wait_lifecycle("stopped", "probe");
  REQUIRE(stopped);
  CHECK(data_number(*stopped, "released_events") == 5);
  CHECK(data_number(*stopped, "freed_bytes") == 4096);
  CHECK(kept.use_count() < refs);  // the plugin's reference is gone
}

TEST_CASE("requests: replies, error replies, and a pending request cancelled at unload") {
  PluginFixture f;
  f.settings("probe").config_json = R"({"requests": "probe.ask", "pending_request": "slow.ask"})";
  // A responder that never answers keeps the probe's request pending.
  auto quiet = f.bus->subscribe("slow.ask", [](const EventPtr&) { return Status::OK(); });
  REQUIRE(quiet.ok());
  f.install("probe_v1", "probe");
  f.start();
  REQUIRE(f.wait_lifecycle("started", "probe"));

  auto ask = EventBuilder("probe.ask").source("test").data(R"({"n":3})").build();
  REQUIRE(ask.ok());
  auto reply = f.bus->request(*ask, 5s).get();
  REQUIRE(reply.ok());
  CHECK((*reply)->type() == "probe.reply");
  CHECK(data_number(**reply, "n") == 3);
  CHECK((*reply)->source() == "probe");

  auto bad = EventBuilder("probe.ask").source("test").data(R"({"fail":"no such op"})").build();
  REQUIRE(bad.ok());
  auto error = f.bus->request(*bad, 5s).get();
  REQUIRE(error.ok());
  CHECK((*error)->type() == "probe.ask.error");
  CHECK((*error)->find_metadata("chorusstatus") ==
        std::optional<std::string_view>("invalid_argument"));
  CHECK(data_field(**error, "error") == "probe refuses: no such op");
  CHECK(data_field(**error, "code") == "invalid_argument");

  f.remove("probe");
  EventPtr done = f.log.wait_type("probe.request_done");
  REQUIRE(done);
  CHECK(data_field(*done, "code") == "cancelled");
  CHECK(data_field(*done, "message") == "the plugin is being unloaded");
  REQUIRE(f.wait_lifecycle("stopped", "probe"));
}

TEST_CASE("timers tick while the plugin runs and never after it is unloaded") {
  PluginFixture f;
  f.settings("probe").config_json = R"({"tick_ms": 5})";
  f.install("probe_v1", "probe");
  f.start();
  REQUIRE(f.log.wait_count([](const Event& e) { return e.type() == "probe.tick"; }, 3));
  f.remove("probe");
  EventPtr stopped = f.wait_lifecycle("stopped", "probe");
  REQUIRE(stopped);
  REQUIRE(f.publish("test.marker").ok());
  REQUIRE(f.log.wait_type("test.marker"));
  bool after = false, tick_after = false;
  for (const EventPtr& e : f.log.all()) {
    if (e.get() == stopped.get()) after = true;
    if (after && e->type() == "probe.tick") tick_after = true;
  }
  CHECK(!tick_after);
}

TEST_CASE("the store: a plugin appends to a stream and reads it back") {
  FixtureOptions o;
  o.with_store = true;
  PluginFixture f(o);
  f.settings("probe").config_json = R"({"try_store": "probe-7"})";
  f.install("probe_v1", "probe");
  f.start();
  EventPtr r = result_of(f, "store");
  REQUIRE(r);
  CHECK(data_field(*r, "code") == "ok");
  CHECK(data_number(*r, "count") == 2);
  CHECK(data_number(*r, "sum") == 3);
  CHECK(data_number(*r, "version") == 2);
  auto page = f.store->read_stream("probe-7", 1);
  REQUIRE(page.ok());
  REQUIRE(page->events.size() == 2);
  CHECK(page->events[0].event->source() == "probe");
}

TEST_CASE("without a registry the registry functions say that discovery is not available") {
  PluginFixture f;
  f.settings("probe").config_json = R"({"try_registry": true})";
  f.install("probe_v1", "probe");
  f.start();
  for (const char* op : {"discover", "select", "request_by_capability"}) {
    EventPtr r = result_of(f, op);
    REQUIRE(r);
    CHECK(data_field(*r, "code") == "unavailable");
    CHECK(data_field(*r, "message") ==
          std::string("probe: ") + op + ": discovery is not available in this host");
  }
}

TEST_CASE("heartbeats carry health, and the agent directory hears of every agent") {
  FixtureOptions o;
  o.heartbeat = 20ms;
  PluginFixture f(o);
  auto dir = std::make_shared<RecordingDirectory>();
  f.options().directory = dir;
  auto& s = f.settings("probe");
  s.instances = {"healthy", "sick"};
  f.install("probe_v1", "probe");
  f.start();
  REQUIRE(dir->wait_for("started healthy 1.0.0"));
  REQUIRE(dir->wait_for("heartbeat healthy healthy"));
  EventPtr hb = f.wait_lifecycle("heartbeat", "healthy");
  REQUIRE(hb);
  CHECK(data_field(*hb, "healthy") == "true");
  CHECK(data_field(*hb, "version") == "1.0.0");

  auto next = f.options();
  next.plugins[0].config_json = R"({"unhealthy": true})";
  REQUIRE(f.host().reconfigure(next).ok());
  REQUIRE(dir->wait_for("heartbeat sick unhealthy: probe is told to be unhealthy"));
  REQUIRE(f.log.wait_for([](const Event& e) {
    return e.type() == "agent.heartbeat" && data_field(e, "name") == "sick" &&
           data_field(e, "healthy") == "false";
  }));
  f.remove("probe");
  REQUIRE(dir->wait_for("stopped sick 1.0.0"));
}
