// DiscoverySubsystem: the registry's place in the host's lifecycle.
#include "runtime/discovery_subsystem.h"

#include <array>

#include "api/host_metrics.h"
#include "api/metrics_registry.h"
#include "config/config.h"
#include "discovery/registry.h"
#include "runtime/options_from_config.h"
#include "runtime/runtime_log.h"

namespace chorus::runtime {
namespace {

// Keys of the section that take effect only at the next start.
constexpr std::array<std::string_view, 3> kRestartKeys = {
    "discovery.sweep_interval", "discovery.checkpoint_interval", "discovery.snapshot_every"};

}  // namespace

DiscoverySubsystem::DiscoverySubsystem(HostServices& services) : services_(services) {}

DiscoverySubsystem::~DiscoverySubsystem() {
  stop(std::chrono::steady_clock::now());
  close();
}

Status DiscoverySubsystem::start(const config::Config& config) {
  discovery::RegistryEnv env;
  env.io = services_.io;
  env.bus = services_.bus;
  env.store = services_.store;
  auto opened = discovery::Registry::open(env, discovery_options_from(config));
  if (!opened.ok()) return opened.error();
  registry_ = std::move(*opened);
  services_.registry = registry_.get();
  if (services_.metrics)
    metrics_id_ =
        services_.metrics->add("discovery", [registry = registry_.get()](api::MetricsWriter& w) {
          api::write_discovery_metrics(registry->stats(), w);
        });
  const discovery::RegistryStats st = registry_->stats();
  runtime_log().info("discovery started services={} static={} healthy={}", st.services,
                     st.static_services, st.healthy);
  return Status::OK();
}

void DiscoverySubsystem::stop(Deadline) {
  if (metrics_id_) services_.metrics->remove(metrics_id_);
  metrics_id_ = 0;
  // Quick: no queue to drain; the journal's last writes complete here,
  // while the store is open.
  if (registry_) registry_->shutdown();
}

void DiscoverySubsystem::close() {
  services_.registry = nullptr;
  registry_.reset();
}

bool DiscoverySubsystem::reloads(std::string_view key) const {
  if (!key.starts_with("discovery.")) return false;
  for (std::string_view k : kRestartKeys)
    if (key == k) return false;
  return true;
}

Status DiscoverySubsystem::reload(const config::Config& next) {
  if (!registry_) return Status::OK();
  return registry_->apply(discovery_options_from(next));
}

}  // namespace chorus::runtime
