// The subcommands of the `chorus` executable. main.cpp parses arguments (with
// CLI11, kept to that one file) and calls one of these. Each returns the
// process exit code (see docs/cli.md): 0 success, 1 failure, 2 usage error.
#pragma once

#include <string>

namespace chorus::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct RunOptions {
  std::string config_path;  // empty: built-in defaults
};
int cmd_run(const RunOptions& options);

struct CheckOptions {
  std::string config_path;
  bool json = false;
};
int cmd_check(const CheckOptions& options);

int cmd_version(bool json);

// "0.1.0 (git abcdef1234)".
std::string version_string();

}  // namespace chorus::cli
