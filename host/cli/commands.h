// The subcommands of the `chorus` executable. main.cpp parses arguments (with
// CLI11, kept to that one file) and calls one of these. Each returns the
// process exit code (see docs/cli.md): 0 success, 1 failure, 2 usage error,
// and for the commands that talk to a running host 3 not found, 4 unavailable.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.h"

namespace chorus::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotFound = 3;     // the host has no such thing (stream, dead letter, ...)
inline constexpr int kExitUnavailable = 4;  // the host is not running (or not answering)

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

// ---- `chorus store ...` (store_cmd.cpp, docs/cli.md "store") ----

// Where the store is: <data_dir>/store, with data_dir from --data-dir, else
// from --config's host.data_dir, else the built-in default (./data).
struct StoreLocation {
  std::string data_dir;
  std::string config_path;
};
struct StoreStatOptions {
  StoreLocation where;
  bool json = false;
};
struct StoreReadOptions {
  StoreLocation where;
  std::string stream;
  uint64_t from = 0;  // a version; 0: the first (forward) or the last (backward)
  bool backward = false;
  uint64_t limit = 0;  // 0: all
  bool json = false;
};
struct StoreEventsOptions {
  StoreLocation where;
  std::string type;          // a type or pattern
  std::string correlation;   // a correlation id
  std::string since, until;  // RFC 3339, or a duration ago ("15m", "2h", "7d")
  uint64_t from = 0;         // a seq
  uint64_t limit = 0;        // 0: all
  bool json = false;
};
struct StoreExportOptions {
  StoreLocation where;
  std::string stream;  // empty: the whole log
  uint64_t from = 0;   // a seq (whole log) or a version (stream)
  std::string output;  // empty or "-": stdout
};
struct StoreImportOptions {
  StoreLocation where;
  std::string input;             // a file, or "-" for stdin
  std::string expected = "any";  // for lines without a streamversion: any, no_stream
  bool json = false;
};
int cmd_store_stat(const StoreStatOptions& options);
int cmd_store_read(const StoreReadOptions& options);
int cmd_store_events(const StoreEventsOptions& options);
int cmd_store_export(const StoreExportOptions& options);
int cmd_store_import(const StoreImportOptions& options);

// ---- `chorus workflows ...` (workflows_cmd.cpp, docs/cli.md "workflows") ----

struct WorkflowsOptions {
  StoreLocation where;  // where.config_path also gives cancel and upgrade the API's address
  std::string id;       // show, history, cancel: an instance id or a unique prefix
  bool all = false;     // list: ended instances too
  std::string name;     // upgrade: the workflow
  std::string reason;   // cancel: recorded with the cancellation ("" the host's default)
  // cancel, upgrade: the running host's API (as the live commands' Connect).
  std::string addr, token;
  bool json = false;
};
// Read the store read-only (no host needed; they work while one runs).
int cmd_workflows_list(const WorkflowsOptions& options);
int cmd_workflows_show(const WorkflowsOptions& options);
int cmd_workflows_history(const WorkflowsOptions& options);
// `chorus test [--crash-matrix] [PATH...]` (workflows/test_runner.h): *_test.lua files.
enum class TestMode : uint8_t { kPlain, kCrashMatrix };
int cmd_test(const std::vector<std::string>& paths, TestMode mode);

// Through the running host's API (POST /v1/workflows/ID/cancel): 4 when no
// host answers.
int cmd_workflows_cancel(const WorkflowsOptions& options);
// Moves NAME's open instances to the current source where their history
// replays cleanly: through the running host's API when one answers, else
// on the store of the stopped host (taking the data-dir lock).
int cmd_workflows_upgrade(const WorkflowsOptions& options);

}  // namespace chorus::cli
