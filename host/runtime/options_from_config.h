// The one place where configuration sections become module options. Every
// module owns its options struct and knows nothing of YAML or of
// host/config; the runtime and the CLI call these to map a loaded
// config::Config onto them. A new module adds one function here.
#pragma once

#include <string>

#include <spdlog/common.h>

#include "bus/bus_options.h"
#include "core/log.h"
#include "discovery/discovery_options.h"
#include "lua/lua_options.h"
#include "plugins/plugin_host_options.h"
#include "store/store_options.h"
#include "workflows/workflow_options.h"

namespace chorus::config {
struct Config;
struct LogSection;
struct BusSection;
}  // namespace chorus::config

namespace chorus::runtime {

// The store's options: path = <data_dir>/store, where data_dir is
// `data_dir` when not empty, else config.host.data_dir.
store::StoreOptions store_options_from(const config::Config& config,
                                       const std::string& data_dir = {});

// The bus's options: every field of the `bus:` section, one for one.
bus::BusOptions bus_options_from(const config::BusSection& section);

struct LogOptions {
  spdlog::level::level_enum level = spdlog::level::info;
  log::Format format = log::Format::kText;
};
LogOptions log_options_from(const config::LogSection& section);

// The registry's options from the `discovery:` section, static services
// included (their specs are validated by the registry when it applies them).
discovery::DiscoveryOptions discovery_options_from(const config::Config& config);
// The plugin host's options: the `plugins:` section; loaded copies go to
// <data_dir>/plugins (data_dir as for the store). The directory hook is left
// for the runtime to set.
plugins::PluginHostOptions plugins_options_from(const config::Config& config,
                                                const std::string& data_dir = {});
// The Lua runtime's options from the `scripts:` section: each entry's limits
// default to scripts.limits; YAML positions travel along for errors found
// when a script is loaded (a missing handler function).
lua::ScriptHostOptions scripts_options_from(const config::Config& config);
// The workflow engine's options: no `workflows:` section yet; the scripts
// folder and the engine states' memory limit come from `scripts:`.
workflows::WorkflowOptions workflows_options_from(const config::Config& config);

}  // namespace chorus::runtime

namespace chorus::api {
struct ApiOptions;
}

namespace chorus::runtime {

// The admin API's options from the `api:` section; `persist` is
// store.persist (publishes of those types answer with their seqs).
api::ApiOptions api_options_from(const config::Config& config);

}  // namespace chorus::runtime
