// `chorus check CONFIG`: validate the configuration and the scripts it names
// without starting anything or touching the data directory. Prints every
// error (YAML errors as file:line:col, script errors as script:line), exits
// 1 if any.
#include <cstdio>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/json_output.h"
#include "cli/load_config.h"
#include "config/config.h"
#include "lua/script_check.h"
#include "runtime/options_from_config.h"
#include "workflows/lua_extension.h"

namespace chorus::cli {
namespace {

std::vector<lua::ScriptProblem> check_scripts_of(const config::Config& cfg) {
  // chorus.workflow checks its table in check mode (no engine runs).
  return lua::check_scripts(runtime::scripts_options_from(cfg),
                            {workflows::make_lua_extension(nullptr)});
}

}  // namespace

int cmd_check(const CheckOptions& options) {
  if (!options.json) {
    auto cfg = load_config_or_report(options.config_path, "");
    if (!cfg) return kExitFailure;
    const auto problems = check_scripts_of(*cfg);
    for (const auto& p : problems)
      fmt::print(stderr, "{}\n", p.message);
    if (!problems.empty()) {
      fmt::print(stderr, "{}: {} error{} in scripts\n", options.config_path, problems.size(),
                 problems.size() == 1 ? "" : "s");
      return kExitFailure;
    }
    fmt::print("{}: ok\n", options.config_path);
    return kExitOk;
  }
  config::ConfigErrors errors;
  auto cfg = config::load_config(options.config_path, {}, &errors);
  std::vector<lua::ScriptProblem> problems;
  if (cfg.ok()) problems = check_scripts_of(*cfg);
  JsonOutput out;
  auto& w = out.w;
  w.StartObject();
  w.Key("ok");
  w.Bool(cfg.ok() && problems.empty());
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
  for (const auto& p : problems) {
    w.StartObject();
    w.Key("file");
    out.string(p.file);
    w.Key("line");
    w.Int(p.line);
    w.Key("column");
    w.Int(0);
    w.Key("path");
    out.string("scripts.entries." + p.script);
    w.Key("message");
    out.string(p.message);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  out.print();
  return cfg.ok() && problems.empty() ? kExitOk : kExitFailure;
}

}  // namespace chorus::cli
