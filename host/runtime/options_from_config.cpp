// Config sections -> module options (options_from_config.h).
#include "runtime/options_from_config.h"

#include "api/api_options.h"
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
