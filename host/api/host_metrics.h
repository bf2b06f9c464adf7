// The metric families of the host's subsystems, written from their stats()
// (docs/api.md "Metrics" lists every family). The runtime registers them
// as collectors (the bus's, the store's and the workflow engine's in
// runtime/api_subsystem.cpp, the others in their own subsystem); tests call
// them directly.
#pragma once

#include <cstdint>
#include <vector>

namespace chorus::bus {
struct BusStats;
}
namespace chorus::store {
struct StoreStats;
}

namespace chorus::plugins {
struct PluginHostStats;
struct PluginInfo;
}  // namespace chorus::plugins
namespace chorus::lua {
struct ScriptInfo;
}
namespace chorus::discovery {
struct RegistryStats;
}
namespace chorus::workflows {
struct WorkflowStats;
}

namespace chorus::api {

class MetricsWriter;

// chorus_bus_*: publishes, deliveries, drops, dead letters, queues, the
// delivery latency summary, per topic and per subscriber.
void write_bus_metrics(const bus::BusStats& stats, MetricsWriter& w);
// chorus_store_*: appends, transactions, syncs and the time they took, map
// and file sizes, readers, entries per database. `durable_seq` is
// EventStore::durable_seq().
void write_store_metrics(const store::StoreStats& stats, uint64_t durable_seq, MetricsWriter& w);

// chorus_plugins_*: instances loaded, files failing, loads, reloads,
// unloads and failures, and per instance memory and calls.
void write_plugin_metrics(const plugins::PluginHostStats& stats,
                          const std::vector<plugins::PluginInfo>& instances, MetricsWriter& w);
// chorus_scripts_*: scripts configured and loaded, and per script
// invocations, errors, limit hits, reloads, failed loads and memory.
void write_script_metrics(const std::vector<lua::ScriptInfo>& scripts, MetricsWriter& w);
// chorus_discovery_*: services by status, registrations, checks,
// selections per strategy and per service, requests by capability.
void write_discovery_metrics(const discovery::RegistryStats& stats, MetricsWriter& w);
// chorus_workflows_*: instances open now and engine Lua states, and
// instances started, completed, failed, compensated, cancelled, continued,
// diverged, suspended, refused by key and replayed since the start.
void write_workflow_metrics(const workflows::WorkflowStats& stats, MetricsWriter& w);

}  // namespace chorus::api
