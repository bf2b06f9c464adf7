// ScriptsSubsystem: the Lua runtime's place in the host's lifecycle.
#include "runtime/scripts_subsystem.h"

#include <fmt/core.h>

#include "api/host_metrics.h"
#include "api/metrics_registry.h"
#include "api/readiness.h"
#include "config/config.h"
#include "lua/script_host.h"
#include "runtime/options_from_config.h"

namespace chorus::runtime {

ScriptsSubsystem::ScriptsSubsystem(HostServices& services) : services_(services) {}

ScriptsSubsystem::~ScriptsSubsystem() {
  stop(std::chrono::steady_clock::now());
  close();
}

Status ScriptsSubsystem::start(const config::Config& config) {
  host_ = std::make_unique<lua::ScriptHost>(
      scripts_options_from(config),
      lua::ScriptHostServices{services_.io, services_.bus, services_.store, services_.registry,
                              services_.script_extensions});
  if (Status s = host_->start(); !s.ok()) {
    host_.reset();
    return s;
  }
  services_.scripts = host_.get();
  lua::ScriptHost* scripts = host_.get();
  if (services_.metrics)
    metrics_id_ = services_.metrics->add("scripts", [scripts](api::MetricsWriter& w) {
      api::write_script_metrics(scripts->scripts(), w);
    });
  // start() loaded every script; ready when each one has a version running.
  if (services_.readiness)
    ready_id_ = services_.readiness->add("scripts", [scripts]() -> Status {
      for (const lua::ScriptInfo& s : scripts->scripts())
        if (!s.loaded)
          return Status::Unavailable(
              fmt::format("script {} ({}) is not loaded: {}", s.name, s.path, s.last_error));
      return Status::OK();
    });
  return Status::OK();
}

void ScriptsSubsystem::stop(Deadline) {
  if (metrics_id_) services_.metrics->remove(metrics_id_);
  if (ready_id_) services_.readiness->remove(ready_id_);
  metrics_id_ = ready_id_ = 0;
  if (host_) host_->stop();
}

void ScriptsSubsystem::close() {
  services_.scripts = nullptr;
  if (host_) host_->close();
  host_.reset();
}

bool ScriptsSubsystem::reloads(std::string_view key) const {
  return key.starts_with("scripts.");
}

Status ScriptsSubsystem::reload(const config::Config& next) {
  if (!host_) return Status::OK();
  return host_->apply(scripts_options_from(next));
}

}  // namespace chorus::runtime
