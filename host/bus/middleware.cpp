// Middleware: the before-publish and around-deliver chains. A change
// publishes a new immutable snapshot (readers load one pointer, take no
// lock); the before-publish hooks run here, each guarded so that a throwing
// or event-clearing hook fails its publish instead of the bus.
#include <fmt/core.h>

#include "bus/bus_impl.h"

namespace chorus::bus {

namespace {

Status run_before_hook(const std::string& name, const BeforePublishHook& hook, EventPtr& ev) {
  try {
    Status s = hook(ev);
    if (!s.ok())
      return s.with_context(fmt::format("publish '{}' rejected by '{}'", ev->type(), name));
    if (!ev)
      return Status::Internal(fmt::format("before-publish hook '{}' cleared the event", name));
    return s;
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("before-publish hook '{}' threw: {}", name, e.what()));
  } catch (...) {
    return Status::Internal(
        fmt::format("before-publish hook '{}' threw a non-standard exception", name));
  }
}

// Publishes a changed copy of the chains; readers keep using the old one
// until they load the pointer again (it stays alive with the bus).
template <typename Change>
void update_chains(EventBus::Impl& bus, Change&& change) {
  std::lock_guard lock(bus.chains_mu);
  const EventBus::Impl::Chains* cur = bus.chains.load(std::memory_order_acquire);
  auto next = std::make_unique<EventBus::Impl::Chains>(cur ? *cur : EventBus::Impl::Chains{});
  change(*next);
  bus.chains.store(next.get(), std::memory_order_release);
  bus.chain_history.push_back(std::move(next));
}

}  // namespace

void EventBus::Impl::add_before_publish(std::string name, BeforePublishHook hook) {
  update_chains(*this, [&](Chains& c) { c.before.emplace_back(std::move(name), std::move(hook)); });
}

void EventBus::Impl::add_around_deliver(std::string name, AroundDeliverHook hook) {
  update_chains(*this, [&](Chains& c) { c.around.emplace_back(std::move(name), std::move(hook)); });
}

Status EventBus::Impl::run_before_hooks(const Chains& c, EventPtr& ev) {
  for (const auto& [name, hook] : c.before) {
    Status s = run_before_hook(name, hook, ev);
    if (!s.ok()) {
      publish_errors.fetch_add(1, std::memory_order_relaxed);
      return s;
    }
  }
  return Status::OK();
}

}  // namespace chorus::bus
