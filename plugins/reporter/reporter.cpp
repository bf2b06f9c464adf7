// reporter: the end of the order chain. Consumes order.priced and
// order.rejected, publishes report.order
//   {"order_id":..,"customer":..,"status":"priced"|"rejected","total":..|"reason":..}
// (causation = the consumed event, correlation carried on) and logs one line
// per order. Every `stats_every` priced orders (default 10) it asks the
// statistics service for the mean of their totals: by capability through
// the registry, or, where the host has no discovery, with a plain request
// to calc.request; and logs the answer.
#include <chorus/plugin.hpp>
#include <cstdio>
#include <string>
#include <vector>

using namespace chorus::sdk;
using chorus::json::Value;

namespace {

class Reporter : public Agent {
 public:
  Status on_init(const Value& config) override {
    stats_every_ = static_cast<size_t>(config["stats_every"].number(10));
    return {};
  }

  Status on_start() override {
    for (const char* p : {"order.priced", "order.rejected"})
      if (auto s = host().subscribe(p); !s.ok()) return s.status();
    return {};
  }

  Status on_event(const Event& e) override {
    const Value& d = e.json();
    const std::string id(d["order_id"].string("?"));
    const std::string customer(d["customer"].string("?"));
    Value report = Value::object();
    report.set("order_id", id).set("customer", customer);
    char line[256];
    if (e.type() == "order.priced") {
      const double total = d["total"].number();
      report.set("status", "priced").set("total", total).set("priced_by", d["instance"]);
      std::snprintf(line, sizeof(line), "order %s (%s): priced %.2f by %s%s", id.c_str(),
                    customer.c_str(), total, std::string(d["instance"].string("?")).c_str(),
                    total > 1000 ? " (high value)" : "");
      totals_.push_back(total);
    } else {
      const std::string reason(d["reason"].string("?"));
      report.set("status", "rejected").set("reason", reason);
      std::snprintf(line, sizeof(line), "order %s (%s): rejected, %s", id.c_str(), customer.c_str(),
                    reason.c_str());
    }
    host().info(line);
    Status st = host().publish(Message("report.order").caused_by(e).json(report));
    if (stats_every_ > 0 && totals_.size() >= stats_every_) ask_statistics();
    return st;
  }

 private:
  void ask_statistics() {
    Value values = Value::array();
    for (double t : totals_)
      values.push(t);
    totals_.clear();
    Value req = Value::object();
    req.set("op", "mean").set("values", values);
    const Message m = Message("calc.request").json(req);
    auto done = [this, n = values.size()](const Status& st, const Event* reply) {
      char text[160];
      if (st && reply) {
        const Value& r = reply->json();
        std::snprintf(text, sizeof(text),
                      "mean total of the last %zu priced orders: %.2f (from %s)", n,
                      r["result"].number(), std::string(r["instance"].string("?")).c_str());
        host().info(text);
      } else {
        host().warn("statistics request failed: " + st.to_string());
      }
    };
    Status st = host().request_by_capability("statistics", m, std::chrono::seconds(2), done);
    if (st.code() == Code::kUnavailable) {  // no discovery in this host: ask the queue group
      if (!by_capability_noted_) {
        host().info("no registry (" + st.message() + "): asking calc.request directly");
        by_capability_noted_ = true;
      }
      st = host().request(m, std::chrono::seconds(2), done);
    }
    if (!st) host().warn("statistics request not sent: " + st.to_string());
  }

  size_t stats_every_ = 10;
  std::vector<double> totals_;
  bool by_capability_noted_ = false;
};

}  // namespace

CHORUS_PLUGIN(Reporter, "reporter", "1.0.0",
              "reports each order's outcome (report.order) and asks for statistics", "reporting")
