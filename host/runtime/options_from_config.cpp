// Config sections -> module options (options_from_config.h).
#include "runtime/options_from_config.h"

#include "config/config.h"

namespace chorus::runtime {

store::StoreOptions store_options_from(const config::Config& c, const std::string& data_dir) {
  store::StoreOptions o;
  o.path = (data_dir.empty() ? c.host.data_dir : data_dir) + "/store";
  switch (c.store.durability) {
    case config::StoreDurability::kAlways:
      o.durability = store::Durability::kAlways;
      break;
    case config::StoreDurability::kInterval:
      o.durability = store::Durability::kInterval;
      break;
    case config::StoreDurability::kNone:
      o.durability = store::Durability::kNone;
      break;
  }
  o.sync_interval = c.store.sync_interval;
  o.map_initial = c.store.map_initial;
  o.map_max = c.store.map_max;
  o.map_growth = c.store.map_growth;
  o.retention_interval = c.store.retention_interval;
  o.retention_batch = static_cast<size_t>(c.store.retention_batch);
  for (const auto& r : c.store.retention)
    o.retention.push_back(store::RetentionRule{r.pattern, r.max_age, r.max_count});
  o.group_ack_timeout = c.store.group_ack_timeout;
  o.group_max_deliveries = c.store.group_max_deliveries;
  return o;
}

LogOptions log_options_from(const config::LogSection& section) {
  LogOptions o;
  switch (section.level) {
    case config::LogLevel::kTrace:
      o.level = spdlog::level::trace;
      break;
    case config::LogLevel::kDebug:
      o.level = spdlog::level::debug;
      break;
    case config::LogLevel::kInfo:
      o.level = spdlog::level::info;
      break;
    case config::LogLevel::kWarn:
      o.level = spdlog::level::warn;
      break;
    case config::LogLevel::kError:
      o.level = spdlog::level::err;
      break;
    case config::LogLevel::kCritical:
      o.level = spdlog::level::critical;
      break;
    case config::LogLevel::kOff:
      o.level = spdlog::level::off;
      break;
  }
  o.format = section.format == config::LogFormat::kJson ? log::Format::kJson : log::Format::kText;
  return o;
}

lua::ScriptHostOptions scripts_options_from(const config::Config& config) {
  const config::ScriptsSection& s = config.scripts;
  lua::ScriptHostOptions o;
  o.folder = s.folder;
  o.watch = s.watch;
  o.request_timeout = s.request_timeout;
  for (const config::ScriptEntryConfig& e : s.entries) {
    lua::ScriptSpec spec;
    spec.name = e.name;
    spec.file = e.file;
    spec.trust = e.trusted ? lua::Trust::kTrusted : lua::Trust::kSandboxed;
    spec.limits.memory_bytes = e.memory_limit.value_or(s.memory_limit);
    spec.limits.cpu = e.cpu_limit.value_or(s.cpu_limit);
    spec.config_json = e.config_json;
    spec.origin = e.origin;
    for (const config::ScriptSubscriptionConfig& c : e.subscriptions) {
      lua::SubscriptionSpec sub;
      sub.patterns = c.on;
      sub.handler = c.handler;
      sub.filter = c.filter;
      sub.queue_group = c.queue_group;
      sub.durable_group = c.durable;
      if (!c.priority.empty()) {
        if (auto p = parse_priority(c.priority); p.ok()) sub.min_priority = *p;
      }
      sub.origin = c.origin;
      spec.subscriptions.push_back(std::move(sub));
    }
    o.scripts.push_back(std::move(spec));
  }
  return o;
}

}  // namespace chorus::runtime
