// PluginsSubsystem: the plugin host's place in the host's lifecycle.
#include "runtime/plugins_subsystem.h"

#include <fmt/core.h>

#include "api/host_metrics.h"
#include "api/metrics_registry.h"
#include "api/readiness.h"
#include "config/config.h"
#include "lua/script_host.h"
#include "plugins/plugin_host.h"
#include "runtime/agent_registration.h"
#include "runtime/options_from_config.h"

namespace chorus::runtime {

PluginsSubsystem::PluginsSubsystem(HostServices& services) : services_(services) {}

PluginsSubsystem::~PluginsSubsystem() {
  stop(std::chrono::steady_clock::now());
  close();
}

plugins::PluginHostOptions PluginsSubsystem::plugins_options(const config::Config& config) const {
  plugins::PluginHostOptions o = plugins_options_from(config, services_.data_dir);
  if (services_.registry) {
    o.registry = services_.registry;
    o.directory = std::make_shared<AgentRegistration>(*services_.registry, o.heartbeat_interval);
  }
  // Lua filters named in plugins.agents.<name>.filters: the scripts start
  // before the plugins and close after them.
  if (lua::ScriptHost* scripts = services_.scripts)
    o.script_filters = [scripts](std::string_view script,
                                 std::string_view function) -> Result<plugins::EventFilter> {
      CHORUS_ASSIGN_OR_RETURN(bus::Filter f, scripts->filter(script, function));
      return plugins::EventFilter(std::move(f));
    };
  return o;
}

Status PluginsSubsystem::start(const config::Config& config) {
  host_ = std::make_unique<plugins::PluginHost>(*services_.io, *services_.bus, services_.store,
                                                plugins_options(config));
  CHORUS_RETURN_IF_ERROR(host_->start());
  services_.plugins = host_.get();
  add_metrics_and_readiness();
  return Status::OK();
}

void PluginsSubsystem::add_metrics_and_readiness() {
  plugins::PluginHost* host = host_.get();
  if (services_.metrics)
    metrics_id_ = services_.metrics->add("plugins", [host](api::MetricsWriter& w) {
      api::write_plugin_metrics(host->stats(), host->plugins(), w);
    });
  // start() loaded the folder; ready unless a file failed and is not running.
  if (services_.readiness)
    ready_id_ = services_.readiness->add("plugins", [host]() -> Status {
      for (const plugins::LoadFailure& f : host->failures())
        if (!f.still_running && f.stage != "folder")
          return Status::Unavailable(
              fmt::format("plugin {} failed to {}: {}", f.file, f.stage, f.error));
      return Status::OK();
    });
}

void PluginsSubsystem::stop(Deadline) {
  if (metrics_id_) services_.metrics->remove(metrics_id_);
  if (ready_id_) services_.readiness->remove(ready_id_);
  metrics_id_ = ready_id_ = 0;
  // Unloading drains each instance up to plugins.drain_timeout; the bus is
  // still running, so agents' last publishes go out.
  if (host_) host_->stop();
}

void PluginsSubsystem::close() {
  services_.plugins = nullptr;
  host_.reset();
}

Status PluginsSubsystem::reload(const config::Config& next) {
  if (!host_) return Status::OK();
  return host_->reconfigure(plugins_options(next));
}

}  // namespace chorus::runtime
