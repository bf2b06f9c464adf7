// The chorus_store_* families from store::StoreStats (host_metrics.h).
#include "api/host_metrics.h"
#include "api/prometheus.h"
#include "store/event_store.h"

namespace chorus::api {

void write_store_metrics(const store::StoreStats& s, uint64_t durable_seq, MetricsWriter& w) {
  auto counter = [&](std::string_view name, std::string_view help, uint64_t v) {
    w.family(name, MetricType::kCounter, help);
    w.sample(v);
  };
  auto seconds_total = [&](std::string_view name, std::string_view help, uint64_t ns) {
    w.family(name, MetricType::kCounter, help);
    w.sample(static_cast<double>(ns) / 1e9);
  };
  auto gauge = [&](std::string_view name, std::string_view help, double v) {
    w.family(name, MetricType::kGauge, help);
    w.sample(v);
  };
  counter("chorus_store_appended_total", "Events appended since the store opened",
          s.events_appended);
  counter("chorus_store_transactions_total", "Write transactions committed (group commits)",
          s.transactions);
  counter("chorus_store_syncs_total", "Syncs (fsync) of the store file", s.syncs);
  counter("chorus_store_map_growths_total", "Times the LMDB map grew", s.map_growths);
  seconds_total("chorus_store_apply_seconds_total", "Time spent applying writes in transactions",
                s.apply_ns);
  seconds_total("chorus_store_commit_seconds_total", "Time spent committing transactions",
                s.commit_ns);
  seconds_total("chorus_store_sync_seconds_total", "Time spent syncing the store file", s.sync_ns);
  seconds_total("chorus_store_complete_seconds_total",
                "Time spent completing appends and running commit listeners", s.complete_ns);
  gauge("chorus_store_map_size_bytes", "Size of the LMDB map", static_cast<double>(s.map_size));
  gauge("chorus_store_map_used_bytes", "Bytes of the map in use", static_cast<double>(s.map_used));
  gauge("chorus_store_map_usage_ratio", "map_used / map_size",
        s.map_size ? static_cast<double>(s.map_used) / static_cast<double>(s.map_size) : 0.0);
  gauge("chorus_store_file_size_bytes", "Size of the store file on disk",
        static_cast<double>(s.file_size));
  gauge("chorus_store_last_seq", "The newest sequence number in the log",
        static_cast<double>(s.last_seq));
  gauge("chorus_store_durable_seq",
        "The last sequence number whose commit met the durability "
        "policy",
        static_cast<double>(durable_seq));
  gauge("chorus_store_readers_used", "LMDB reader slots in use",
        static_cast<double>(s.readers_used));
  gauge("chorus_store_readers_max", "LMDB reader slots", static_cast<double>(s.readers_max));
  w.family("chorus_store_entries", MetricType::kGauge, "Entries per LMDB database");
  for (const store::DatabaseStats& d : s.databases)
    w.sample(d.entries, {{"database", d.name}});
}

}  // namespace chorus::api
