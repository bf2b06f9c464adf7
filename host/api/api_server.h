// ApiServer: the admin HTTP API of a running host (docs/api.md): the
// routes (router.h, routes.h) served over HTTP/1.1 and WebSocket by
// Boost.Beast on the host's io_context, with the limits of ApiOptions.
//
//   api::ApiServer server(io, options, {.bus = &bus, .store = &store,
//                                       .metrics = &registry, .readiness = &readiness});
//   CHORUS_RETURN_IF_ERROR(server.start());   // binds; serves on io's threads
//   ...
//   server.stop(deadline);                    // before the bus and store stop
//
// Lifetime: the bus, store and registries must stay usable until stop()
// returns; the io_context must outlive the server (connections that were
// cut off may leave work queued in it, which refers only to state the
// server shares with them).
//
// Threading: construct, start(), stop(), reload() on one thread that is not
// an io thread (the runtime's main thread); stop() needs the io threads
// running. Handlers run on the io threads, one strand per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "api/api_context.h"
#include "api/api_options.h"
#include "core/status.h"

namespace boost::asio {
class io_context;
}

namespace chorus::api {

class ApiMetrics;
class Router;
struct ServerState;

struct ApiServices {
  bus::EventBus* bus = nullptr;                    // required
  store::EventStore* store = nullptr;              // required
  MetricsRegistry* metrics = nullptr;              // required: GET /metrics renders it
  Readiness* readiness = nullptr;                  // required: GET /readyz runs it
  CapabilityRequest request_by_capability;         // optional (discovery)
  plugins::PluginHost* plugins = nullptr;          // optional: /v1/plugins answers 503 without
  lua::ScriptHost* scripts = nullptr;              // optional: /v1/scripts answers 503 without
  discovery::Registry* registry = nullptr;         // optional: /v1/registry answers 503 without
  workflows::WorkflowEngine* workflows = nullptr;  // optional: /v1/workflows answers 503 without
};

class ApiServer {
 public:
  ApiServer(boost::asio::io_context& io, ApiOptions options, ApiServices services);
  ~ApiServer();  // stop(now) if still running
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Resolves and binds options.host:port and starts accepting; registers
  // the API's own metrics (chorus_api_*). PermissionDenied when the address
  // is not loopback and no token is configured; IOError naming the address
  // when it cannot listen.
  Status start();
  // The bound port and address ("127.0.0.1:7070"); valid after start().
  uint16_t port() const noexcept { return port_; }
  const std::string& address() const noexcept { return address_; }

  // Stops accepting, closes idle connections and tails (close frame
  // "going away"), lets requests in flight finish until min(deadline, 5 s
  // from now), then answers what is left with 503 and closes every
  // connection. Unsubscribes every tail. Idempotent.
  void stop(std::chrono::steady_clock::time_point deadline);

  // Applies tokens, request timeouts, limits and tail settings to the next
  // request, connection or tail. FailedPrecondition (nothing changes) when
  // the bound address is beyond loopback and `next` has no token. The
  // listen address is not changed (that takes a restart).
  Status reload(ApiOptions next);

  // For tests and the fuzzer: the routes, and the API's counters.
  const Router& router() const;
  const ApiMetrics& metrics() const;

 private:
  std::shared_ptr<ServerState> state_;
  uint64_t collector_ = 0;
  uint16_t port_ = 0;
  std::string address_;
  bool loopback_ = true;
  bool started_ = false, stopped_ = false;
};

}  // namespace chorus::api
