// `chorus run [CONFIG]`: load and validate the configuration, set up
// logging, start the host and block until it is told to stop.
#include <cstdio>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/host_runtime.h"
#include "config/config.h"
#include "core/log.h"

namespace chorus::cli {
namespace {

spdlog::level::level_enum to_spdlog(config::LogLevel l) {
  switch (l) {
    case config::LogLevel::kTrace:
      return spdlog::level::trace;
    case config::LogLevel::kDebug:
      return spdlog::level::debug;
    case config::LogLevel::kInfo:
      return spdlog::level::info;
    case config::LogLevel::kWarn:
      return spdlog::level::warn;
    case config::LogLevel::kError:
      return spdlog::level::err;
    case config::LogLevel::kCritical:
      return spdlog::level::critical;
    case config::LogLevel::kOff:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

}  // namespace

int cmd_run(const RunOptions& options) {
  config::Config cfg;
  if (options.config_path.empty()) {
    cfg = config::default_config();
  } else {
    config::ConfigErrors errors;
    auto loaded = config::load_config(options.config_path, {}, &errors);
    if (!loaded.ok()) {
      for (const auto& e : errors.errors)
        fmt::print(stderr, "{}\n", e.to_string());
      fmt::print(stderr, "chorus: not started: {} has {} error{}\n", options.config_path,
                 errors.errors.size(), errors.errors.size() == 1 ? "" : "s");
      return kExitFailure;
    }
    cfg = std::move(*loaded);
  }
  log::configure(to_spdlog(cfg.log.level), cfg.log.format == config::LogFormat::kJson
                                               ? log::Format::kJson
                                               : log::Format::kText);
  HostRuntime host(std::move(cfg));
  if (Status s = host.start(); !s.ok()) {
    log::get("host")->error("not started: {}", s.message());
    return kExitFailure;
  }
  host.wait();
  return kExitOk;
}

}  // namespace chorus::cli
