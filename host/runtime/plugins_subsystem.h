// PluginsSubsystem: the plugin host's place in the host's lifecycle. At
// start it builds the PluginHost on the bus, the store and discovery (after
// all three), which loads the plugins folder and
// starts watching it; sets HostServices::plugins. stop() unloads every
// plugin while the workers and the bus still run (queued deliveries drain,
// timers are cancelled, agents publish their last events); close() drops
// the host.
//
// Reload: every `plugins.*` key applies live (PluginHost::reconfigure): a
// plugin whose settings changed is reloaded transactionally, a disabled one
// unloaded, a new folder opened, and the folder scanned again.
//
// Discovery: plugins_options() gives the PluginHost the registry (the
// plugins' registry functions) and an AgentRegistration
// (agent_registration.h) as its AgentDirectory, so every running instance
// is a service while it runs. stop() runs before DiscoverySubsystem's (the
// reverse of the start order), so agents unregister while the registry is
// open.
#pragma once

#include <memory>

#include "plugins/plugin_host_options.h"
#include "runtime/host_services.h"
#include "runtime/subsystem.h"

namespace chorus::runtime {

class PluginsSubsystem final : public Subsystem {
 public:
  explicit PluginsSubsystem(HostServices& services);
  ~PluginsSubsystem() override;

  std::string_view name() const noexcept override { return "plugins"; }
  Status start(const config::Config& config) override;
  void stop(Deadline deadline) override;
  void close() override;
  bool reloads(std::string_view key) const override { return key.starts_with("plugins."); }
  Status reload(const config::Config& next) override;

 private:
  // The module's options from the config, with the hooks this host has.
  plugins::PluginHostOptions plugins_options(const config::Config& config) const;

  HostServices& services_;
  std::unique_ptr<plugins::PluginHost> host_;
};

}  // namespace chorus::runtime
