// temperature_monitor: watches sensor.reading for the sensors in its config
// (a subscription filter) and raises safety.alert, priority high, when a
// value is above the threshold:
//   {"sensor":"s3","value":83.1,"threshold":80.0,"level":"high"}
// with causation = the reading's id and correlation = the reading's
// correlation id (or its id). One log line per alert.
//
// Config: sensors (default: every sensor), threshold (default 80.0).
#include <algorithm>
#include <chorus/plugin.hpp>
#include <cstdio>
#include <string>
#include <vector>

using namespace chorus::sdk;
using chorus::json::Value;

namespace {

class TemperatureMonitor : public Agent {
 public:
  Status on_init(const Value& config) override {
    threshold_ = config["threshold"].number(80.0);
    for (const Value& s : config["sensors"].items())
      sensors_.emplace_back(s.string());
    return {};
  }

  Status on_start() override {
    SubscribeOptions o;
    if (!sensors_.empty()) {
      // Runs on the publisher's thread: it only reads what init set.
      o.filter = [this](const Event& e) {
        const std::string_view s = e.json()["sensor"].string();
        return std::find(sensors_.begin(), sensors_.end(), s) != sensors_.end();
      };
    }
    auto sub = host().subscribe("sensor.reading", std::move(o));
    if (!sub.ok()) return sub.status();
    char line[160];
    std::snprintf(line, sizeof(line), "watching %s above %.1f C",
                  sensors_.empty() ? "every sensor" : join().c_str(), threshold_);
    host().info(line);
    return {};
  }

  Status on_event(const Event& reading) override {
    const Value& d = reading.json();
    const double value = d["value"].number();
    if (!d["value"].is_number() || value <= threshold_) return {};
    const std::string sensor(d["sensor"].string("?"));
    Value alert = Value::object();
    alert.set("sensor", sensor)
        .set("value", value)
        .set("threshold", threshold_)
        .set("level", "high");
    Status st = host().publish(
        Message("safety.alert").priority(Priority::kHigh).caused_by(reading).json(alert));
    char line[160];
    std::snprintf(line, sizeof(line), "ALERT sensor %s at %.1f C (threshold %.1f C)",
                  sensor.c_str(), value, threshold_);
    host().warn(line);
    return st;
  }

 private:
  std::string join() const {
    std::string out;
    for (const auto& s : sensors_)
      out += (out.empty() ? "" : ", ") + s;
    return out;
  }

  double threshold_ = 80.0;
  std::vector<std::string> sensors_;
};

}  // namespace

CHORUS_PLUGIN(TemperatureMonitor, "temperature_monitor", "1.0.0",
              "raises safety.alert when a sensor reading is above a threshold", "safety.monitoring")
