// ApiSubsystem: the admin API's place in the host's lifecycle.
#include "runtime/api_subsystem.h"

#include "api/api_server.h"
#include "api/host_metrics.h"
#include "api/metrics_registry.h"
#include "api/readiness.h"
#include "bus/event_bus.h"
#include "config/config.h"
#include "discovery/registry.h"
#include "runtime/options_from_config.h"
#include "runtime/runtime_log.h"
#include "store/event_store.h"
#include "workflows/workflow_engine.h"

namespace chorus::runtime {

ApiSubsystem::ApiSubsystem(HostServices& services) : services_(services) {}

ApiSubsystem::~ApiSubsystem() {
  stop(std::chrono::steady_clock::now());
  close();
}

Status ApiSubsystem::start(const config::Config& config) {
  if (!config.api.enabled) {
    runtime_log().info("api disabled (api.enabled: false)");
    return Status::OK();
  }
  bus::EventBus* bus = services_.bus;
  store::EventStore* store = services_.store;
  collectors_.push_back(services_.metrics->add(
      "bus", [bus](api::MetricsWriter& w) { api::write_bus_metrics(bus->stats(), w); }));
  collectors_.push_back(services_.metrics->add("store", [store](api::MetricsWriter& w) {
    auto stats = store->stats();
    if (stats.ok()) api::write_store_metrics(*stats, store->durable_seq(), w);
  }));
  // The engine has no subsystem collector of its own: its families are
  // written here, while the API (the only reader of /metrics) runs.
  if (workflows::WorkflowEngine* engine = services_.workflows)
    collectors_.push_back(services_.metrics->add("workflows", [engine](api::MetricsWriter& w) {
      api::write_workflow_metrics(engine->stats(), w);
    }));
  checks_.push_back(services_.readiness->add("store", [store]() -> Status {
    // A one-event read: the environment answers.
    auto page = store->read_all(store::kEnd, store::Direction::kBackward, 1);
    return page.ok() ? Status::OK() : page.error();
  }));
  checks_.push_back(services_.readiness->add("bus", [bus]() -> Status {
    return bus->stopping() ? Status::Unavailable("the bus is shutting down") : Status::OK();
  }));

  api::ApiServices s;
  s.bus = bus;
  s.store = store;
  s.metrics = services_.metrics;
  s.readiness = services_.readiness;
  s.plugins = services_.plugins;
  s.scripts = services_.scripts;
  s.registry = services_.registry;
  s.workflows = services_.workflows;
  if (discovery::Registry* registry = services_.registry)
    s.request_by_capability = [registry](std::string capability, EventPtr request,
                                         std::chrono::milliseconds timeout,
                                         std::function<void(Result<EventPtr>)> done) {
      discovery::RequestOptions o;
      o.timeout = timeout;  // per attempt; discovery fails over to another instance
      registry->request_by_capability(capability, std::move(request), std::move(o),
                                      std::move(done));
    };
  server_ = std::make_unique<api::ApiServer>(*services_.io, api_options_from(config), std::move(s));
  if (Status st = server_->start(); !st.ok()) {
    server_.reset();
    return st;
  }
  return Status::OK();
}

void ApiSubsystem::stop(Deadline deadline) {
  if (server_) server_->stop(deadline);
  for (uint64_t id : collectors_)
    services_.metrics->remove(id);
  for (uint64_t id : checks_)
    services_.readiness->remove(id);
  collectors_.clear();
  checks_.clear();
}

void ApiSubsystem::close() {
  server_.reset();
}

bool ApiSubsystem::reloads(std::string_view key) const {
  return key.starts_with("api.") && key != "api.enabled" && key != "api.listen";
}

Status ApiSubsystem::reload(const config::Config& next) {
  if (!server_) return Status::OK();
  return server_->reload(api_options_from(next));
}

}  // namespace chorus::runtime
