// An instance's subscriptions: subscribe/unsubscribe, attaching them to the
// bus (ephemeral or durable), the bus handler and filter that call into the
// plugin, and the drain before an unload (instance.h).
//
// A plugin subscription is a normal bus subscriber: its handler calls the
// plugin's on_event, and an error (or an exception the C++ wrapper caught)
// is a failed delivery, retried, dead-lettered and counted by the
// subscriber's circuit breaker like any other.
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fmt/core.h>
#include <spdlog/logger.h>

#include "bus/event_bus.h"
#include "core/topic.h"
#include "plugins/callback_scope.h"
#include "plugins/event_view.h"
#include "plugins/instance.h"
#include "plugins/plugin_module.h"
#include "plugins/plugins_log.h"
#include "plugins/status_codes.h"
#include "plugins/subscription.h"

namespace chorus::plugins {

std::string Instance::subscriber_id_for(uint32_t flags, const std::string& pattern) {
  // The first request subscription takes the instance's own name, so that
  // events directed at the instance (target = its name) reach it.
  if ((flags & CHORUS_SUBSCRIBE_REQUESTS) && !has_request_sub_) {
    has_request_sub_ = true;
    return name();
  }
  std::string id = fmt::format("{}:{}", name(), pattern);
  for (const auto& [sid, s] : subs_) {
    if (s->subscriber_id == id) return fmt::format("{}#{}", id, next_id_);
  }
  return id;
}

Result<uint64_t> Instance::subscribe(SubscribeArgs args) {
  CHORUS_RETURN_IF_ERROR(allow(Op::kSubscribe, "subscribe"));
  CHORUS_RETURN_IF_ERROR(validate_pattern(args.pattern, "chorus_subscribe.pattern"));
  if (!settings_.policy.may_subscribe(args.pattern)) {
    violations_.fetch_add(1, std::memory_order_relaxed);
    const std::string msg =
        fmt::format("{}: subscribe to '{}' refused: outside the allowed subscribe patterns {}",
                    name(), args.pattern, settings_.policy.subscribe_text());
    plugins_log().warn("{}", msg);
    return Status::PermissionDenied(msg);
  }
  const bool requests = args.flags & CHORUS_SUBSCRIBE_REQUESTS;
  if (!args.handler && !(requests ? cb().on_request : cb().on_event))
    return Status::InvalidArgument(fmt::format(
        "{}: subscribe to '{}': the plugin has no {} callback and the subscription no handler",
        name(), args.pattern, requests ? "on_request" : "on_event"));
  if (!args.durable_group.empty() && !args.queue_group.empty())
    return Status::InvalidArgument(fmt::format(
        "{}: subscribe to '{}': a subscription is either durable (durable_group) or shares a "
        "queue group, not both",
        name(), args.pattern));
  if (!args.durable_group.empty() && requests)
    return Status::InvalidArgument(
        fmt::format("{}: subscribe to '{}': requests cannot be durable", name(), args.pattern));

  auto sub = std::make_shared<Subscription>();
  sub->pattern = std::move(args.pattern);
  sub->queue_group = std::move(args.queue_group);
  sub->durable_group = std::move(args.durable_group);
  sub->flags = args.flags;
  sub->requests = requests;
  sub->filter = args.filter;
  sub->filter_ctx = args.filter_ctx;
  sub->handler = args.handler;
  sub->handler_ctx = args.handler_ctx;
  {
    std::lock_guard t(table_mu_);
    if (subs_closed_)
      return Status::FailedPrecondition(
          fmt::format("{}: subscribe: the plugin is being unloaded", name()));
    sub->id = next_id_++;
    sub->subscriber_id = subscriber_id_for(sub->flags, sub->pattern);
    subs_.emplace(sub->id, sub);
  }
  if (phase() == Phase::kRunning) {
    if (Status st = attach(sub); !st.ok()) {
      std::lock_guard t(table_mu_);
      subs_.erase(sub->id);
      return st;
    }
  }
  return sub->id;
}

Status Instance::unsubscribe(uint64_t id) {
  std::shared_ptr<Subscription> sub;
  {
    std::lock_guard t(table_mu_);
    auto it = subs_.find(id);
    if (it == subs_.end() || it->second->closed.load(std::memory_order_acquire))
      return Status::NotFound(fmt::format("{}: no subscription {}", name(), id));
    sub = it->second;
  }
  sub->closed.store(true, std::memory_order_release);
  // A filter that saw `closed` unset may still be running on a publisher's
  // thread: the plugin may free the filter's context once this returns.
  while (sub->filters_inside.load(std::memory_order_acquire) != 0)
    std::this_thread::yield();
  if (in_callback()) {
    // The bus's unsubscribe waits for the subscription's handler, which may
    // be waiting for the callback this thread is in: detach later. The
    // closed flag, read under the callback mutex this thread holds, already
    // keeps the handler from calling the plugin.
    boost::asio::post(*links_.io, [self = shared_from_this(), sub] { self->detach(*sub); });
    return Status::OK();
  }
  detach(*sub);
  quiesce();
  return Status::OK();
}

Status Instance::attach(const std::shared_ptr<Subscription>& sub) {
  std::lock_guard b(sub->bus_mu);
  if (sub->dead || sub->attached) return Status::OK();
  bus::EventBus& bus = *links_.bus;
  Subscription* s = sub.get();
  Result<bus::SubscriptionId> r = Status::Internal("unreachable");
  if (!sub->durable_group.empty()) {
    bus::DurableOptions o;
    o.subscriber_id = sub->subscriber_id;
    o.consumer = name();
    o.batch = kDurableBatch;
    o.poll = links_.durable_poll;
    o.from_beginning = sub->flags & CHORUS_SUBSCRIBE_FROM_BEGINNING;
    r = bus.subscribe_durable(
        sub->durable_group, sub->pattern,
        [this, s](const EventPtr& e) -> Status {
          // Durable reads take no bus filter: a filter's "no" is an ack.
          if (!settings_filters_pass(*e)) return Status::OK();
          if (s->filter && !s->closed.load(std::memory_order_acquire) && !plugin_filter(*s, *e))
            return Status::OK();
          return deliver(*s, e);
        },
        o);
  } else {
    bus::SubscribeOptions o;
    o.subscriber_id = sub->subscriber_id;
    o.queue_group = sub->queue_group;
    o.filter = [this, s](const Event& e) { return filter(*s, e); };
    r = bus.subscribe(
        sub->pattern, [this, s](const EventPtr& e) { return deliver(*s, e); }, std::move(o));
  }
  if (!r.ok())
    return r.error().with_context(fmt::format("{}: subscribe to '{}'", name(), sub->pattern));
  sub->bus_id = *r;
  sub->attached = true;
  return Status::OK();
}

void Instance::detach(Subscription& sub) {
  {
    std::lock_guard d(sub.detach_mu);
    sub.detaching = true;
    sub.detach_cv.notify_all();
  }
  {
    std::lock_guard b(sub.bus_mu);
    sub.dead = true;
    if (sub.attached) {
      sub.attached = false;
      // When this returns the bus calls neither the handler nor the filter again.
      if (Status st = links_.bus->unsubscribe(sub.bus_id);
          !st.ok() && !st.is(StatusCode::kNotFound))
        plugins_log().warn("{}: unsubscribe '{}': {}", name(), sub.subscriber_id, st.to_string());
    }
  }
  std::lock_guard t(table_mu_);
  subs_.erase(sub.id);
}

bool Instance::filter(Subscription& sub, const Event& event) {
  // Draining: queued events still go out, new ones are not taken.
  if (phase() != Phase::kRunning) return false;
  return settings_filters_pass(event) && plugin_filter(sub, event);
}

bool Instance::settings_filters_pass(const Event& event) const {
  for (const TypeFilter& f : settings_.filters)
    if (topic_matches(f.pattern, event.type()) && !f.filter(event)) return false;
  return true;
}

bool Instance::plugin_filter(Subscription& sub, const Event& event) {
  if (!sub.filter) return !sub.closed.load(std::memory_order_acquire);
  sub.filters_inside.fetch_add(1, std::memory_order_acq_rel);
  bool pass = false;
  if (!sub.closed.load(std::memory_order_acquire)) {
    chorus_event_view v;
    fill_view(event, v);
    pass = sub.filter(sub.filter_ctx, &v) != 0;
  }
  sub.filters_inside.fetch_sub(1, std::memory_order_acq_rel);
  return pass;
}

Status Instance::deliver(Subscription& sub, const EventPtr& event) {
  {
    std::unique_lock lock(callback_mu_);
    const Phase p = phase();
    if (!sub.closed.load(std::memory_order_acquire) &&
        (p == Phase::kRunning || p == Phase::kDraining))
      return call_handler(sub, event);
  }
  // Unsubscribed by the plugin (from inside a callback, so the detach runs
  // later). An ephemeral event is simply not delivered. A durable one must
  // stay with the consumer group: wait until the detach has begun (it then
  // waits for this call), and fail the delivery, which gives the event back.
  if (sub.durable_group.empty()) return Status::OK();
  std::unique_lock d(sub.detach_mu);
  sub.detach_cv.wait(d, [&] { return sub.detaching; });
  return Status::Cancelled(fmt::format("{}: unsubscribed", name()));
}

Status Instance::call_handler(Subscription& sub, const EventPtr& event) {
  CallbackScope scope(this);
  chorus_event_view v;
  fill_view(*event, v);
  int32_t rc;
  if (sub.handler)
    rc = sub.handler(sub.handler_ctx, &v);
  else
    rc = (sub.requests ? cb().on_request : cb().on_event)(state_, &v);
  if (rc == CHORUS_OK) {
    delivered_.fetch_add(1, std::memory_order_relaxed);
    return Status::OK();
  }
  Status error =
      status_from_plugin(rc, CallbackScope::error(), sub.requests ? "on_request" : "on_event");
  if (sub.requests) {
    // The requester gets the error; the delivery itself succeeded.
    error_replies_.fetch_add(1, std::memory_order_relaxed);
    send_error_reply(*event, error);
    return Status::OK();
  }
  failed_.fetch_add(1, std::memory_order_relaxed);
  return error.with_context(name());
}

void Instance::wait_drained(std::chrono::steady_clock::time_point deadline, UnloadReport& report) {
  std::vector<std::string> ids;
  {
    std::lock_guard t(table_mu_);
    for (const auto& [id, s] : subs_)
      if (s->durable_group.empty()) ids.push_back(s->subscriber_id);
  }
  if (ids.empty()) return;
  // The bus has no "drained" notification: look at the queue depths, which
  // only fall now that the filters refuse new events.
  for (;;) {
    uint64_t queued = 0;
    for (const bus::SubscriberStats& s : links_.bus->stats().subscribers) {
      for (const std::string& id : ids)
        if (s.id == id) queued += s.queue_depth;
    }
    if (queued == 0) return;
    if (std::chrono::steady_clock::now() >= deadline) {
      report.queued_dropped = queued;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace chorus::plugins
