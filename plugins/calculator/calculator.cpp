// calculator: a statistics service (capability "statistics"), meant to run
// as several instances (calculator-1, calculator-2). It
//  - answers `calc.request` {"op":"mean"|"sum"|"min"|"max"|"stddev","values":[...]}
//    with `calc.result` {"op":..,"result":..,"instance":..}; an unknown op or
//    bad values is an error reply naming the problem. The instances share
//    undirected requests (queue group "calculator"); a request directed at
//    one instance (target = its name, as request_by_capability sends it)
//    reaches that one.
//  - prices orders: `order.validated` -> `order.priced`
//    {"order_id":..,"subtotal":..,"tax":..,"total":..,"instance":..}, the
//    instances sharing the orders (queue group "calculator": each order is
//    priced once), causation = the validated event, same correlation.
//
// Config: tax_rate (default 0.2).
#include <algorithm>
#include <chorus/plugin.hpp>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using namespace chorus::sdk;
using chorus::json::Value;

namespace {

double round2(double x) {
  return std::round(x * 100.0) / 100.0;
}

Result<double> compute(std::string_view op, const std::vector<double>& v) {
  double sum = 0;
  for (double x : v)
    sum += x;
  if (op == "sum") return sum;
  if (op == "mean") return sum / static_cast<double>(v.size());
  if (op == "min") return *std::min_element(v.begin(), v.end());
  if (op == "max") return *std::max_element(v.begin(), v.end());
  if (op == "stddev") {
    const double mean = sum / static_cast<double>(v.size());
    double sq = 0;
    for (double x : v)
      sq += (x - mean) * (x - mean);
    return std::sqrt(sq / static_cast<double>(v.size()));
  }
  return Status::invalid_argument("unknown op '" + std::string(op) +
                                  "' (expected mean, sum, min, max or stddev)");
}

class Calculator : public Agent {
 public:
  Status on_init(const Value& config) override {
    tax_rate_ = config["tax_rate"].number(0.2);
    if (tax_rate_ < 0 || tax_rate_ > 1) return Status::invalid_argument("tax_rate must be 0 to 1");
    return {};
  }

  Status on_start() override {
    SubscribeOptions requests;
    requests.requests = true;
    requests.queue_group = "calculator";
    if (auto s = host().subscribe("calc.request", requests); !s.ok()) return s.status();
    SubscribeOptions orders;
    orders.queue_group = "calculator";
    if (auto s = host().subscribe("order.validated", orders); !s.ok()) return s.status();
    return {};
  }

  Result<Message> on_request(const Event& request) override {
    const Value& d = request.json();
    if (!d.is_object()) return Status::invalid_argument("the request's data is not a JSON object");
    const std::string op(d["op"].string());
    const Value& values = d["values"];
    if (!values.is_array() || values.size() == 0)
      return Status::invalid_argument("values must be a non-empty list of numbers");
    std::vector<double> v;
    for (size_t i = 0; i < values.size(); ++i) {
      if (!values[i].is_number())
        return Status::invalid_argument("values[" + std::to_string(i) + "] is not a number");
      v.push_back(values[i].number());
    }
    auto r = compute(op, v);
    if (!r.ok()) return r.status();
    Value out = Value::object();
    out.set("op", op).set("result", *r).set("instance", host().name());
    return Message("calc.result").json(out);
  }

  Status on_event(const Event& validated) override {
    const Value& order = validated.json();
    double subtotal = 0;
    for (const Value& item : order["items"].items())
      subtotal += item["qty"].number() * item["price"].number();
    subtotal = round2(subtotal);
    const double tax = round2(subtotal * tax_rate_);
    Value priced = Value::object();
    priced.set("order_id", order["order_id"])
        .set("customer", order["customer"])
        .set("subtotal", subtotal)
        .set("tax", tax)
        .set("total", round2(subtotal + tax))
        .set("instance", host().name());
    char line[128];
    std::snprintf(line, sizeof(line), "priced %s: %.2f + %.2f tax",
                  std::string(order["order_id"].string("?")).c_str(), subtotal, tax);
    host().debug(line);
    return host().publish(Message("order.priced").caused_by(validated).json(priced));
  }

 private:
  double tax_rate_ = 0.2;
};

}  // namespace

CHORUS_PLUGIN(Calculator, "calculator", "1.0.0",
              "statistics on request (calc.request) and order pricing (order.validated)",
              "statistics")
