// The host configuration: every section as a typed struct, loaded from one
// YAML file with ${VAR} substitution and strict validation.
//
// Adding a section: a `<name>_section.h/.cpp` pair with the struct and its
// parse function, a member here, and one line in the table in config.cpp.
#pragma once

#include <map>
#include <string>

#include "config/api_section.h"
#include "config/bus_section.h"
#include "config/config_error.h"
#include "config/discovery_section.h"
#include "config/env_subst.h"
#include "config/host_section.h"
#include "config/log_section.h"
#include "config/plugins_section.h"
#include "config/scripts_section.h"
#include "config/store_section.h"
#include "config/workflows_section.h"
#include "core/status.h"

namespace chorus::config {

struct Config {
  std::string file;  // the file it came from; empty for built-in defaults
  // Every value the file set, by key path ("log.level" -> "debug", lists as
  // "[a, b]"), after ${VAR} substitution. Keys left out are at their
  // defaults. A reload compares two of these to say what changed.
  std::map<std::string, std::string> settings;
  HostSection host;
  LogSection log;
  BusSection bus;
  StoreSection store;
  DiscoverySection discovery;
  ScriptsSection scripts;
  PluginsSection plugins;
  ApiSection api;
  WorkflowsSection workflows;
};

struct LoadOptions {
  EnvLookup env = process_env();
};

// The built-in defaults (what `chorus run` uses without a file).
Config default_config();

// Reads and validates `path`. On failure the Status message holds every error,
// one per line ("file:line:col: key.path: what is wrong (expected ...)"), and
// `errors` (when given) receives them as records, in file order.
Result<Config> load_config(const std::string& path, const LoadOptions& options = {},
                           ConfigErrors* errors = nullptr);

// Same, from text; `file` names it in messages.
Result<Config> parse_config(std::string_view yaml, const std::string& file,
                            const LoadOptions& options = {}, ConfigErrors* errors = nullptr);

}  // namespace chorus::config
