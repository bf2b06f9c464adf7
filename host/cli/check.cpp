// `chorus check CONFIG`: validate the configuration without starting
// anything or touching the data directory. Prints every error, exits 1 if any.
#include <cstdio>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/json_output.h"
#include "cli/load_config.h"
#include "config/config.h"

namespace chorus::cli {

int cmd_check(const CheckOptions& options) {
  if (!options.json) {
    if (!load_config_or_report(options.config_path, "")) return kExitFailure;
    fmt::print("{}: ok\n", options.config_path);
    return kExitOk;
  }
  config::ConfigErrors errors;
  auto cfg = config::load_config(options.config_path, {}, &errors);
  JsonOutput out;
  auto& w = out.w;
  w.StartObject();
  w.Key("ok");
  w.Bool(cfg.ok());
  w.Key("file");
  out.string(options.config_path);
  w.Key("errors");
  w.StartArray();
  for (const auto& e : errors.errors) {
    w.StartObject();
    w.Key("file");
    out.string(e.file);
    w.Key("line");
    w.Int(e.line);
    w.Key("column");
    w.Int(e.column);
    w.Key("path");
    out.string(e.path);
    w.Key("message");
    out.string(e.message);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out.print();
  return cfg.ok() ? kExitOk : kExitFailure;
}

}  // namespace chorus::cli
