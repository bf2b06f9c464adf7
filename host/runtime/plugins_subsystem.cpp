// PluginsSubsystem: the plugin host's place in the host's lifecycle.
#include "runtime/plugins_subsystem.h"

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
  return Status::OK();
}

void PluginsSubsystem::stop(Deadline) {
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
