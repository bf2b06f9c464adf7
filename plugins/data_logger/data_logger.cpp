// data_logger: durable subscriptions on sensor.** and safety.**: at least
// once, resuming where it stopped after a reload or a restart. A store
// consumer group reads one pattern, so there is one group per pattern:
// "<group>.sensor" and "<group>.safety" (group: default "data-logger"). Keeps counts and logs a
// summary every `summary_ms` (default 10000): readings per sensor and alerts in the last period,
// and totals. Answers `logger.stats` requests with its counts.
//
// Config: group (default "data-logger"), summary_ms.
#include <chorus/plugin.hpp>
#include <cstdio>
#include <map>
#include <string>

using namespace chorus::sdk;
using chorus::json::Value;

namespace {

class DataLogger : public Agent {
 public:
  Status on_init(const Value& config) override {
    group_ = std::string(config["group"].string("data-logger"));
    summary_ms_ = static_cast<int64_t>(config["summary_ms"].number(10'000));
    if (summary_ms_ < 100) return Status::invalid_argument("summary_ms must be at least 100");
    return {};
  }

  Status on_start() override {
    for (const char* topic : {"sensor", "safety"}) {
      SubscribeOptions durable;
      durable.durable_group = group_ + "." + topic;
      auto sub = host().subscribe(std::string(topic) + ".**", durable);
      if (!sub.ok()) return sub.status();
    }
    SubscribeOptions requests;
    requests.requests = true;
    if (auto sub = host().subscribe("logger.stats", requests); !sub.ok()) return sub.status();
    auto timer = host().every(std::chrono::milliseconds(summary_ms_), [this] { summary(); });
    return timer.ok() ? Status() : timer.status();
  }

  Status on_event(const Event& e) override {
    if (e.type() == "sensor.reading") {
      const std::string sensor(e.json()["sensor"].string("?"));
      ++period_[sensor];
      ++readings_[sensor];
    } else if (e.type() == "safety.alert") {
      ++period_alerts_;
      ++alerts_;
    } else {
      ++other_;
    }
    return {};
  }

  Result<Message> on_request(const Event&) override {
    Value per = Value::object();
    uint64_t total = 0;
    for (const auto& [sensor, n] : readings_) {
      per.set(sensor, n);
      total += n;
    }
    Value d = Value::object();
    d.set("readings", total).set("per_sensor", per).set("alerts", alerts_).set("other", other_);
    return Message("logger.stats.result").json(d);
  }

 private:
  void summary() {
    uint64_t n = 0, total = 0;
    std::string per;
    for (const auto& [sensor, count] : period_) {
      n += count;
      per += (per.empty() ? "" : ", ") + sensor + " " + std::to_string(count);
    }
    for (const auto& [sensor, count] : readings_)
      total += count;
    const std::string period = summary_ms_ % 1000 == 0 ? std::to_string(summary_ms_ / 1000) + " s"
                                                       : std::to_string(summary_ms_) + " ms";
    char line[512];
    std::snprintf(line, sizeof(line),
                  "last %s: %llu readings (%s), %llu alerts; total %llu readings, %llu alerts",
                  period.c_str(), static_cast<unsigned long long>(n),
                  per.empty() ? "none" : per.c_str(),
                  static_cast<unsigned long long>(period_alerts_),
                  static_cast<unsigned long long>(total), static_cast<unsigned long long>(alerts_));
    host().info(line);
    period_.clear();
    period_alerts_ = 0;
  }

  std::string group_;
  int64_t summary_ms_ = 10'000;
  std::map<std::string, uint64_t> period_, readings_;
  uint64_t period_alerts_ = 0, alerts_ = 0, other_ = 0;
};

}  // namespace

CHORUS_PLUGIN(DataLogger, "data_logger", "1.0.0",
              "counts sensor readings and safety alerts from a durable subscription", "logging")
