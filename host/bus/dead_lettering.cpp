// Dead letters as the bus uses them: recording an event a subscriber could
// not take (in the DeadLetterStore it was given), replaying one to its
// subscriber or to everyone, and dropping one.
#include <fmt/core.h>

#include "bus/bus_impl.h"
#include "bus/logger.h"
#include "core/clock.h"

namespace chorus::bus {

void EventBus::Impl::dead_letter(Subscriber& s, const EventPtr& ev, std::string reason,
                                 uint32_t attempts) {
  s.dead_lettered.fetch_add(1, std::memory_order_relaxed);
  // While a breaker is open every event lands here: those go to debug, the
  // breaker's own transitions are logged at info.
  logger().log(
      attempts == 0 && reason == "circuit open" ? spdlog::level::debug : spdlog::level::warn,
      "dead letter: '{}' ({}) for subscriber '{}' after {} attempt{}: {}", ev->type(),
      ev->id().to_string(), s.id, attempts, attempts == 1 ? "" : "s", reason);
  auto r = dead_letters->add(DeadLetter{0, ev, s.id, std::move(reason), attempts, wall_clock_ns()});
  if (!r.ok()) logger().error("dead letter store refused an entry: {}", r.error().to_string());
}

Status EventBus::Impl::replay_dead_letter(uint64_t id, ReplayTarget target) {
  auto dl = dead_letters->get(id);
  if (!dl) return Status::NotFound(fmt::format("dead letter {} does not exist", id));
  if (target == ReplayTarget::kRepublish) {
    CHORUS_RETURN_IF_ERROR(publish(dl->event));
    dead_letters->take(id);
    return Status::OK();
  }
  // A durable subscription's failures are its consumer group's, not
  // replayable here: its name finds no bus subscriber.
  SubscriberPtr s = find_subscriber(dl->subscriber_id);
  if (!s)
    return Status::NotFound(
        fmt::format("dead letter {}: subscriber '{}' is gone", id, dl->subscriber_id));
  if (stopping.load()) return Status::Unavailable("replay: the bus is shutting down");
  // Straight to the subscriber that failed it, with fresh attempts: its
  // filter already accepted this event once.
  CHORUS_RETURN_IF_ERROR(offer(*s, dl->event));
  dead_letters->take(id);
  return Status::OK();
}

Status EventBus::Impl::drop_dead_letter(uint64_t id) {
  if (!dead_letters->take(id))
    return Status::NotFound(fmt::format("dead letter {} does not exist", id));
  return Status::OK();
}

}  // namespace chorus::bus
