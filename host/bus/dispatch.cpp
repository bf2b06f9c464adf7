// Dispatch: the publish path on the publisher's thread. Checks and
// before-publish hooks, routing (persistent types go through the durable
// log first), the fan-out to the matching subscribers and queue groups with
// the one rule for what counts as taken, filters, and the offer to one
// subscriber (an inline call or a push with its overflow policy).
#include <fmt/core.h>

#include "bus/bus_impl.h"
#include "bus/logger.h"

namespace chorus::bus {

namespace {

// Publishes nested through inline handlers on one thread. Deeper means a
// handler (re)publishes what it receives: refused instead of a stack overflow.
constexpr int kMaxPublishDepth = 64;
thread_local int tl_publish_depth = 0;

// The outcome of one fan-out.
struct Fanout {
  Status first_error;
  bool taken = false;  // see hand_over()
};

// Hands `ev` to `s` if its filter accepts it; false when it refused.
//
// The no_subscribers rule (docs/bus.md, "No subscriber"), decided here and
// nowhere else: an event is taken only when a subscriber that is not a tap
// accepted it. A subscriber whose filter refuses it does not take it, and
// neither does a tap (observe_all), which watches events rather than
// consuming them: an event only taps see counts in no_subscribers.
inline bool hand_over(EventBus::Impl& bus, Subscriber& s, const EventPtr& ev, Fanout& out) {
  if (!bus.passes_filter(s, *ev)) return false;
  if (!s.observe_all) out.taken = true;
  Status st = bus.offer(s, ev);
  if (!st.ok() && out.first_error.ok()) out.first_error = std::move(st);
  return true;
}

}  // namespace

Status EventBus::Impl::refuse_publish(const EventPtr& ev) const {
  if (!ev) return Status::InvalidArgument("publish: null event");
  return Status::Unavailable(fmt::format("publish '{}': the bus is shutting down", ev->type()));
}

Status EventBus::Impl::publish(const EventPtr& original) {
  CHORUS_RETURN_IF_ERROR(check_publishable(original));
  const Chains* c = chains.load(std::memory_order_acquire);
  if (c && !c->before.empty()) {
    EventPtr ev = original;  // hooks may replace it
    CHORUS_RETURN_IF_ERROR(run_before_hooks(*c, ev));
    return route(ev);
  }
  return route(original);
}

Status EventBus::Impl::publish_batch(std::span<const EventPtr> events) {
  Status first;
  for (const EventPtr& e : events) {
    Status s = publish(e);
    if (!s.ok() && first.ok()) first = std::move(s);
  }
  return first;
}

Status EventBus::Impl::route(const EventPtr& ev) {
  if (durable_log && persist_any && is_persistent(*ev)) {
    bool duplicate = false;
    Status s = durable_log->append(ev, duplicate);
    return after_append(ev, s, duplicate);
  }
  return dispatch(ev);
}

Status EventBus::Impl::dispatch(const EventPtr& ev) {
  if (EventBus::is_reply(*ev)) complete_reply(ev);

  if (tl_publish_depth >= kMaxPublishDepth) {
    publish_errors.fetch_add(1, std::memory_order_relaxed);
    return Status::ResourceExhausted(fmt::format(
        "publish '{}': nested {} deep through inline handlers (does an inline handler publish "
        "what it receives?)",
        ev->type(), kMaxPublishDepth));
  }
  ThreadMatchCache* cache = thread_cache();
  struct Depth {
    ThreadMatchCache* c;
    explicit Depth(ThreadMatchCache* c_) : c(c_) {
      ++tl_publish_depth;
      if (c) ++c->depth;
    }
    ~Depth() {
      --tl_publish_depth;
      if (c) --c->depth;
    }
  } depth(cache);
  std::shared_ptr<const MatchResult> hold;
  const MatchResult* r = lookup(*ev, cache, hold);
  r->topic->published.fetch_add(1, std::memory_order_relaxed);

  Fanout out;
  for (Subscriber* s : r->subs) {
    if (s->accepts_target(*ev)) hand_over(*this, *s, ev, out);
  }
  // A group's event goes to the first member, round robin, that accepts it.
  for (const MatchResult::Group& g : r->groups) {
    const size_t n = g.members.size();
    const uint64_t start = g.next->fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < n; ++i) {
      Subscriber* m = g.members[(start + i) % n];
      if (!m->accepts_target(*ev) || m->guard.closed()) continue;
      if (hand_over(*this, *m, ev, out)) break;
    }
  }
  if (!out.taken) r->topic->no_subscribers.fetch_add(1, std::memory_order_relaxed);
  if (!out.first_error.ok()) publish_errors.fetch_add(1, std::memory_order_relaxed);
  recycle_result(std::move(hold));
  return std::move(out.first_error);
}

bool EventBus::Impl::passes_filter(Subscriber& s, const Event& ev) {
  if (!s.filter) return true;
  if (!s.guard.enter()) return false;
  bool pass = false;
  try {
    pass = s.filter(ev);
  } catch (const std::exception& e) {
    logger().warn("filter of subscriber '{}' threw on '{}': {}", s.id, ev.type(), e.what());
  } catch (...) {
    logger().warn("filter of subscriber '{}' threw a non-standard exception on '{}'", s.id,
                  ev.type());
  }
  s.guard.exit();
  if (!pass) s.filtered.fetch_add(1, std::memory_order_relaxed);
  return pass;
}

Status EventBus::Impl::offer(Subscriber& s, const EventPtr& ev) {
  if (s.mode == DeliveryMode::kInline) {
    deliver_now(s, ev, 1, 0);
    return Status::OK();
  }
  bool schedule = false;
  QueuedEvent evicted;
  switch (s.queue.push(QueuedEvent{ev, steady_ns(), 1}, schedule, &evicted)) {
    case DeliveryQueue::PushResult::kQueued:
      break;
    case DeliveryQueue::PushResult::kDroppedOldest:
      s.dropped.fetch_add(1, std::memory_order_relaxed);
      break;
    case DeliveryQueue::PushResult::kDroppedNewest:
      s.dropped.fetch_add(1, std::memory_order_relaxed);
      return Status::OK();
    case DeliveryQueue::PushResult::kRejected:
      s.rejected.fetch_add(1, std::memory_order_relaxed);
      return Status::ResourceExhausted(
          fmt::format("publish '{}': queue of subscriber '{}' is full ({} events)", ev->type(),
                      s.id, s.queue.bound()));
    case DeliveryQueue::PushResult::kTimedOut:
      s.rejected.fetch_add(1, std::memory_order_relaxed);
      return Status::Timeout(fmt::format(
          "publish '{}': queue of subscriber '{}' stayed full ({} events) for the block timeout",
          ev->type(), s.id, s.queue.bound()));
    case DeliveryQueue::PushResult::kClosed:
      return Status::OK();
  }
  if (schedule) post_drain(s.shared_from_this());
  return Status::OK();
}

}  // namespace chorus::bus
