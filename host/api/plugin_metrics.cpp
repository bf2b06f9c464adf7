// The chorus_plugins_* families from plugins::PluginHost (host_metrics.h).
#include "api/host_metrics.h"
#include "api/prometheus.h"
#include "plugins/plugin_host.h"

namespace chorus::api {

void write_plugin_metrics(const plugins::PluginHostStats& s,
                          const std::vector<plugins::PluginInfo>& instances, MetricsWriter& w) {
  auto one = [&](std::string_view name, MetricType type, std::string_view help, uint64_t v) {
    w.family(name, type, help);
    w.sample(v);
  };
  one("chorus_plugins_loaded", MetricType::kGauge, "Plugin instances running", s.loaded);
  one("chorus_plugins_failing", MetricType::kGauge,
      "Plugin files (or the folder) whose last load failed", s.failing);
  one("chorus_plugins_loads_total", MetricType::kCounter, "Plugin files loaded (first versions)",
      s.loads);
  one("chorus_plugins_reloads_total", MetricType::kCounter,
      "Transactional plugin reloads that succeeded", s.reloads);
  one("chorus_plugins_unloads_total", MetricType::kCounter, "Plugin files unloaded", s.unloads);
  one("chorus_plugins_failures_total", MetricType::kCounter,
      "Plugin loads, inits and starts that failed", s.failures);

  auto per_instance = [&](std::string_view name, MetricType type, std::string_view help, auto get) {
    w.family(name, type, help);
    for (const plugins::PluginInfo& p : instances)
      w.sample(static_cast<uint64_t>(get(p.stats)),
               {{"instance", p.agent.name}, {"plugin", p.agent.plugin}});
  };
  using St = plugins::InstanceStats;
  per_instance("chorus_plugins_memory_bytes", MetricType::kGauge,
               "Memory a plugin instance holds through the host API (mem_alloc)",
               [](const St& x) { return x.memory_bytes; });
  per_instance("chorus_plugins_delivered_total", MetricType::kCounter,
               "Plugin callbacks (on_event, on_request) that returned OK",
               [](const St& x) { return x.delivered; });
  per_instance("chorus_plugins_failed_total", MetricType::kCounter,
               "Plugin callbacks that returned an error (each attempt)",
               [](const St& x) { return x.failed; });
  per_instance("chorus_plugins_published_total", MetricType::kCounter,
               "Publishes, replies and requests a plugin instance made",
               [](const St& x) { return x.published; });
}

}  // namespace chorus::api
