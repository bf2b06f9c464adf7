// Persistence: the bus over a DurableLog. Persistent types (store.persist
// patterns) are appended before they are delivered, synchronously or with
// delivery in commit order through one strand; durable subscriptions are
// consumer-group members reading the log on threads of their own.
#include <boost/asio/post.hpp>
#include <fmt/core.h>

#include "bus/bus_impl.h"
#include "core/text.h"
#include "core/topic.h"

namespace chorus::bus {

Status EventBus::Impl::set_durable_log(std::shared_ptr<DurableLog> log,
                                       std::vector<std::string> persist) {
  for (const auto& p : persist) {
    Status s = validate_pattern(p);
    if (!s.ok()) return s.with_context("store.persist");
  }
  std::unique_lock lock(subs_mu);
  durable_log = std::move(log);
  persist_patterns = std::move(persist);
  persist_any = !persist_patterns.empty();
  generation.fetch_add(1, std::memory_order_acq_rel);  // cached results carry `persistent`
  return Status::OK();
}

bool EventBus::Impl::is_persistent(const Event& ev) {
  return with_match(ev, [](const MatchResult& r) { return r.persistent; });
}

Status EventBus::Impl::after_append(const EventPtr& ev, const Status& appended, bool duplicate) {
  if (!appended.ok()) {
    publish_errors.fetch_add(1, std::memory_order_relaxed);
    return appended.with_context(fmt::format("publish '{}': not stored", ev->type()));
  }
  persisted.fetch_add(1, std::memory_order_relaxed);
  if (duplicate) {
    persist_duplicates.fetch_add(1, std::memory_order_relaxed);
    return Status::OK();
  }
  return dispatch(ev);
}

void EventBus::Impl::publish_async(const EventPtr& original,
                                   std::function<void(const Status&)> done) {
  if (Status s = check_publishable(original); !s.ok()) return done(s);
  EventPtr ev = original;
  if (const Chains* c = chains.load(std::memory_order_acquire); c && !c->before.empty()) {
    if (Status s = run_before_hooks(*c, ev); !s.ok()) return done(s);
  }
  if (!durable_log || !persist_any || !is_persistent(*ev)) return done(dispatch(ev));
  durable_log->append_async(
      ev, [self = shared_from_this(), ev, done = std::move(done)](const Status& s, bool duplicate) {
        // On the log's thread: hand over to the persist strand, which delivers
        // in commit order.
        boost::asio::post(self->persist_strand, [self, ev, done, s, duplicate] {
          done(self->after_append(ev, s, duplicate));
        });
      });
}

Result<SubscriptionId> EventBus::Impl::subscribe_durable(std::string_view group,
                                                         std::string_view pattern, Handler handler,
                                                         DurableOptions o) {
  if (stopping.load(std::memory_order_acquire))
    return Status::Unavailable("subscribe_durable: the bus is shutting down");
  const std::string who = fmt::format("subscribe_durable '{}'", printable(group));
  if (!durable_log)
    return Status::FailedPrecondition(
        fmt::format("{}: no durable log (the host runs without a store)", who));
  if (!handler) return Status::InvalidArgument(fmt::format("{}: the handler is empty", who));
  CHORUS_RETURN_IF_ERROR(validate_pattern(pattern).with_context(who));
  if (!o.subscriber_id.empty()) {
    std::string why = check_subscriber_id(o.subscriber_id);
    if (!why.empty()) return Status::InvalidArgument(fmt::format("{}: subscriber id {}", who, why));
  }
  if (o.batch == 0)
    return Status::InvalidArgument(fmt::format("{}: batch must be at least 1", who));
  auto g = durable_log->open_group(group, pattern, o.from_beginning);
  if (!g.ok()) return g.error().with_context(who);
  std::unique_lock lock(subs_mu);
  const SubscriptionId sid = next_sid++;
  std::string id = o.subscriber_id.empty() ? fmt::format("durable-{}", sid) : o.subscriber_id;
  if (by_name.count(id))
    return Status::AlreadyExists(fmt::format("{}: subscriber id '{}' is already in use", who, id));
  auto ds = std::make_unique<DurableSubscriber>(sid, id, std::string(group), std::string(pattern),
                                                std::move(handler), std::move(o), std::move(*g));
  ds->start();
  by_name.emplace(std::move(id), sid);
  durable_subscribers.emplace(sid, std::move(ds));
  return sid;
}

void EventBus::Impl::retire(std::unique_ptr<DurableSubscriber> ds) {
  ds->stop();
  if (ds->on_own_thread()) {  // from inside its handler: join it later
    std::lock_guard lock(retired_mu);
    retired_durable_subscribers.push_back(std::move(ds));
  }
}

}  // namespace chorus::bus
