// The chorus_workflows_* families from workflows::WorkflowEngine::stats()
// (host_metrics.h; docs/api.md "Metrics"). The counters run from the
// engine's start: an instance replayed after a restart is not started again.
#include "api/host_metrics.h"
#include "api/prometheus.h"
#include "workflows/workflow_engine.h"

namespace chorus::api {

void write_workflow_metrics(const workflows::WorkflowStats& s, MetricsWriter& w) {
  auto one = [&](std::string_view name, MetricType type, std::string_view help, uint64_t v) {
    w.family(name, type, help);
    w.sample(v);
  };
  one("chorus_workflows_running", MetricType::kGauge,
      "Open workflow instances in the engine (running, waiting or suspended)", s.open);
  one("chorus_workflows_versions", MetricType::kGauge,
      "Engine Lua states, one per (script, source hash) in use", s.versions);
  one("chorus_workflows_memory_bytes", MetricType::kGauge,
      "Bytes held by the engine's Lua states (each under scripts.limits.memory)", s.memory_bytes);
  one("chorus_workflows_lua_collections_total", MetricType::kCounter,
      "Full collections the engine's Lua states ran near their memory limit", s.lua_collections);
  one("chorus_workflows_started_total", MetricType::kCounter, "Workflow instances started",
      s.started);
  one("chorus_workflows_completed_total", MetricType::kCounter,
      "Workflow instances that returned (ended completed)", s.completed);
  one("chorus_workflows_failed_total", MetricType::kCounter,
      "Workflow instances ended failed (an error outside a step, or a compensation that failed)",
      s.failed);
  one("chorus_workflows_compensated_total", MetricType::kCounter,
      "Workflow instances ended compensated (a step failed; compensations ran)", s.compensated);
  one("chorus_workflows_cancelled_total", MetricType::kCounter,
      "Workflow instances ended cancelled through the admin API", s.cancelled);
  one("chorus_workflows_continued_total", MetricType::kCounter,
      "Workflow instances ended by continue-as-new", s.continued);
  one("chorus_workflows_diverged_total", MetricType::kCounter,
      "Workflow instances suspended because their replay diverged from the history", s.diverged);
  one("chorus_workflows_suspended_total", MetricType::kCounter,
      "Workflow instances suspended (divergence or an internal error)", s.suspended);
  one("chorus_workflows_refused_total", MetricType::kCounter,
      "Triggers that started nothing: their key names an open instance", s.refused_by_key);
  one("chorus_workflows_replayed_total", MetricType::kCounter,
      "Open workflow instances replayed from their history at a start", s.replayed);
}

}  // namespace chorus::api
