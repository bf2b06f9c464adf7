// `chorus workflows list|show ID|history ID`: workflow instances from the
// store (docs/cli.md "workflows", docs/workflows.md "Reading from outside").
// The store is opened read-only, so these work while a host runs.
#include <cstdio>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/load_config.h"
#include "core/log.h"
#include "core/time_format.h"
#include "runtime/data_dir.h"
#include "runtime/options_from_config.h"
#include "store/event_store.h"
#include "workflows/history_reader.h"
#include "workflows/test_runner.h"
#include "workflows/upgrade.h"

namespace chorus::cli {
namespace {

int fail(const Status& s) {
  if (!s.message().empty()) fmt::print(stderr, "chorus: {}\n", s.message());
  return kExitFailure;
}

Result<std::unique_ptr<store::EventStore>> open_read_only(const StoreLocation& where) {
  auto cfg = load_config_or_report(where.config_path, "store not opened");
  if (!cfg) return Status::InvalidArgument("");
  store::StoreOptions o = runtime::store_options_from(*cfg, where.data_dir);
  o.read_only = true;
  o.retention.clear();
  return store::EventStore::open(o);
}

}  // namespace

int cmd_workflows_list(const WorkflowsOptions& options) {
  auto s = open_read_only(options.where);
  if (!s.ok()) return fail(s.error());
  auto list = workflows::list_instances(
      **s, options.all ? workflows::Which::kAll : workflows::Which::kOpen);
  if (!list.ok()) return fail(list.error());
  if (list->empty()) {
    fmt::print("no {}workflow instances\n", options.all ? "" : "open ");
    return kExitOk;
  }
  for (const auto& i : *list) {
    fmt::print("{}  {:<16} {:<11} version {}  key {}  {}\n", i.id, i.workflow, i.status,
               i.source_hash, i.key.empty() ? "-" : i.key,
               i.waiting_on.empty() ? "" : "waits: " + i.waiting_on);
  }
  return kExitOk;
}

int cmd_workflows_show(const WorkflowsOptions& options) {
  auto s = open_read_only(options.where);
  if (!s.ok()) return fail(s.error());
  auto i = workflows::show_instance(**s, options.id);
  if (!i.ok()) return fail(i.error());
  fmt::print("instance     {}\n", i->id);
  fmt::print("workflow     {} (script {})\n", i->workflow, i->script);
  fmt::print("status       {}\n", i->status);
  fmt::print("version      {}\n", i->source_hash);
  fmt::print("correlation  {}\n", i->correlation);
  fmt::print("key          {}\n", i->key.empty() ? "-" : i->key);
  if (i->started_ns) fmt::print("started      {}\n", format_rfc3339(i->started_ns));
  fmt::print("records      {}\n", i->records);
  if (!i->waiting_on.empty()) fmt::print("waits        {}\n", i->waiting_on);
  fmt::print("status table {}\n", i->status_table);
  if (!i->error.empty()) fmt::print("error        {}\n", i->error);
  return kExitOk;
}

int cmd_workflows_history(const WorkflowsOptions& options) {
  auto s = open_read_only(options.where);
  if (!s.ok()) return fail(s.error());
  auto h = workflows::instance_history(**s, options.id);
  if (!h.ok()) return fail(h.error());
  for (const auto& r : *h)
    fmt::print("{}\n", workflows::describe_record(r));
  return kExitOk;
}

int cmd_test(const std::vector<std::string>& paths, TestMode mode) {
  // The test hosts' own lines (scripts loaded, stores created) would drown
  // the results: warnings and errors only.
  log::configure(spdlog::level::warn, log::Format::kText);
  const std::vector<std::string> where =
      paths.empty() ? std::vector<std::string>{"scripts"} : paths;
  workflows::TestOptions options;
  options.crash_matrix = mode == TestMode::kCrashMatrix;
  const auto sum = workflows::run_test_files(where, options, [](std::string_view line) {
    fmt::print("{}\n", line);
    std::fflush(stdout);
  });
  if (sum.crash_runs > 0)
    fmt::print("{} test file(s): {} passed, {} failed ({} crash-matrix reruns)\n", sum.files,
               sum.passed, sum.failed, sum.crash_runs);
  else
    fmt::print("{} test file(s): {} passed, {} failed\n", sum.files, sum.passed, sum.failed);
  if (sum.files == 0) {
    fmt::print(stderr, "chorus: no *_test.lua files found\n");
    return kExitFailure;
  }
  return sum.failed == 0 ? kExitOk : kExitFailure;
}

int cmd_workflows_upgrade(const WorkflowsOptions& options) {
  auto cfg = load_config_or_report(options.where.config_path, "nothing upgraded");
  if (!cfg) return kExitFailure;
  const std::string data_dir =
      options.where.data_dir.empty() ? cfg->host.data_dir : options.where.data_dir;
  auto lock = runtime::DataDirLock::acquire(data_dir);
  if (!lock.ok())
    return fail(Status(lock.error().code(),
                       fmt::format("upgrade: {}; stop the host first (the live upgrade comes "
                                   "with the admin API)",
                                   lock.error().message())));
  store::StoreOptions so = runtime::store_options_from(*cfg, data_dir);
  so.retention.clear();
  auto opened = store::EventStore::open(so);
  if (!opened.ok()) return fail(opened.error());
  auto r =
      workflows::upgrade_instances(**opened, runtime::scripts_options_from(*cfg), options.name);
  if (!r.ok()) return fail(r.error());
  size_t moved = 0, pinned = 0;
  for (const auto& o : *r) {
    switch (o.result) {
      case workflows::UpgradeOutcome::Result::kUpgraded:
        ++moved;
        fmt::print("{}: upgraded from {} to {}\n", o.instance, o.from, o.to);
        break;
      case workflows::UpgradeOutcome::Result::kAlreadyCurrent:
        fmt::print("{}: already on {}\n", o.instance, o.to);
        break;
      case workflows::UpgradeOutcome::Result::kPinned:
        ++pinned;
        fmt::print("{}: stays on {}: {}\n", o.instance, o.from, o.why);
        break;
    }
  }
  fmt::print("{}: {} instance(s) upgraded, {} pinned, {} open in all\n", options.name, moved,
             pinned, r->size());
  return kExitOk;
}

}  // namespace chorus::cli
