// EventBus: the facade. Every call forwards to EventBus::Impl (bus_impl.h),
// whose concerns live in one file each; what is here is construction,
// destruction and the few calls that only shape their arguments.
#include "bus/event_bus.h"

#include <boost/asio/strand.hpp>

#include "bus/bus_impl.h"

namespace chorus::bus {

namespace {
std::atomic<uint64_t> g_next_bus_id{1};
}  // namespace

EventBus::Impl::Impl(boost::asio::io_context& io_, const BusOptions& o,
                     std::unique_ptr<DeadLetterStore> dl)
    : io(io_),
      options(o),
      dead_letters(dl ? std::move(dl)
                      : std::make_unique<MemoryDeadLetterStore>(o.dead_letter_capacity)),
      bus_id(g_next_bus_id.fetch_add(1)),
      persist_strand(boost::asio::make_strand(io_)) {}

EventBus::EventBus(boost::asio::io_context& io, const BusOptions& options,
                   std::unique_ptr<DeadLetterStore> dead_letters)
    : impl_(std::make_shared<Impl>(io, options, std::move(dead_letters))) {}

EventBus::~EventBus() {
  (void)impl_->shutdown(impl_->options.shutdown_timeout);
  impl_->wait_for_running_handlers();
}

Result<SubscriptionId> EventBus::subscribe(std::string_view pattern, Handler handler,
                                           SubscribeOptions options) {
  return impl_->subscribe({std::string(pattern)}, std::move(handler), std::move(options));
}

Result<SubscriptionId> EventBus::subscribe(const std::vector<std::string>& patterns,
                                           Handler handler, SubscribeOptions options) {
  return impl_->subscribe(patterns, std::move(handler), std::move(options));
}

Status EventBus::unsubscribe(SubscriptionId id) {
  return impl_->unsubscribe(id);
}

Status EventBus::publish(const EventPtr& event) {
  return impl_->publish(event);
}

Status EventBus::publish_batch(std::span<const EventPtr> events) {
  return impl_->publish_batch(events);
}

Status EventBus::deliver_stored(const EventPtr& event) {
  CHORUS_RETURN_IF_ERROR(impl_->check_publishable(event));
  return impl_->dispatch(event);
}

void EventBus::publish_async(const EventPtr& event, std::function<void(const Status&)> done) {
  impl_->publish_async(event, std::move(done));
}

Status EventBus::set_durable_log(std::shared_ptr<DurableLog> log,
                                 std::vector<std::string> persist) {
  return impl_->set_durable_log(std::move(log), std::move(persist));
}

Result<SubscriptionId> EventBus::subscribe_durable(std::string_view group, std::string_view pattern,
                                                   Handler handler, DurableOptions options) {
  return impl_->subscribe_durable(group, pattern, std::move(handler), std::move(options));
}

void EventBus::request(EventPtr request, std::chrono::milliseconds timeout, ReplyCallback done) {
  impl_->request(std::move(request), timeout, std::move(done));
}

std::future<Result<EventPtr>> EventBus::request(EventPtr request,
                                                std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<Result<EventPtr>>>();
  auto fut = promise->get_future();
  impl_->request(std::move(request), timeout,
                 [promise](Result<EventPtr> r) { promise->set_value(std::move(r)); });
  return fut;
}

Status EventBus::reply(const Event& request, EventBuilder reply) {
  reply.caused_by(request).target(request.source()).metadata(kReplyMetadataKey, "true");
  CHORUS_ASSIGN_OR_RETURN(EventPtr ev, reply.build());
  return impl_->publish(std::move(ev));
}

bool EventBus::is_reply(const Event& e) noexcept {
  if (e.metadata().empty() || e.causation_id().empty()) return false;
  auto v = e.find_metadata(kReplyMetadataKey);
  return v && *v == "true";
}

void EventBus::add_before_publish(std::string name, BeforePublishHook hook) {
  impl_->add_before_publish(std::move(name), std::move(hook));
}

void EventBus::add_around_deliver(std::string name, AroundDeliverHook hook) {
  impl_->add_around_deliver(std::move(name), std::move(hook));
}

DeadLetterStore& EventBus::dead_letters() {
  return *impl_->dead_letters;
}

Status EventBus::replay_dead_letter(uint64_t id, ReplayTarget target) {
  return impl_->replay_dead_letter(id, target);
}

Status EventBus::drop_dead_letter(uint64_t id) {
  return impl_->drop_dead_letter(id);
}

BusStats EventBus::stats() const {
  return impl_->stats();
}

size_t EventBus::count_matching(const Event& e) {
  return impl_->count_matching(e);
}

Status EventBus::shutdown(std::optional<std::chrono::milliseconds> timeout) {
  return impl_->shutdown(timeout.value_or(impl_->options.shutdown_timeout));
}

bool EventBus::stopping() const noexcept {
  return impl_->stopping.load(std::memory_order_acquire);
}

}  // namespace chorus::bus
