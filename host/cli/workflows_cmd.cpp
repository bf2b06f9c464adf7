// `chorus workflows list|show ID|history ID|cancel ID|upgrade NAME`:
// workflow instances (docs/cli.md "workflows", docs/workflows.md "Reading
// from outside"). list, show and history open the store read-only, so they
// work with or without a running host. cancel goes through the running
// host's API (the engine runs the compensations); upgrade too when a host
// answers, else it works on the stopped host's store under the data-dir
// lock.
#include <cstdio>

#include <fmt/core.h>

#include "api/json_body.h"
#include "api/query.h"
#include "api/workflow_json.h"
#include "cli/commands.h"
#include "cli/live_common.h"
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

// An instance the store does not have is "not found" (3); an ambiguous
// prefix a usage error (2); the rest failures (1).
int fail(const Status& s) {
  if (!s.message().empty()) fmt::print(stderr, "chorus: {}\n", s.message());
  if (s.is(StatusCode::kNotFound)) return kExitNotFound;
  if (s.is(StatusCode::kInvalidArgument) && !s.message().empty()) return kExitUsage;
  return kExitFailure;
}

Result<std::unique_ptr<store::EventStore>> open_read_only(const StoreLocation& where) {
  auto cfg = load_config_or_report(where.config_path, "store not opened");
  if (!cfg) return Status::Internal("");
  store::StoreOptions o = runtime::store_options_from(*cfg, where.data_dir);
  o.read_only = true;
  o.retention.clear();
  auto opened = store::EventStore::open(o);
  // A missing store is a failure of the command, not an unknown instance.
  if (!opened.ok()) return Status::IOError(opened.error().message());
  return opened;
}

Connect connect_of(const WorkflowsOptions& o) {
  Connect c;
  c.addr = o.addr;
  c.token = o.token;
  c.config_path = o.where.config_path;
  return c;
}

void print_outcomes(const std::string& name, const std::vector<workflows::UpgradeOutcome>& r) {
  size_t moved = 0, pinned = 0;
  for (const auto& o : r) {
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
  fmt::print("{}: {} instance(s) upgraded, {} pinned, {} open in all\n", name, moved, pinned,
             r.size());
}

// The upgrade of a stopped host: the data-dir lock, then the store.
// `no_host` says why the API was not used (for the message).
int upgrade_stopped_host(const WorkflowsOptions& options, const std::string& no_host) {
  auto cfg = load_config_or_report(options.where.config_path, "nothing upgraded");
  if (!cfg) return kExitFailure;
  const std::string data_dir =
      options.where.data_dir.empty() ? cfg->host.data_dir : options.where.data_dir;
  auto lock = runtime::DataDirLock::acquire(data_dir);
  if (!lock.ok()) {
    fmt::print(stderr,
               "chorus: upgrade: {}: a host runs on this data directory, and its API was not "
               "used ({}); give --addr to upgrade through it, or stop it\n",
               lock.error().message(), no_host);
    return kExitUnavailable;
  }
  if (!options.json)
    fmt::print("{}: upgrading in the store of the stopped host ({})\n", options.name, data_dir);
  store::StoreOptions so = runtime::store_options_from(*cfg, data_dir);
  so.retention.clear();
  auto opened = store::EventStore::open(so);
  if (!opened.ok()) return fail(Status::IOError(opened.error().message()));
  auto r =
      workflows::upgrade_instances(**opened, runtime::scripts_options_from(*cfg), options.name);
  if (!r.ok()) return fail(r.error());
  if (options.json) {
    fmt::print("{}\n", api::upgrade_json(options.name, *r, api::UpgradeMode::kStoppedHost));
    return kExitOk;
  }
  print_outcomes(options.name, *r);
  return kExitOk;
}

// {"instance":{...},"history":[...]}, as GET /v1/workflows/{id} answers.
int print_instance_json(store::EventStore& store, const workflows::InstanceSummary& i) {
  auto h = workflows::instance_history(store, i.id);
  if (!h.ok()) return fail(h.error());
  fmt::print("{}\n", api::instance_detail_json(i, *h));
  return kExitOk;
}

}  // namespace

int cmd_workflows_list(const WorkflowsOptions& options) {
  auto s = open_read_only(options.where);
  if (!s.ok()) return fail(s.error());
  auto list = workflows::list_instances(
      **s, options.all ? workflows::Which::kAll : workflows::Which::kOpen);
  if (!list.ok()) return fail(list.error());
  if (options.json) {
    std::vector<const workflows::InstanceSummary*> all;
    for (const auto& i : *list)
      all.push_back(&i);
    fmt::print("{}\n", api::instance_list_json(all, all.size()));
    return kExitOk;
  }
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
  if (options.json) return print_instance_json(**s, *i);
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
  if (options.json) {
    auto i = workflows::show_instance(**s, options.id);
    if (!i.ok()) return fail(i.error());
    return print_instance_json(**s, *i);
  }
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

int cmd_workflows_cancel(const WorkflowsOptions& options) {
  auto endpoint = resolve_endpoint(connect_of(options));
  if (!endpoint.ok()) return report(endpoint.error());
  ApiClient client(*endpoint);
  std::string body;
  if (!options.reason.empty()) {
    api::JsonBody j;
    j.w.StartObject();
    j.member("reason", options.reason);
    j.w.EndObject();
    body = j.take();
  }
  auto r = client.request("POST", "/v1/workflows/" + api::percent_encode(options.id) + "/cancel",
                          {{"Content-Type", "application/json"}}, body);
  rapidjson::Document doc;
  if (auto done = take_answer(r, *endpoint, options.json, doc)) return *done;
  std::string status = "?";
  if (doc.HasMember("instance") && doc["instance"]["status"].IsString())
    status = doc["instance"]["status"].GetString();
  fmt::print("cancelled {}: {}\n", doc["cancelled"].GetString(), status);
  if (doc.HasMember("instance") && doc["instance"]["error"].IsString())
    fmt::print("    error: {}\n", doc["instance"]["error"].GetString());
  return kExitOk;
}

int cmd_workflows_upgrade(const WorkflowsOptions& options) {
  // --data-dir names a store, not a host: the API at the default address
  // may belong to another host.
  if (!options.where.data_dir.empty() && options.addr.empty())
    return upgrade_stopped_host(options, "--data-dir was given");
  auto endpoint = resolve_endpoint(connect_of(options));
  // An address that cannot be used (api.listen with port 0, say) only
  // means there is no API to ask, unless the user typed it.
  if (!endpoint.ok() && options.addr.empty() && !endpoint.error().message().empty())
    return upgrade_stopped_host(options, endpoint.error().message());
  if (!endpoint.ok()) return report(endpoint.error());
  ApiClient client(*endpoint);
  auto r = client.request(
      "POST", "/v1/workflow-definitions/" + api::percent_encode(options.name) + "/upgrade");
  // No host answers at the address: the stopped host's path, which the
  // data-dir lock keeps from running beside a host.
  if (!r.ok() && r.error().is(StatusCode::kUnavailable))
    return upgrade_stopped_host(options, fmt::format("no host answers at {} (from {})",
                                                     endpoint->address(), endpoint->source));
  rapidjson::Document d;
  if (auto done = take_answer(r, *endpoint, options.json, d)) return *done;
  fmt::print("{}: upgrading through the running host at {}\n", options.name, endpoint->address());
  std::vector<workflows::UpgradeOutcome> outcomes;
  for (const auto& o : d["outcomes"].GetArray()) {
    workflows::UpgradeOutcome u;
    u.instance = o["instance"].GetString();
    u.from = o["from"].GetString();
    u.to = o["to"].GetString();
    const std::string_view result = o["result"].GetString();
    u.result = result == "upgraded"          ? workflows::UpgradeOutcome::Result::kUpgraded
               : result == "already_current" ? workflows::UpgradeOutcome::Result::kAlreadyCurrent
                                             : workflows::UpgradeOutcome::Result::kPinned;
    if (o.HasMember("why")) u.why = o["why"].GetString();
    outcomes.push_back(std::move(u));
  }
  print_outcomes(options.name, outcomes);
  return kExitOk;
}

}  // namespace chorus::cli
