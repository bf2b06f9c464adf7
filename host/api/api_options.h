// ApiOptions: everything the admin API needs to know, as plain values. The
// runtime maps the `api:` section onto it (runtime/options_from_config.h);
// nothing here knows YAML. docs/config.md "api" documents each value.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace chorus::api {

struct ApiLimits {
  size_t max_body = 1u << 20;     // bytes of a request body (413 beyond)
  size_t max_header = 16u << 10;  // bytes of the request line and headers (431 beyond)
  size_t max_connections = 256;   // open connections, HTTP and WebSocket (503 beyond)
  // How long a keep-alive connection may wait for the first byte of its next request.
  std::chrono::milliseconds idle_timeout{30'000};
  // How long a request may take to arrive whole once its first byte came (slowloris).
  std::chrono::milliseconds read_timeout{10'000};
  uint32_t requests_per_connection = 10'000;  // then Connection: close; 0: no limit
};

struct ApiOptions {
  std::string host = "127.0.0.1";  // an address or a name; resolved at start
  uint16_t port = 7070;            // 0: any free port (ApiServer::port() tells which)
  // Bearer tokens; empty: no authentication, allowed on loopback only.
  std::vector<std::string> tokens;
  std::chrono::milliseconds request_default_timeout{5'000};  // POST /v1/requests
  std::chrono::milliseconds request_max_timeout{60'000};
  ApiLimits limits;
  size_t tail_queue = 10'000;  // events buffered per WebSocket tail
  std::chrono::milliseconds tail_close_timeout{5'000};
  // Event-type patterns the bus persists (config store.persist): publishes of
  // these types answer with their stored sequence numbers.
  std::vector<std::string> persist;
};

}  // namespace chorus::api
