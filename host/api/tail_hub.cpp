// The bus side of WebSocket tails (tail_hub.h).
#include "api/tail_hub.h"

#include <fmt/core.h>

#include "api/tail_queue.h"
#include "bus/event_bus.h"

namespace chorus::api {

Result<uint64_t> TailHub::open(const std::vector<std::string>& patterns,
                               const std::shared_ptr<TailQueue>& queue) {
  std::lock_guard l(mu_);
  if (closed_) return Status::Unavailable("the API is stopping: no new tails");
  const uint64_t id = next_++;
  bus::SubscribeOptions o;
  o.subscriber_id = fmt::format("tail-{}", id);
  o.mode = bus::DeliveryMode::kInline;  // the handler only queues: cheap and thread-safe
  o.observe_all = true;                 // a tap: sees directed events too
  auto sub = bus_.subscribe(
      patterns,
      [queue](const EventPtr& e) {
        queue->push(e);
        return Status::OK();
      },
      std::move(o));
  if (!sub.ok()) return sub.error();
  subs_.emplace(id, *sub);
  return id;
}

void TailHub::close(uint64_t id) {
  std::lock_guard l(mu_);
  auto it = subs_.find(id);
  if (it == subs_.end()) return;
  (void)bus_.unsubscribe(it->second);
  subs_.erase(it);
}

void TailHub::close_all() {
  std::lock_guard l(mu_);
  closed_ = true;
  for (const auto& [id, sub] : subs_)
    (void)bus_.unsubscribe(sub);
  subs_.clear();
}

size_t TailHub::size() const {
  std::lock_guard l(mu_);
  return subs_.size();
}

}  // namespace chorus::api
