// `chorus`: argument parsing for every subcommand (CLI11 lives only in this
// file) and dispatch to the commands in commands.h.
#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/live_commands.h"
#include "runtime/version.h"

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
  app.set_version_flag("--version", "chorus " + chorus::runtime::version_string());
  app.footer(
      "Run 'chorus COMMAND --help' for a command's options. Exit codes: 0 ok, 1 failure, 2 usage "
      "error, 3 not found, 4 host unavailable.\n");

  RunOptions run_opts;
  auto* run =
      app.add_subcommand("run", "Start the host: event bus, store, discovery, plugins, scripts.");
  run->add_option("config", run_opts.config_path,
                  "Path to the YAML config (default: built-in defaults, as in config/host.yaml)");
  run->footer("Stops cleanly on SIGINT/SIGTERM; SIGHUP asks for a reload.\n");

  CheckOptions check_opts;
  auto* check =
      app.add_subcommand("check", "Validate a config file; print every error with file:line:col.");
  check->add_option("config", check_opts.config_path, "Path to the YAML config")->required();
  check->add_flag("--json", check_opts.json, "Print the result as one JSON object");

  bool version_json = false;
  auto* version = app.add_subcommand("version", "Print the version.");
  version->add_flag("--json", version_json, "Print the version as JSON");

  // `chorus store ...` (store_cmd.cpp): the event store, read-only while a host runs.
  auto* store_app = app.add_subcommand("store", "Inspect, export and import the event store.");
  store_app->require_subcommand(1);
  store_app->footer(
      "The store is <data_dir>/store. Every command but import is read-only and works "
      "while a host runs.\n");
  auto add_location = [](CLI::App* cmd, StoreLocation& where) {
    cmd->add_option("--data-dir", where.data_dir,
                    "Data directory (default: host.data_dir of --config, else ./data)");
    cmd->add_option("-c,--config", where.config_path,
                    "Host config to take host.data_dir and store settings from");
  };
  StoreStatOptions stat_opts;
  auto* store_stat =
      store_app->add_subcommand("stat", "Databases, entry counts, sizes and map usage.");
  add_location(store_stat, stat_opts.where);
  store_stat->add_flag("--json", stat_opts.json, "Print one JSON object");
  StoreReadOptions read_opts;
  auto* store_read = store_app->add_subcommand("read", "Print the events of one stream.");
  store_read->add_option("stream", read_opts.stream, "Stream name")->required();
  add_location(store_read, read_opts.where);
  store_read->add_option("--from", read_opts.from,
                         "First version (default: the first, or the last with --backward)");
  store_read->add_flag("--backward", read_opts.backward, "Newest first");
  store_read->add_option("--limit", read_opts.limit, "At most this many events (default: all)");
  store_read->add_flag("--json", read_opts.json, "Print a JSON array of {seq, version, event}");
  StoreEventsOptions events_opts;
  auto* store_events =
      store_app->add_subcommand("events", "Query events by type, correlation id and time.");
  add_location(store_events, events_opts.where);
  store_events->add_option("--type", events_opts.type, "Event type or pattern (order.*, order.**)");
  store_events->add_option("--correlation", events_opts.correlation,
                           "Correlation id: the timeline of one operation");
  store_events->add_option("--since", events_opts.since,
                           "From this time: RFC 3339, or ago: 90s, 15m, 2h, 7d");
  store_events->add_option("--until", events_opts.until,
                           "Before this time (same forms as --since)");
  store_events->add_option("--from", events_opts.from, "From this global sequence number");
  store_events->add_option("--limit", events_opts.limit, "At most this many events (default: all)");
  store_events->add_flag("--json", events_opts.json, "Print a JSON array of {seq, version, event}");
  StoreExportOptions export_opts;
  auto* store_export =
      store_app->add_subcommand("export", "Write events as CloudEvents JSON lines.");
  add_location(store_export, export_opts.where);
  store_export->add_option("--stream", export_opts.stream,
                           "Only this stream (default: the whole log)");
  store_export->add_option("--from", export_opts.from, "From this seq (or version with --stream)");
  store_export->add_option("-o,--output", export_opts.output, "Output file (default: stdout)");
  StoreImportOptions import_opts;
  auto* store_import =
      store_app->add_subcommand("import", "Append CloudEvents JSON lines (as written by export).");
  store_import->add_option("input", import_opts.input, "File to read, or - for stdin")->required();
  add_location(store_import, import_opts.where);
  store_import->add_option("--expected", import_opts.expected,
                           "For streams without streamversion: any (default) or no_stream");
  store_import->add_flag("--json", import_opts.json, "Print the result as one JSON object");
  store_import->footer(
      "Takes the data-dir lock: stop the host first. Events already stored are "
      "skipped, so an import can be repeated.\n");

  // `chorus workflows ...` (workflows_cmd.cpp): list, show and history read
  // the store read-only; cancel through the API; upgrade through the API,
  // else on the stopped host's store.
  auto* wf_app =
      app.add_subcommand("workflows", "Inspect, cancel and upgrade durable workflow instances.");
  wf_app->require_subcommand(1);
  WorkflowsOptions wf_opts;
  auto* wf_list = wf_app->add_subcommand("list", "Open instances (--all: ended ones too).");
  add_location(wf_list, wf_opts.where);
  wf_list->add_flag("--all", wf_opts.all, "Also completed, failed and compensated instances");
  auto* wf_show =
      wf_app->add_subcommand("show", "One instance: status, version, wait, status table.");
  wf_show->add_option("id", wf_opts.id, "Instance id (or a unique prefix)")->required();
  add_location(wf_show, wf_opts.where);
  auto* wf_history =
      wf_app->add_subcommand("history", "One instance's history, with source lines.");
  wf_history->add_option("id", wf_opts.id, "Instance id (or a unique prefix)")->required();
  add_location(wf_history, wf_opts.where);
  for (CLI::App* cmd : {wf_list, wf_show, wf_history}) {
    cmd->add_flag("--json", wf_opts.json, "Print JSON (the shapes of GET /v1/workflows)");
    cmd->footer("Reads the store read-only: works with or without a running host.\n");
  }

  auto* wf_cancel = wf_app->add_subcommand(
      "cancel", "Cancel an open instance of a running host (its compensations run).");
  wf_cancel->add_option("id", wf_opts.id, "Instance id (or a unique prefix)")->required();
  wf_cancel->add_option("--reason", wf_opts.reason, "Why (recorded with the cancellation)");
  auto* wf_upgrade = wf_app->add_subcommand(
      "upgrade", "Move NAME's open instances to the current source where they replay cleanly.");
  wf_upgrade->add_option("name", wf_opts.name, "Workflow name")->required();
  wf_upgrade->add_option("--data-dir", wf_opts.where.data_dir,
                         "Data directory of a stopped host: upgrade there, without asking an "
                         "API (default: host.data_dir of --config, else ./data)");
  wf_upgrade->footer(
      "Through the running host's API when one answers at the address; else on the stopped "
      "host's store (taking the data-dir lock).\n");
  for (CLI::App* cmd : {wf_cancel, wf_upgrade}) {
    cmd->add_option("--addr", wf_opts.addr,
                    "The host's API, host:port (default: CHORUS_ADDR, else api.listen of "
                    "--config, else 127.0.0.1:7070)");
    cmd->add_option("--token", wf_opts.token,
                    "Bearer token (default: CHORUS_TOKEN, else api.tokens of --config)");
    cmd->add_option("-c,--config", wf_opts.where.config_path,
                    "Host config to take api.listen, a token and host.data_dir from");
    cmd->add_flag("--json", wf_opts.json, "Print the JSON answer");
  }

  std::vector<std::string> test_paths;
  auto* test_app = app.add_subcommand(
      "test", "Run *_test.lua files against the workflow scripts (virtual clock, fresh store).");
  test_app->add_option("paths", test_paths, "Test files or folders (default: scripts)");
  bool test_crash_matrix = false;
  test_app->add_flag("--crash-matrix", test_crash_matrix,
                     "Also rerun each workflow case once per crash point (after every history "
                     "record), restarting its host from the store, and check the same outcome");
  // ---- live commands: a running host through its admin API (live_commands.h) ----
  auto add_connect = [](CLI::App* cmd, Connect& c) {
    cmd->add_option("--addr", c.addr,
                    "The host's API, host:port (default: CHORUS_ADDR, else api.listen of "
                    "--config, else 127.0.0.1:7070)");
    cmd->add_option("--token", c.token,
                    "Bearer token (default: CHORUS_TOKEN, else api.tokens of --config)");
    cmd->add_option("-c,--config", c.config_path,
                    "Host config to take api.listen and a token from");
  };
  auto add_event = [](CLI::App* cmd, EventFlags& e) {
    cmd->add_option("type", e.type, "Event type, e.g. task.created")->required();
    cmd->add_option("-d,--data", e.data, "Data: JSON (or text with a non-JSON --content-type)");
    cmd->add_option("--data-file", e.data_file, "Read the data from a file (- for stdin)");
    cmd->add_option("--content-type", e.content_type, "Media type of the data (application/json)");
    cmd->add_option("--source", e.source, "Source (default: chorus-cli)");
    cmd->add_option("--id", e.id, "Event id, a UUID (default: a new UUIDv7)");
    cmd->add_option("--target", e.target, "Target agent (a directed event)");
    cmd->add_option("--stream", e.stream, "Entity stream, e.g. order-42");
    cmd->add_option("--correlation", e.correlation, "Correlation id (the operation)");
    cmd->add_option("--causation", e.causation, "Causation id (the event that caused this)");
    cmd->add_option("--priority", e.priority, "critical, high, normal (default) or low");
    cmd->add_option("--meta", e.meta, "Metadata key=value (repeatable)");
  };
  PublishOptions publish_opts;
  auto* publish = app.add_subcommand("publish", "Publish an event to a running host.");
  add_event(publish, publish_opts.event);
  add_connect(publish, publish_opts.connect);
  publish->add_flag("--json", publish_opts.json, "Print the host's answer (ids, seqs)");
  RequestOptions request_opts;
  auto* request =
      app.add_subcommand("request", "Send a request through a running host; print the reply.");
  add_event(request, request_opts.event);
  add_connect(request, request_opts.connect);
  request->add_option("--timeout", request_opts.timeout,
                      "How long to wait for the reply (default: the host's, 5s)");
  request->add_option("--capability", request_opts.capability,
                      "Send to an instance offering this capability (picked by discovery)");
  request->add_flag("--json", request_opts.json, "Print the reply as a CloudEvent");
  TailOptions tail_opts;
  auto* tail = app.add_subcommand("tail", "Print a running host's events as they happen.");
  tail->add_option("pattern", tail_opts.patterns, "Type patterns: task.*, order.**")->required();
  add_connect(tail, tail_opts.connect);
  tail->add_option("--count", tail_opts.count, "Stop after this many events");
  tail->add_flag("--json", tail_opts.json, "One CloudEvents JSON object per line");
  EventsOptions live_events_opts;
  auto* live_events = app.add_subcommand(
      "events", "Query a running host's stored events (offline: chorus store events).");
  add_connect(live_events, live_events_opts.connect);
  live_events->add_option("--type", live_events_opts.type, "Event type or pattern");
  live_events->add_option("--correlation", live_events_opts.correlation, "Correlation id");
  live_events->add_option("--stream", live_events_opts.stream, "Stream");
  live_events->add_option("--since", live_events_opts.since, "From: RFC 3339, or ago: 15m, 2h");
  live_events->add_option("--until", live_events_opts.until, "Before (same forms)");
  live_events->add_option("--limit", live_events_opts.limit, "At most this many (default 100)");
  live_events->add_flag("--backward", live_events_opts.backward, "Newest first");
  live_events->add_option("--cursor", live_events_opts.cursor, "Continue a previous query");
  live_events->add_flag("--json", live_events_opts.json, "Print the host's answer page");
  TimelineOptions timeline_opts;
  auto* timeline = app.add_subcommand(
      "timeline", "Show one operation (a correlation id) as a tree of causes and effects.");
  timeline->add_option("id", timeline_opts.correlation, "Correlation id")->required();
  add_connect(timeline, timeline_opts.connect);
  timeline->add_flag("--json", timeline_opts.json, "Print the host's answer");
  DlqOptions dlq_opts;
  auto* dlq =
      app.add_subcommand("dlq", "List, show, replay and drop a running host's dead letters.");
  dlq->require_subcommand(1);
  auto* dlq_list = dlq->add_subcommand("list", "List dead letters, oldest first.");
  dlq_list->add_option("--subscriber", dlq_opts.subscriber, "Only this subscriber's");
  dlq_list->add_option("--limit", dlq_opts.limit, "At most this many (default 100)");
  auto* dlq_show = dlq->add_subcommand("show", "Show one dead letter.");
  auto* dlq_replay = dlq->add_subcommand("replay", "Deliver a dead letter again; it is removed.");
  dlq_replay->add_option("--to", dlq_opts.to,
                         "subscriber (the one that failed it, default) or all (publish again)");
  auto* dlq_drop = dlq->add_subcommand("drop", "Remove a dead letter.");
  for (CLI::App* cmd : {dlq_list, dlq_show, dlq_replay, dlq_drop}) {
    if (cmd != dlq_list) cmd->add_option("id", dlq_opts.id, "Dead letter id")->required();
    add_connect(cmd, dlq_opts.connect);
    cmd->add_flag("--json", dlq_opts.json, "Print the host's answer");
  }

  PluginsOptions plugins_opts;
  auto* plugins_cmd = app.add_subcommand(
      "plugins", "List a running host's plugins (the default), or load, unload, reload one.");
  plugins_cmd->require_subcommand(0, 1);
  auto* plugins_list = plugins_cmd->add_subcommand("list", "Running instances and failed files.");
  auto* plugins_load =
      plugins_cmd->add_subcommand("load", "Load a file of the host's plugins folder.");
  plugins_load->add_option("file", plugins_opts.name, "File name, e.g. calculator.so")->required();
  auto* plugins_unload = plugins_cmd->add_subcommand(
      "unload", "Unload a plugin (its file stays; it loads again when the file changes).");
  auto* plugins_reload =
      plugins_cmd->add_subcommand("reload", "Reload a plugin from its file now.");
  for (CLI::App* cmd : {plugins_unload, plugins_reload})
    cmd->add_option("name", plugins_opts.name, "Plugin, instance or file name")->required();
  for (CLI::App* cmd : {plugins_cmd, plugins_list, plugins_load, plugins_unload, plugins_reload}) {
    add_connect(cmd, plugins_opts.connect);
    cmd->add_flag("--json", plugins_opts.json, "Print the host's answer");
  }

  ScriptsOptions scripts_opts;
  auto* scripts_cmd = app.add_subcommand(
      "scripts", "List a running host's Lua scripts (the default), or reload one.");
  scripts_cmd->require_subcommand(0, 1);
  auto* scripts_list = scripts_cmd->add_subcommand("list", "Every configured script.");
  auto* scripts_reload =
      scripts_cmd->add_subcommand("reload", "Reload a script from its file now.");
  scripts_reload->add_option("name", scripts_opts.name, "Script name")->required();
  for (CLI::App* cmd : {scripts_cmd, scripts_list, scripts_reload}) {
    add_connect(cmd, scripts_opts.connect);
    cmd->add_flag("--json", scripts_opts.json, "Print the host's answer");
  }

  RegistryOptions registry_opts;
  auto* registry = app.add_subcommand("registry", "A running host's service registry.");
  registry->require_subcommand(1);
  auto* registry_list = registry->add_subcommand("list", "Registered services.");
  registry_list->add_option("--type", registry_opts.type, "Only this type");
  registry_list->add_option("--capability", registry_opts.capability, "Only with this capability");
  registry_list->add_flag("--healthy", registry_opts.healthy, "Only healthy ones");
  auto* registry_show = registry->add_subcommand("show", "One service.");
  auto* registry_register = registry->add_subcommand("register", "Register a service.");
  registry_register->add_option("--agent", registry_opts.agent,
                                "Bus id of the agent taking its requests (default: the id)");
  registry_register->add_option("--name", registry_opts.name, "Human name (default: the id)");
  registry_register->add_option("--type", registry_opts.type, "Type (default: agent)");
  registry_register->add_option("--capability", registry_opts.capabilities,
                                "A capability (repeatable)");
  registry_register->add_option("--host", registry_opts.host, "Host name or address");
  registry_register->add_option("--port", registry_opts.port, "Port");
  registry_register->add_option("--protocol", registry_opts.protocol, "Protocol (default: bus)");
  registry_register->add_option("--version", registry_opts.version, "The service's version");
  registry_register->add_option("--weight", registry_opts.weight, "Weight 1..10000 (default 1)");
  registry_register->add_option("--ttl", registry_opts.ttl,
                                "Heartbeat TTL: 30s, 0 for none (default: discovery.ttl)");
  registry_register->add_option("--meta", registry_opts.meta, "Metadata key=value (repeatable)");
  registry_register->add_flag("--replace", registry_opts.replace,
                              "Replace a registered (dynamic) service with the same id");
  auto* registry_heartbeat =
      registry->add_subcommand("heartbeat", "Refresh a service's heartbeat TTL.");
  auto* registry_unregister = registry->add_subcommand("unregister", "Remove a service.");
  auto* registry_select = registry->add_subcommand(
      "select", "Pick a healthy instance for a capability, as a request would.");
  registry_select->add_option("capability", registry_opts.capability, "Capability")->required();
  registry_select->add_option("--strategy", registry_opts.strategy,
                              "round_robin, least_connections, ... (default: the configured)");
  for (CLI::App* cmd : {registry_list, registry_register, registry_select})
    cmd->add_option("--tag", registry_opts.tags, "A tag the service must have (repeatable)");
  for (CLI::App* cmd : {registry_show, registry_register, registry_heartbeat, registry_unregister})
    cmd->add_option("id", registry_opts.id, "Service id")->required();
  for (CLI::App* cmd : {registry_list, registry_show, registry_register, registry_heartbeat,
                        registry_unregister, registry_select}) {
    add_connect(cmd, registry_opts.connect);
    cmd->add_flag("--json", registry_opts.json, "Print the host's answer");
  }

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
  if (store_stat->parsed()) return cmd_store_stat(stat_opts);
  if (store_read->parsed()) return cmd_store_read(read_opts);
  if (store_events->parsed()) return cmd_store_events(events_opts);
  if (store_export->parsed()) return cmd_store_export(export_opts);
  if (store_import->parsed()) return cmd_store_import(import_opts);
  if (wf_list->parsed()) return cmd_workflows_list(wf_opts);
  if (wf_show->parsed()) return cmd_workflows_show(wf_opts);
  if (wf_history->parsed()) return cmd_workflows_history(wf_opts);
  if (wf_cancel->parsed()) return cmd_workflows_cancel(wf_opts);
  if (wf_upgrade->parsed()) return cmd_workflows_upgrade(wf_opts);
  if (test_app->parsed())
    return cmd_test(test_paths, test_crash_matrix ? TestMode::kCrashMatrix : TestMode::kPlain);
  if (publish->parsed()) return cmd_publish(publish_opts);
  if (request->parsed()) return cmd_request(request_opts);
  if (tail->parsed()) return cmd_tail(tail_opts);
  if (live_events->parsed()) return cmd_events(live_events_opts);
  if (timeline->parsed()) return cmd_timeline(timeline_opts);
  if (dlq->parsed()) {
    dlq_opts.action = dlq_list->parsed()     ? "list"
                      : dlq_show->parsed()   ? "show"
                      : dlq_replay->parsed() ? "replay"
                                             : "drop";
    return cmd_dlq(dlq_opts);
  }
  if (plugins_cmd->parsed()) {
    plugins_opts.action = plugins_load->parsed()     ? "load"
                          : plugins_unload->parsed() ? "unload"
                          : plugins_reload->parsed() ? "reload"
                                                     : "list";
    return cmd_plugins(plugins_opts);
  }
  if (scripts_cmd->parsed()) {
    scripts_opts.action = scripts_reload->parsed() ? "reload" : "list";
    return cmd_scripts(scripts_opts);
  }
  if (registry->parsed()) {
    registry_opts.action = registry_show->parsed()         ? "show"
                           : registry_register->parsed()   ? "register"
                           : registry_heartbeat->parsed()  ? "heartbeat"
                           : registry_unregister->parsed() ? "unregister"
                           : registry_select->parsed()     ? "select"
                                                           : "list";
    return cmd_registry(registry_opts);
  }
  return kExitUsage;
}
