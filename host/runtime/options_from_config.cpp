// Config sections -> module options (options_from_config.h).
#include "runtime/options_from_config.h"

#include "api/api_options.h"
#include "config/config.h"

namespace chorus::runtime {
namespace {

bus::OverflowPolicy overflow_from(config::OverflowPolicy p) {
  switch (p) {
    case config::OverflowPolicy::kBlock:
      return bus::OverflowPolicy::kBlock;
    case config::OverflowPolicy::kDropOldest:
      return bus::OverflowPolicy::kDropOldest;
    case config::OverflowPolicy::kDropNewest:
      return bus::OverflowPolicy::kDropNewest;
    case config::OverflowPolicy::kReject:
      return bus::OverflowPolicy::kReject;
  }
  return bus::OverflowPolicy::kBlock;
}

bus::RetryPolicy retry_from(const config::RetryPolicy& c) {
  bus::RetryPolicy p;
  p.max_attempts = c.max_attempts;
  p.initial_backoff = c.initial_backoff;
  p.max_backoff = c.max_backoff;
  p.multiplier = c.multiplier;
  p.jitter = c.jitter;
  return p;
}

bus::BreakerPolicy breaker_from(const config::BreakerPolicy& c) {
  bus::BreakerPolicy p;
  p.failure_threshold = c.failure_threshold;
  p.failure_ratio = c.failure_ratio;
  p.ratio_window = c.ratio_window;
  p.min_calls = c.min_calls;
  p.cooldown = c.cooldown;
  p.success_threshold = c.success_threshold;
  return p;
}

}  // namespace

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

namespace {

discovery::Strategy strategy_from(config::DiscoveryStrategy s) {
  switch (s) {
    case config::DiscoveryStrategy::kRoundRobin:
      return discovery::Strategy::kRoundRobin;
    case config::DiscoveryStrategy::kWeightedRoundRobin:
      return discovery::Strategy::kWeightedRoundRobin;
    case config::DiscoveryStrategy::kLeastConnections:
      return discovery::Strategy::kLeastConnections;
    case config::DiscoveryStrategy::kRandom:
      return discovery::Strategy::kRandom;
    case config::DiscoveryStrategy::kHealthBased:
      return discovery::Strategy::kHealthBased;
    case config::DiscoveryStrategy::kResponseTime:
      return discovery::Strategy::kResponseTime;
    case config::DiscoveryStrategy::kPowerOfTwo:
      return discovery::Strategy::kPowerOfTwo;
  }
  return discovery::Strategy::kRoundRobin;
}

discovery::CheckKind check_kind_from(config::DiscoveryCheckKind k) {
  switch (k) {
    case config::DiscoveryCheckKind::kNone:
      return discovery::CheckKind::kNone;
    case config::DiscoveryCheckKind::kHttp:
      return discovery::CheckKind::kHttp;
    case config::DiscoveryCheckKind::kTcp:
      return discovery::CheckKind::kTcp;
    case config::DiscoveryCheckKind::kCustom:
      return discovery::CheckKind::kCustom;
  }
  return discovery::CheckKind::kNone;
}

discovery::ServiceSpec service_from(const config::DiscoveryService& c) {
  discovery::ServiceSpec s;
  s.id = c.id;
  s.agent_id = c.agent_id;
  s.name = c.name;
  s.type = c.type;
  s.host = c.host;
  s.port = c.port;
  s.protocol = c.protocol;
  s.capabilities = c.capabilities;
  s.tags = c.tags;
  s.metadata = c.metadata;
  s.version = c.version;
  s.weight = c.weight;
  s.ttl = c.ttl;
  s.check.kind = check_kind_from(c.check.kind);
  s.check.path = c.check.path;
  s.check.name = c.check.name;
  s.check.port = c.check.port;
  s.check.interval = c.check.interval;
  s.check.timeout = c.check.timeout;
  s.check.failures_before_unhealthy = c.check.failures_before_unhealthy;
  s.check.successes_before_healthy = c.check.successes_before_healthy;
  return s;
}

}  // namespace

discovery::DiscoveryOptions discovery_options_from(const config::Config& config) {
  const config::DiscoverySection& d = config.discovery;
  discovery::DiscoveryOptions o;
  o.ttl = d.ttl;
  o.deregister_after = d.deregister_after;
  o.sweep_interval = d.sweep_interval;
  o.checkpoint_interval = d.checkpoint_interval;
  o.snapshot_every = d.snapshot_every;
  o.max_services = static_cast<size_t>(d.max_services);
  o.max_pools = static_cast<size_t>(d.max_pools);
  o.max_checks_in_flight = static_cast<size_t>(d.max_checks_in_flight);
  o.check.interval = d.check.interval;
  o.check.timeout = d.check.timeout;
  o.check.failures_before_unhealthy = d.check.failures_before_unhealthy;
  o.check.successes_before_healthy = d.check.successes_before_healthy;
  o.check.http_path = d.check.http_path;
  o.strategy = strategy_from(d.strategy);
  for (const auto& [capability, s] : d.capability_strategies)
    o.capability_strategies.emplace(capability, strategy_from(s));
  o.request_timeout = d.request_timeout;
  o.request_attempts = d.request_attempts;
  for (const auto& s : d.services)
    o.static_services.push_back(service_from(s));
  return o;
}

bus::BusOptions bus_options_from(const config::BusSection& section) {
  bus::BusOptions o;
  o.workers = section.workers;
  o.queue_bound = section.queue_bound;
  o.overflow = overflow_from(section.overflow);
  o.block_timeout = section.block_timeout;
  o.match_cache_size = section.match_cache_size;
  o.idle_spin = section.idle_spin;
  o.dead_letter_capacity = section.dead_letter_capacity;
  o.shutdown_timeout = section.shutdown_timeout;
  o.retry = retry_from(section.retry);
  o.breaker = breaker_from(section.breaker);
  return o;
}

plugins::PluginHostOptions plugins_options_from(const config::Config& c,
                                                const std::string& data_dir) {
  plugins::PluginHostOptions o;
  o.folder = c.plugins.folder;
  o.private_dir = (data_dir.empty() ? c.host.data_dir : data_dir) + "/plugins";
  o.watch = c.plugins.watch;
  o.heartbeat_interval = c.plugins.heartbeat_interval;
  o.drain_timeout = c.plugins.drain_timeout;
  for (const config::PluginEntry& e : c.plugins.agents) {
    plugins::PluginSettings s;
    s.key = e.key;
    s.enabled = e.enabled;
    s.config_json = e.config_json;
    s.publish = e.publish;
    s.subscribe = e.subscribe;
    s.instances = e.instances;
    for (const config::PluginFilterEntry& f : e.filters)
      s.filters.push_back({f.pattern, f.script, f.function});
    o.plugins.push_back(std::move(s));
  }
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

workflows::WorkflowOptions workflows_options_from(const config::Config& config) {
  workflows::WorkflowOptions o;
  o.scripts_folder = config.scripts.folder;
  o.memory_bytes = config.scripts.memory_limit;
  o.persist = config.store.persist;
  o.upgrade = config.workflows.upgrade == config::WorkflowUpgrade::kOnReload
                  ? workflows::UpgradeMode::kOnReload
                  : workflows::UpgradeMode::kPinned;
  o.max_open = config.workflows.max_open;
  return o;
}

}  // namespace chorus::runtime

namespace chorus::runtime {

api::ApiOptions api_options_from(const config::Config& c) {
  api::ApiOptions o;
  std::string host;
  uint16_t port = 0;
  // The section's parser already refused an address without a port.
  if (config::split_listen_address(c.api.listen, host, port)) {
    o.host = host;
    o.port = port;
  }
  o.tokens = c.api.tokens;
  o.request_default_timeout = c.api.request_default_timeout;
  o.request_max_timeout = c.api.request_max_timeout;
  o.limits.max_body = static_cast<size_t>(c.api.max_body);
  o.limits.max_header = static_cast<size_t>(c.api.max_header);
  o.limits.max_connections = c.api.max_connections;
  o.limits.idle_timeout = c.api.idle_timeout;
  o.limits.read_timeout = c.api.read_timeout;
  o.limits.requests_per_connection = c.api.requests_per_connection;
  o.tail_queue = static_cast<size_t>(c.api.tail_queue);
  o.tail_close_timeout = c.api.tail_close_timeout;
  o.persist = c.store.persist;
  return o;
}

}  // namespace chorus::runtime
