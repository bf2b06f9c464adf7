// The chorus_scripts_* families from lua::ScriptHost::scripts() (host_metrics.h).
#include "api/host_metrics.h"
#include "api/prometheus.h"
#include "lua/script_host.h"

namespace chorus::api {

void write_script_metrics(const std::vector<lua::ScriptInfo>& scripts, MetricsWriter& w) {
  uint64_t loaded = 0;
  for (const lua::ScriptInfo& s : scripts)
    loaded += s.loaded ? 1 : 0;
  w.family("chorus_scripts_configured", MetricType::kGauge, "Scripts in the configuration");
  w.sample(uint64_t{scripts.size()});
  w.family("chorus_scripts_loaded", MetricType::kGauge, "Scripts with a version running");
  w.sample(loaded);

  auto per_script = [&](std::string_view name, MetricType type, std::string_view help, auto get) {
    w.family(name, type, help);
    for (const lua::ScriptInfo& s : scripts)
      w.sample(static_cast<uint64_t>(get(s)), {{"script", s.name}});
  };
  using S = lua::ScriptInfo;
  per_script("chorus_scripts_invocations_total", MetricType::kCounter,
             "Calls into a script's handlers, filters and timers",
             [](const S& s) { return s.invocations; });
  per_script("chorus_scripts_errors_total", MetricType::kCounter,
             "Script calls that failed (limit hits included)", [](const S& s) { return s.errors; });
  per_script("chorus_scripts_limit_hits_total", MetricType::kCounter,
             "Script calls stopped by the CPU or memory limit",
             [](const S& s) { return s.limit_hits; });
  per_script("chorus_scripts_reloads_total", MetricType::kCounter,
             "New versions of a script made current after the first",
             [](const S& s) { return s.reloads; });
  per_script("chorus_scripts_load_failures_total", MetricType::kCounter,
             "Loads and reloads of a script that failed (the previous version kept running)",
             [](const S& s) { return s.load_failures; });
  per_script("chorus_scripts_memory_bytes", MetricType::kGauge,
             "Memory of a script's Lua state (its current version)",
             [](const S& s) { return s.memory_bytes; });
}

}  // namespace chorus::api
