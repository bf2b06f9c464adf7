// What instances wait for: durable timers (sleep, await timeouts), awaited
// events (one bus subscription per awaited pattern, shared by the instances
// awaiting it, plus the store from `from_seq` when an await resumes after a
// restart) and requests (docs/workflows.md "Replay").
#include <fmt/core.h>
#include <lua.hpp>

#include "core/clock.h"
#include "discovery/registry.h"
#include "lua/lua_json.h"
#include "store/event_store.h"
#include "workflows/engine_impl.h"
#include "workflows/ids.h"

namespace chorus::workflows {

int64_t EngineImpl::now_ns() const {
  return wall_clock_ns() + clock_offset_ns;
}

void EngineImpl::arm_timer(Instance& in, int64_t deadline_ns) {
  in.wait.token = next_token++;
  if (options.virtual_time) {
    virtual_timers.emplace(deadline_ns, std::make_pair(in.id, in.wait.token));
    return;
  }
  in.wait.timer = std::make_unique<boost::asio::steady_timer>(*services.io);
  const int64_t left = std::max<int64_t>(0, deadline_ns - now_ns());
  in.wait.timer->expires_after(std::chrono::nanoseconds(left));
  in.wait.timer->async_wait([w = weak_from_this(), id = in.id,
                             token = in.wait.token](const boost::system::error_code& ec) {
    if (ec) return;
    if (auto self = w.lock()) self->post([id, token](EngineImpl& e) { e.on_timer(id, token); });
  });
}

void EngineImpl::disarm(Instance& in) {
  PendingWait& w = in.wait;
  if (w.timer) {
    w.timer->cancel();
    w.timer.reset();
  }
  if (!w.pattern.empty()) {
    unwatch(w.pattern, in.id);
    w.pattern.clear();
  }
  w.kind.clear();
  w.seq = 0;
  w.token = 0;
  w.candidates.clear();
  w.seen.clear();
  w.in_next = false;
}

void EngineImpl::on_timer(const std::string& id, uint64_t token) {
  auto it = instances.find(id);
  if (it == instances.end()) return;
  Instance& in = *it->second;
  if (in.wait.token != token || in.stopped) return;
  const uint32_t seq = in.wait.seq;
  if (in.wait.kind == "sleep") {
    record_completed(in, seq, Completion{});
    disarm(in);
    resume(in, nullptr);
  } else if (in.wait.kind == "await") {
    Completion c;
    c.timeout = true;
    record_completed(in, seq, c);
    const bool waiting = in.wait.in_next;
    disarm(in);
    if (waiting)
      resume(in, [](lua_State* co) {
        lua_pushnil(co);
        lua_pushstring(co, "timeout");
        return 2;
      });
  }
}

void EngineImpl::arm_await(Instance& in, uint32_t seq, const std::string& pattern,
                           int64_t deadline_ns, uint64_t from_seq) {
  in.wait.kind = "await";
  in.wait.seq = seq;
  if (deadline_ns > 0) {
    arm_timer(in, deadline_ns);
  } else {
    in.wait.token = next_token++;
  }
  Status watched = watch(pattern, in.id);
  if (!watched.ok()) {
    workflows_log().error("workflow instance {}: await '{}': {}", in.id, pattern,
                          watched.message());
    return;
  }
  in.wait.pattern = pattern;
  if (from_seq == 0) return;
  // Resuming after a restart: events of the pattern stored meanwhile first.
  uint64_t from = from_seq;
  for (;;) {
    auto page = services.store->read_types(pattern, from, store::Direction::kForward, 1000);
    if (!page.ok()) break;
    for (const store::StoredEvent& se : page->events) {
      const std::string eid = se.event->id().to_string();
      if (!in.wait.seen.insert(eid).second) continue;
      in.wait.candidates.push_back(
          std::make_shared<const OfferedEvent>(OfferedEvent{event_table_json(*se.event), eid}));
    }
    if (page->end || page->events.empty()) break;
    from = page->next;
  }
}

Status EngineImpl::watch(const std::string& pattern, const std::string& id) {
  auto it = await_subs.find(pattern);
  if (it == await_subs.end()) {
    bus::SubscribeOptions o;
    o.mode = bus::DeliveryMode::kInline;
    auto sub = services.bus->subscribe(
        pattern,
        [w = weak_from_this(), pattern](const EventPtr& ev) {
          if (auto self = w.lock())
            self->post([pattern, ev](EngineImpl& e) { e.on_pattern_event(pattern, ev); });
          return Status::OK();
        },
        o);
    if (!sub.ok()) return sub.error();
    AwaitSub fresh;
    fresh.id = *sub;
    it = await_subs.emplace(pattern, std::move(fresh)).first;
  }
  AwaitSub& a = it->second;
  if (a.arrival.count(id)) return Status::OK();
  const uint64_t n = next_arrival++;
  a.arrival.emplace(id, n);
  a.waiters.emplace(n, id);
  return Status::OK();
}

void EngineImpl::unwatch(const std::string& pattern, const std::string& id) {
  auto it = await_subs.find(pattern);
  if (it == await_subs.end()) return;
  AwaitSub& a = it->second;
  if (auto at = a.arrival.find(id); at != a.arrival.end()) {
    a.waiters.erase(at->second);
    a.arrival.erase(at);
  }
  if (!a.waiters.empty()) return;
  (void)services.bus->unsubscribe(it->second.id);
  await_subs.erase(it);
}

void EngineImpl::on_pattern_event(const std::string& pattern, const EventPtr& ev) {
  auto it = await_subs.find(pattern);
  if (it == await_subs.end()) return;
  // Offering resumes instances, which may end their wait or begin another
  // (changing the waiters): offer to the waiters of this moment.
  std::vector<std::string> ids;
  ids.reserve(it->second.waiters.size());
  for (const auto& [n, id] : it->second.waiters)
    ids.push_back(id);
  const std::string eid = ev->id().to_string();
  OfferedEventPtr offered;  // encoded once, for the first instance that takes it
  for (const std::string& id : ids) {
    auto found = instances.find(id);
    if (found == instances.end()) continue;
    Instance& in = *found->second;
    if (in.wait.kind != "await" || in.wait.pattern != pattern || in.stopped) continue;
    if (!in.wait.seen.insert(eid).second) continue;
    if (!offered)
      offered = std::make_shared<const OfferedEvent>(OfferedEvent{event_table_json(*ev), eid});
    in.wait.candidates.push_back(offered);
    offer_candidate(in);
  }
}

void EngineImpl::offer_candidate(Instance& in) {
  if (in.wait.kind != "await" || !in.wait.in_next || in.wait.candidates.empty()) return;
  in.wait.in_next = false;
  in.wait.current = std::move(in.wait.candidates.front());
  in.wait.candidates.pop_front();
  // The pusher runs first in resume, before Lua can change the wait.
  const std::string& json = in.wait.current->json;
  JsonPushCache& cache = in.state->json_cache;
  resume(in, [&json, &cache](lua_State* co) {
    std::string err;
    if (!cache.push(co, json, &err)) lua_pushnil(co);
    return 1;
  });
}

void EngineImpl::send_request(Instance& in, uint32_t seq, const std::string& capability,
                              const std::string& type, const std::string& data_json,
                              int64_t deadline_ns) {
  in.wait.kind = capability.empty() ? "request" : "request_capability";
  in.wait.seq = seq;
  in.wait.token = next_token++;
  EventBuilder b(type);
  b.source(in.started.workflow)
      .correlation_id(in.started.correlation)
      .data(data_json, "application/json")
      .metadata("idempotencykey", idempotency_key(in.id, seq));
  if (!in.cause_id.empty()) b.causation_id(in.cause_id);
  auto ev = b.build();
  auto done = [w = weak_from_this(), id = in.id, token = in.wait.token](Result<EventPtr> r) {
    if (auto self = w.lock())
      self->post([id, token, r = std::move(r)](EngineImpl& e) mutable {
        e.on_reply(id, token, std::move(r));
      });
  };
  if (!ev.ok()) {
    done(ev.error());
    return;
  }
  const auto timeout =
      std::chrono::milliseconds(std::max<int64_t>(1, (deadline_ns - now_ns()) / 1'000'000));
  if (capability.empty()) {
    services.bus->request(*ev, timeout, std::move(done));
  } else if (!services.registry) {
    // No discovery (`chorus test`): a plain request of the request's type.
    services.bus->request(*ev, timeout, std::move(done));
  } else {
    discovery::RequestOptions o;
    o.timeout = timeout;
    services.registry->request_by_capability(capability, *ev, o, std::move(done));
  }
}

void EngineImpl::on_reply(const std::string& id, uint64_t token, Result<EventPtr> reply) {
  auto it = instances.find(id);
  if (it == instances.end()) return;
  Instance& in = *it->second;
  if (in.wait.token != token || in.stopped) return;
  const uint32_t seq = in.wait.seq;
  Completion c;
  if (reply.ok()) {
    c.result = event_table_json(**reply);
    in.cause_id = (*reply)->id().to_string();
  } else {
    c.is_error = true;
    c.error = reply.error().to_string();
  }
  record_completed(in, seq, c);
  disarm(in);
  resume(in, [c](lua_State* co) {
    if (c.is_error) {
      lua_pushnil(co);
      lua_pushlstring(co, c.error.data(), c.error.size());
      return 2;
    }
    std::string err;
    if (!lua::push_json(co, c.result, &err)) lua_pushnil(co);
    return 1;
  });
}

}  // namespace chorus::workflows
