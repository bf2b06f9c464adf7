// Subscriptions: validating and adding a subscriber to the table, the trie
// and the live snapshot; removing it and closing it (the unsubscribe
// guarantee: after close() no handler call is in progress or will start).
#include <fmt/core.h>

#include "bus/bus_impl.h"
#include "core/text.h"
#include "core/topic.h"

namespace chorus::bus {

std::string check_subscriber_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxEventFieldBytes)  // it may be an event's `target`
    return fmt::format("must be 1 to {} bytes", kMaxEventFieldBytes);
  for (char ch : id) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) return "contains a control character";
  }
  if (!is_valid_utf8(id)) return "is not valid UTF-8";
  return {};
}

Result<SubscriptionId> EventBus::Impl::subscribe(const std::vector<std::string>& patterns,
                                                 Handler handler, SubscribeOptions o) {
  if (stopping.load(std::memory_order_acquire))
    return Status::Unavailable("subscribe: the bus is shutting down");
  const std::string who = o.subscriber_id.empty()
                              ? "subscribe"
                              : fmt::format("subscribe '{}'", printable(o.subscriber_id));
  if (!handler) return Status::InvalidArgument(fmt::format("{}: the handler is empty", who));
  if (patterns.empty()) return Status::InvalidArgument(fmt::format("{}: no pattern given", who));
  for (const auto& p : patterns) {
    Status s = validate_pattern(p);
    if (!s.ok()) return s.with_context(who);
  }
  if (!o.subscriber_id.empty()) {
    std::string why = check_subscriber_id(o.subscriber_id);
    if (!why.empty()) return Status::InvalidArgument(fmt::format("{}: subscriber id {}", who, why));
  }
  if (o.queue_bound && *o.queue_bound == 0)
    return Status::InvalidArgument(fmt::format("{}: queue_bound must be at least 1", who));
  if (o.retry && o.retry->max_attempts < 1)
    return Status::InvalidArgument(fmt::format("{}: retry.max_attempts must be at least 1", who));

  std::unique_lock lock(subs_mu);
  const SubscriptionId sid = next_sid++;
  std::string id = o.subscriber_id.empty() ? fmt::format("sub-{}", sid) : o.subscriber_id;
  if (by_name.count(id))
    return Status::AlreadyExists(
        fmt::format("subscribe: subscriber id '{}' is already in use", id));
  if (!o.queue_group.empty() && !group_counters.count(o.queue_group))
    group_counters.emplace(o.queue_group, std::make_unique<std::atomic<uint64_t>>(0));
  auto s = std::make_shared<Subscriber>(io, sid, id, patterns, std::move(handler), o, options);
  for (const auto& p : s->patterns)
    trie.insert(p, s.get());
  by_sid.emplace(sid, s);
  by_name.emplace(std::move(id), sid);
  add_to_live_set(s);
  return sid;
}

Status EventBus::Impl::unsubscribe(SubscriptionId sid) {
  SubscriberPtr s;
  {
    std::unique_lock lock(subs_mu);
    if (auto d = durable_subscribers.find(sid); d != durable_subscribers.end()) {
      std::unique_ptr<DurableSubscriber> ds = std::move(d->second);
      durable_subscribers.erase(d);
      by_name.erase(ds->id);
      lock.unlock();
      retire(std::move(ds));
      return Status::OK();
    }
    auto it = by_sid.find(sid);
    if (it == by_sid.end())
      return Status::NotFound(fmt::format("unsubscribe: no subscription {}", sid));
    s = it->second;
    for (const auto& p : s->patterns)
      trie.remove(p, s.get());
    by_name.erase(s->id);
    by_sid.erase(it);
    remove_from_live_set();
  }
  close(*s, QueuedOnClose::kDrop);
  return Status::OK();
}

bool EventBus::Impl::close(Subscriber& s, QueuedOnClose queued,
                           std::chrono::steady_clock::time_point deadline) {
  s.guard.close();
  std::vector<QueuedEvent> left;
  s.queue.close(&left);
  for (auto& d : left) {
    if (queued == QueuedOnClose::kDeadLetter) {
      dead_letter(s, d.event, "shutdown: not delivered within the shutdown timeout", 0);
    } else {
      s.dropped.fetch_add(1, std::memory_order_relaxed);
    }
  }
  {
    std::lock_guard lock(s.timers_mu);
    for (auto& [key, timer] : s.timers)
      timer->cancel();
  }
  const uint32_t own = own_calls(&s);
  if (!s.guard.wait(own, deadline)) return false;
  // Release the handler's captured state now, unless this thread is inside
  // it (then the last reference releases it).
  if (own == 0) {
    s.handler = nullptr;
    s.filter = nullptr;
  }
  return true;
}

std::vector<SubscriberPtr> EventBus::Impl::all_subscribers() const {
  std::shared_lock lock(subs_mu);
  std::vector<SubscriberPtr> out;
  out.reserve(by_sid.size());
  for (const auto& [sid, s] : by_sid)
    out.push_back(s);
  return out;
}

SubscriberPtr EventBus::Impl::find_subscriber(const std::string& id) const {
  std::shared_lock lock(subs_mu);
  auto it = by_name.find(id);
  if (it == by_name.end()) return nullptr;
  // A durable subscription's name maps to no bus subscriber (by_sid).
  auto sub = by_sid.find(it->second);
  return sub == by_sid.end() ? nullptr : sub->second;
}

void EventBus::Impl::add_to_live_set(const SubscriberPtr& s) {
  auto next = std::make_shared<SubscriberSet>(*live_set);
  if (!next->chunks.empty() && next->chunks.back()->size() < SubscriberSet::kChunk) {
    auto last = std::make_shared<SubscriberSet::Chunk>(*next->chunks.back());
    last->push_back(s);
    next->chunks.back() = std::move(last);
  } else {
    next->chunks.push_back(std::make_shared<const SubscriberSet::Chunk>(SubscriberSet::Chunk{s}));
  }
  live_set = std::move(next);
  generation.fetch_add(1, std::memory_order_acq_rel);
}

void EventBus::Impl::remove_from_live_set() {
  if (++unsubscribed_in_set > by_sid.size() && unsubscribed_in_set > SubscriberSet::kChunk) {
    auto next = std::make_shared<SubscriberSet>();
    SubscriberSet::Chunk chunk;
    for (const auto& [sid, sub] : by_sid) {
      chunk.push_back(sub);
      if (chunk.size() == SubscriberSet::kChunk) {
        next->chunks.push_back(std::make_shared<const SubscriberSet::Chunk>(std::move(chunk)));
        chunk.clear();
      }
    }
    if (!chunk.empty())
      next->chunks.push_back(std::make_shared<const SubscriberSet::Chunk>(std::move(chunk)));
    live_set = std::move(next);
    unsubscribed_in_set = 0;
  }
  generation.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace chorus::bus
