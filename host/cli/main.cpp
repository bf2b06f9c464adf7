// `chorus`: argument parsing for every subcommand (CLI11 lives only in this
// file) and dispatch to the commands in commands.h.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.h"

namespace {

// The "Usage: ..." line of the deepest selected subcommand's help.
std::string usage_line(CLI::App& app) {
  CLI::App* cur = &app;
  std::string prefix;
  while (!cur->get_subcommands().empty()) {
    prefix += (prefix.empty() ? "" : " ") + cur->get_name();
    cur = cur->get_subcommands().front();
  }
  const std::string help = cur->help(prefix);
  const size_t at = help.find("Usage:");
  if (at == std::string::npos) return "Usage: chorus COMMAND [OPTIONS]";
  return help.substr(at, help.find('\n', at) - at);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace chorus::cli;

  CLI::App app{"Chorus: a scriptable plugin host for event-driven multi-agent systems.", "chorus"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "chorus " + version_string());
  app.footer("Run 'chorus COMMAND --help' for a command's options. Exit codes: 0 ok, 1 failure, 2 usage error.\n");

  RunOptions run_opts;
  auto* run = app.add_subcommand("run", "Start the host: event bus, store, discovery, plugins, scripts.");
  run->add_option("config", run_opts.config_path,
                  "Path to the YAML config (default: built-in defaults, as in config/host.yaml)");
  run->footer("Stops cleanly on SIGINT/SIGTERM; SIGHUP asks for a reload.\n");

  CheckOptions check_opts;
  auto* check = app.add_subcommand("check", "Validate a config file; print every error with file:line:col.");
  check->add_option("config", check_opts.config_path, "Path to the YAML config")->required();
  check->add_flag("--json", check_opts.json, "Print the result as one JSON object");

  bool version_json = false;
  auto* version = app.add_subcommand("version", "Print the version.");
  version->add_flag("--json", version_json, "Print the version as JSON");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "chorus: {}\n{}\n", e.what(), usage_line(app));
    return kExitUsage;
  }

  if (run->parsed()) return cmd_run(run_opts);
  if (check->parsed()) return cmd_check(check_opts);
  if (version->parsed()) return cmd_version(version_json);
  return kExitUsage;
}
