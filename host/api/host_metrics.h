// The metric families of the bus and the store, written from their stats()
// (docs/api.md "Metrics" lists every family). The runtime registers them
// as collectors (runtime/api_subsystem.cpp); tests call them directly.
#pragma once

#include <cstdint>

namespace chorus::bus {
struct BusStats;
}
namespace chorus::store {
struct StoreStats;
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

}  // namespace chorus::api
