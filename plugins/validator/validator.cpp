// validator: order.submitted -> order.validated (the same data) or
// order.rejected {"order_id":..,"reason":..}; causation = the submitted
// event, correlation carried on. An order is valid when it has items, each
// with a positive quantity and a price of at least 0, and its amount is
// their sum.
#include <chorus/plugin.hpp>
#include <cmath>
#include <string>

using namespace chorus::sdk;
using chorus::json::Value;

namespace {

// Empty when valid, else why not.
std::string problem(const Value& order) {
  if (!order["order_id"].is_string()) return "no order_id";
  const Value& items = order["items"];
  if (!items.is_array() || items.size() == 0) return "no items";
  double sum = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    const Value& it = items[i];
    const std::string sku(it["sku"].string("?"));
    if (it["qty"].number() <= 0) return "item " + sku + " has quantity " + it["qty"].dump();
    if (!it["price"].is_number() || it["price"].number() < 0)
      return "item " + sku + " has no valid price";
    sum += it["qty"].number() * it["price"].number();
  }
  if (std::fabs(sum - order["amount"].number()) > 0.005)
    return "amount " + order["amount"].dump() + " is not the sum of its items";
  return {};
}

class Validator : public Agent {
 public:
  Status on_start() override { return host().subscribe("order.submitted").status(); }

  Status on_event(const Event& submitted) override {
    const Value& order = submitted.json();
    const std::string why = problem(order);
    if (why.empty())
      return host().publish(
          Message("order.validated").caused_by(submitted).data(std::string(submitted.data())));
    Value rejected = Value::object();
    rejected.set("order_id", order["order_id"])
        .set("customer", order["customer"])
        .set("reason", why);
    return host().publish(Message("order.rejected").caused_by(submitted).json(rejected));
  }
};

}  // namespace

CHORUS_PLUGIN(Validator, "validator", "1.0.0",
              "validates orders: order.submitted -> order.validated or order.rejected",
              "orders.validation")
