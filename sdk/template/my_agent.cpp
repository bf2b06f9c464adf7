// my_agent: a starting point for a Chorus agent.
//  - Every `interval_ms` (config, default 5000) it publishes `my_agent.tick`
//    {"count": n, "greeting": ..} and logs a line, so you see it work.
//  - It answers each `my_agent.ping` event with a `my_agent.pong` carrying
//    its greeting, in the ping's correlation (causation = the ping).
#include <chorus/plugin.hpp>
#include <chrono>
#include <string>

using namespace chorus::sdk;
using chorus::json::Value;

namespace {

class MyAgent : public Agent {
 public:
  // The instance's config block from the host's YAML (plugins.agents.my_agent.config).
  Status on_init(const Value& config) override {
    greeting_ = std::string(config["greeting"].string("hello"));
    interval_ms_ = static_cast<int64_t>(config["interval_ms"].number(5000));
    if (interval_ms_ < 10) return Status::invalid_argument("interval_ms must be at least 10");
    return {};
  }

  // Subscriptions and timers start here.
  Status on_start() override {
    host().info("ready to say " + greeting_);
    if (auto sub = host().subscribe("my_agent.ping"); !sub.ok()) return sub.status();
    auto timer = host().every(std::chrono::milliseconds(interval_ms_), [this] { tick(); });
    return timer.status();
  }

  Status on_event(const Event& ping) override {
    host().info("ping from " + std::string(ping.source()));
    Value pong = Value::object();
    pong.set("greeting", greeting_).set("from", host().name());
    return host().publish(Message("my_agent.pong").caused_by(ping).json(pong));
  }

 private:
  void tick() {
    ++count_;
    Value data = Value::object();
    data.set("count", count_).set("greeting", greeting_);
    const Status st = host().publish(Message("my_agent.tick").json(data));
    host().info("tick " + std::to_string(count_) + (st ? "" : ": " + st.to_string()));
  }

  std::string greeting_;
  int64_t interval_ms_ = 5000;
  int64_t count_ = 0;
};

}  // namespace

// The entry point: class, name, version, description, capabilities...
CHORUS_PLUGIN(MyAgent, "my_agent", "0.1.0", "answers my_agent.ping with my_agent.pong", "greeting")
