// Registry: the facade over Registry::Core (registry.h, registry_core.h).
#include "discovery/registry.h"

#include "discovery/registry_core.h"

namespace chorus::discovery {

Result<std::unique_ptr<Registry>> Registry::open(RegistryEnv env, DiscoveryOptions options) {
  if (!env.io) return Status::InvalidArgument("discovery registry: no io_context");
  std::vector<ServiceSpec> statics = std::move(options.static_services);
  options.static_services.clear();
  auto core = std::make_shared<Core>(std::move(env), std::move(options));
  std::weak_ptr<Core> weak = core;
  core->checker = std::make_unique<HealthChecker>(*core->env.io, core->options.max_checks_in_flight,
                                                  core->options.check, [weak](CheckResult r) {
                                                    if (auto c = weak.lock())
                                                      c->on_check_result(std::move(r));
                                                  });
  if (core->env.bus) core->events = std::make_unique<EventPublisher>(*core->env.io, *core->env.bus);
  Status s = core->load();
  if (s.ok()) {
    core->options.static_services = statics;
    s = core->set_static_services(std::move(statics));
  }
  if (!s.ok()) {
    core->shutdown();
    return s;
  }
  core->sweep();
  core->start_timers();
  return std::unique_ptr<Registry>(new Registry(std::move(core)));
}

Registry::Registry(std::shared_ptr<Core> core) : core_(std::move(core)) {}

Registry::~Registry() {
  shutdown();
}

Status Registry::register_service(ServiceSpec spec, RegisterOptions options) {
  return core_->register_service(std::move(spec), options, Origin::kDynamic);
}

Status Registry::unregister(std::string_view id) {
  return core_->unregister(id);
}

Status Registry::heartbeat(std::string_view id) {
  return core_->heartbeat(id);
}

Status Registry::set_status(std::string_view id, ServiceStatus status) {
  return core_->set_status(id, status);
}

Result<ServiceInfo> Registry::get(std::string_view id) const {
  return core_->get(id);
}

std::vector<ServiceInfo> Registry::discover(const Query& query) const {
  return core_->discover(query);
}

Result<ServiceInfo> Registry::select(std::string_view capability, const SelectOptions& options) {
  return core_->select(capability, options);
}

void Registry::release(std::string_view id) {
  core_->release(id);
}

void Registry::release(const ServiceInfo& selected) {
  core_->release(selected);
}

void Registry::record_response_time(std::string_view id, std::chrono::microseconds elapsed) {
  core_->record_response_time(id, elapsed);
}

void Registry::request_by_capability(std::string_view capability, EventPtr request,
                                     RequestOptions options, ReplyCallback done) {
  start_capability_request(core_, std::string(capability), std::move(request), std::move(options),
                           std::move(done));
}

std::future<Result<EventPtr>> Registry::request_by_capability(std::string_view capability,
                                                              EventPtr request,
                                                              RequestOptions options) {
  auto promise = std::make_shared<std::promise<Result<EventPtr>>>();
  auto fut = promise->get_future();
  request_by_capability(capability, std::move(request), std::move(options),
                        [promise](Result<EventPtr> r) { promise->set_value(std::move(r)); });
  return fut;
}

Status Registry::add_custom_check(std::string name, CustomCheck check) {
  return core_->checker->add_custom(std::move(name), std::move(check));
}

Status Registry::remove_custom_check(std::string_view name) {
  return core_->checker->remove_custom(name);
}

Status Registry::set_static_services(std::vector<ServiceSpec> services) {
  return core_->set_static_services(std::move(services));
}

Status Registry::apply(const DiscoveryOptions& options) {
  return core_->apply(options);
}

RegistryStats Registry::stats() const {
  return core_->stats();
}

void Registry::sweep() {
  core_->sweep();
}

Status Registry::checkpoint() {
  return core_->checkpoint();
}

void Registry::shutdown() {
  core_->shutdown();
}

}  // namespace chorus::discovery
