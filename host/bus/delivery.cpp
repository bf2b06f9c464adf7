// Delivery of one event to one subscriber, inline or on its strand: the
// circuit breaker's say, the handler call inside the subscriber's guard and
// the around-deliver chain, then the outcome (counted, retried or
// dead-lettered) and the breaker's transitions published as events.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "bus/bus_impl.h"
#include "bus/handler_call.h"
#include "bus/logger.h"

namespace chorus::bus {

namespace {

constexpr std::string_view kBusSource = "chorus.bus";

// The subscribers whose handlers this thread is inside (innermost last), so
// an unsubscribe from inside a handler does not wait for itself. Nesting is
// bounded by the publish depth limit (64, dispatch.cpp) plus retries and
// drains, which do not nest.
constexpr int kMaxActive = 2 * 64 + 8;
thread_local const Subscriber* tl_active[kMaxActive];
thread_local int tl_active_count = 0;

struct ActiveScope {
  explicit ActiveScope(const Subscriber* s) {
    if (tl_active_count < kMaxActive) tl_active[tl_active_count] = s;
    ++tl_active_count;
  }
  ~ActiveScope() { --tl_active_count; }
};

// {"subscriber":..,"state":..,"reason":..}: the data of a breaker event.
std::string transition_json(const Subscriber& s, const CircuitBreaker::Transition& t) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  const std::string_view state = breaker_state_name(t.to);
  w.StartObject();
  w.Key("subscriber");
  w.String(s.id.data(), static_cast<rapidjson::SizeType>(s.id.size()));
  w.Key("state");
  w.String(state.data(), static_cast<rapidjson::SizeType>(state.size()));
  w.Key("reason");
  w.String(t.reason.data(), static_cast<rapidjson::SizeType>(t.reason.size()));
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// Calls the handler (through the around-deliver chain) inside the guard.
// `entered` is false when the subscriber was closed: nothing was called.
// (File-local, so that it is inlined into deliver_now, its one caller.)
Status invoke(const EventBus::Impl& bus, Subscriber& s, const EventPtr& ev, uint32_t attempt,
              bool& entered) {
  entered = s.guard.enter();
  if (!entered) return Status::OK();
  ActiveScope scope(&s);
  Status st = call_catching([&]() -> Status {
    const EventBus::Impl::Chains* c = bus.chains.load(std::memory_order_acquire);
    if (!c || c->around.empty()) return s.handler(ev);
    const DeliveryInfo info{s.id, attempt};
    std::function<Status(size_t)> step = [&](size_t i) -> Status {
      if (i == c->around.size()) return s.handler(ev);
      return c->around[i].second(ev, info, [&] { return step(i + 1); });
    };
    return step(0);
  });
  s.guard.exit();
  return st;
}

}  // namespace

uint32_t own_calls(const Subscriber* s) {
  uint32_t n = 0;
  for (int i = 0; i < std::min(tl_active_count, kMaxActive); ++i)
    n += tl_active[i] == s;
  return n;
}

// The event is passed by reference: the common, successful path copies
// nothing.
void EventBus::Impl::deliver_now(Subscriber& s, const EventPtr& ev, uint32_t attempt,
                                 int64_t enqueued_ns) {
  std::optional<CircuitBreaker::Transition> t;
  if (s.breaker.state() != CircuitBreaker::State::kClosed && !s.breaker.allow(steady_ns(), t)) {
    dead_letter(s, ev, "circuit open", attempt - 1);
    return;
  }
  if (t) announce(s, *t);
  bool entered = false;
  Status st = invoke(*this, s, ev, attempt, entered);
  if (!entered) {
    s.dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  t.reset();
  s.breaker.record_lazy(st.ok() ? CallOutcome::kSuccess : CallOutcome::kFailure, steady_ns, t);
  if (t) announce(s, *t);
  if (st.ok()) {
    s.delivered.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  s.failed.fetch_add(1, std::memory_order_relaxed);
  logger().debug("subscriber '{}' failed '{}' (attempt {}): {}", s.id, ev->type(), attempt,
                 st.to_string());
  if (attempt < static_cast<uint32_t>(s.retry.max_attempts) &&
      !stopping.load(std::memory_order_acquire)) {
    schedule_retry(s.shared_from_this(), QueuedEvent{ev, enqueued_ns, attempt});
  } else {
    dead_letter(s, ev, st.to_string(), attempt);
  }
}

void EventBus::Impl::announce(const Subscriber& s, const CircuitBreaker::Transition& t) {
  const char* type = t.to == CircuitBreaker::State::kOpen       ? "system.breaker.opened"
                     : t.to == CircuitBreaker::State::kHalfOpen ? "system.breaker.half_opened"
                                                                : "system.breaker.closed";
  logger().info("circuit breaker of subscriber '{}' is now {}: {}", s.id, breaker_state_name(t.to),
                t.reason);
  auto ev = EventBuilder(type)
                .source(kBusSource)
                .priority(Priority::kHigh)
                .data(transition_json(s, t))
                .build();
  if (ev.ok() && !stopping.load(std::memory_order_acquire)) (void)publish(*ev);
}

}  // namespace chorus::bus
