// `chorus run [CONFIG]`: load and validate the configuration, set up
// logging, start the host and block until it is told to stop.
#include "cli/commands.h"
#include "cli/load_config.h"
#include "core/log.h"
#include "runtime/host_runtime.h"
#include "runtime/options_from_config.h"

namespace chorus::cli {

int cmd_run(const RunOptions& options) {
  auto cfg = load_config_or_report(options.config_path, "not started");
  if (!cfg) return kExitFailure;
  const runtime::LogOptions log_options = runtime::log_options_from(cfg->log);
  log::configure(log_options.level, log_options.format);
  runtime::HostRuntime host(std::move(*cfg));
  if (Status s = host.start(); !s.ok()) {
    log::get("host")->error("not started: {}", s.message());
    return kExitFailure;
  }
  host.wait();
  return kExitOk;
}

}  // namespace chorus::cli
