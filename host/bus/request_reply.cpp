// Request/reply: a request is published after a responder check and waits in
// the request table for the first reply (an event that names it as its
// causation and is marked as a reply), its timeout, or shutdown.
#include <boost/asio/steady_timer.hpp>
#include <fmt/core.h>

#include "bus/bus_impl.h"

namespace chorus::bus {

// A reply that matches no waiting request (it came after the timeout, or
// answers a request this bus did not send) is counted and then delivered
// like any event.
void EventBus::Impl::complete_reply(const EventPtr& ev) {
  if (requests.size() > 0) {
    auto id = Uuid::parse(ev->causation_id());
    if (id.ok() && requests.complete(*id, ev)) return;
  }
  replies_late.fetch_add(1, std::memory_order_relaxed);
}

bool EventBus::Impl::has_responders(const Event& ev) {
  return with_match(ev, [&](const MatchResult& r) {
    for (const Subscriber* s : r.subs)
      if (s->accepts_target(ev)) return true;
    for (const auto& g : r.groups)
      for (const Subscriber* m : g.members)
        if (m->accepts_target(ev)) return true;
    return false;
  });
}

void EventBus::Impl::request(EventPtr req, std::chrono::milliseconds timeout, ReplyCallback done) {
  if (!req) return done(Status::InvalidArgument("request: null event"));
  if (stopping.load(std::memory_order_acquire))
    return done(
        Status::Unavailable(fmt::format("request '{}': the bus is shutting down", req->type())));
  if (!has_responders(*req))
    return done(Status::NoResponders(fmt::format("request '{}': no responders", req->type())));
  auto timer = std::make_shared<boost::asio::steady_timer>(io, timeout);
  const Uuid id = req->id();
  if (!requests.add(id, done, timer))
    return done(Status::AlreadyExists(
        fmt::format("request '{}': a request with id {} is already waiting for its reply",
                    req->type(), id.to_string())));
  timer->async_wait([self = shared_from_this(), id, type = std::string(req->type()),
                     timeout](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: completed by a reply or shutdown
    self->requests.complete(id, Status::Timeout(fmt::format("request '{}': no reply within {}ms",
                                                            type, timeout.count())));
  });
  Status st = publish(req);
  if (!st.ok()) requests.complete(id, st);
}

}  // namespace chorus::bus
