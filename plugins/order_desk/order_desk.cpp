// order_desk: submits an order every `interval_ms` (default 3000) as
// `order.submitted`, each with a fresh correlation id that the rest of the
// chain (validator -> calculator -> reporter) carries on:
//   {"order_id":"o-17","customer":"c-3","items":[{"sku":"A1","qty":2,"price":9.5}],"amount":19.0}
// Orders are deterministic: amounts vary, every 5th is above 1000 (high
// value), every 7th is invalid (alternately an item with quantity 0 and no
// items at all). Logs a summary every 10 orders.
#include <chorus/plugin.hpp>
#include <cstdio>
#include <string>

using namespace chorus::sdk;
using chorus::json::Value;

namespace {

const char* const kSkus[] = {"A1", "A2", "B1", "B7", "C3"};
const double kPrices[] = {9.5, 4.25, 19.0, 120.0, 2.75};

class OrderDesk : public Agent {
 public:
  Status on_init(const Value& config) override {
    interval_ms_ = static_cast<int64_t>(config["interval_ms"].number(3000));
    customers_ = static_cast<int>(config["customers"].number(5));
    if (interval_ms_ < 10) return Status::invalid_argument("interval_ms must be at least 10");
    if (customers_ < 1) return Status::invalid_argument("customers must be at least 1");
    return {};
  }

  Status on_start() override {
    auto t = host().every(std::chrono::milliseconds(interval_ms_), [this] { submit(); });
    return t.ok() ? Status() : t.status();
  }

 private:
  void submit() {
    const int n = ++count_;
    Value items = Value::array();
    double amount = 0;
    if (n % 7 == 0) {
      // Invalid: an item with quantity 0, or (every 14th) no items at all.
      if (n % 14 != 0) items.push(line(kSkus[0], 0, kPrices[0]));
    } else if (n % 5 == 0) {
      items.push(line("B7", 8, 120.0)).push(line("B1", 9, 19.0));  // 1131.0: high value
      amount = 8 * 120.0 + 9 * 19.0;
    } else {
      const int lines = 1 + n % 3;
      for (int i = 0; i < lines; ++i) {
        const int k = (n + i) % 5;
        const int qty = 1 + (n * (i + 1)) % 4;
        items.push(line(kSkus[k], qty, kPrices[k]));
        amount += qty * kPrices[k];
      }
    }
    Value order = Value::object();
    order.set("order_id", "o-" + std::to_string(n))
        .set("customer", "c-" + std::to_string(1 + n % customers_))
        .set("items", items)
        .set("amount", amount);
    Status st =
        host().publish(Message("order.submitted").correlation_id(host().new_id()).json(order));
    if (!st) host().warn("order o-" + std::to_string(n) + " not submitted: " + st.message());
    if (n % 10 == 0) {
      char text[96];
      std::snprintf(text, sizeof(text), "%d orders submitted", n);
      host().info(text);
    }
  }

  static Value line(const char* sku, int qty, double price) {
    Value v = Value::object();
    v.set("sku", sku).set("qty", qty).set("price", price);
    return v;
  }

  int64_t interval_ms_ = 3000;
  int customers_ = 5;
  int count_ = 0;
};

}  // namespace

CHORUS_PLUGIN(OrderDesk, "order_desk", "1.0.0", "submits orders (order.submitted)", "orders.intake")
