// The `api:` section: the admin HTTP API's listen address, bearer tokens,
// request/reply timeouts, limits and the WebSocket tail (docs/config.md
// "api", docs/api.md). A plain struct: host/runtime maps it onto
// api::ApiOptions, so config does not depend on the API.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace chorus::config {

class MapReader;

struct ApiSection {
  bool enabled = true;
  // "host:port" or "[v6]:port"; port 0 picks a free port (tests).
  std::string listen = "127.0.0.1:7070";
  // Bearer tokens; at least one is required when `listen` is not loopback.
  std::vector<std::string> tokens;
  std::chrono::milliseconds request_default_timeout{5'000};  // requests.default_timeout
  std::chrono::milliseconds request_max_timeout{60'000};     // requests.max_timeout
  uint64_t max_body = 1ull << 20;                            // limits.body
  uint64_t max_header = 16ull << 10;                         // limits.header
  uint32_t max_connections = 256;                            // limits.connections
  std::chrono::milliseconds idle_timeout{30'000};            // limits.idle_timeout
  std::chrono::milliseconds read_timeout{10'000};            // limits.read_timeout
  uint32_t requests_per_connection = 10'000;  // limits.requests_per_connection (0: no limit)
  uint64_t tail_queue = 10'000;               // tail.queue
  std::chrono::milliseconds tail_close_timeout{5'000};  // tail.close_timeout

  friend bool operator==(const ApiSection&, const ApiSection&) = default;
};

void parse_api_section(MapReader& r, ApiSection& out);

// Splits "host:port" / "[v6]:port" into its parts. False when `listen` has
// no port, a port beyond 65535, or brackets that do not close.
bool split_listen_address(const std::string& listen, std::string& host, uint16_t& port);
// True for names that are loopback by definition: "localhost", 127.0.0.0/8
// written as an IPv4 literal, and "::1". Anything else (0.0.0.0, a routable
// address, another host name) counts as beyond loopback.
bool is_loopback_host(const std::string& host);

}  // namespace chorus::config
