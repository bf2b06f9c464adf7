// ApiSubsystem: the admin HTTP API (host/api, docs/api.md), started last so
// that everything it exposes is up, and stopped first so that no request
// reaches a subsystem that is going away. At start it registers the bus's
// and the store's metric families and the "store" and "bus" readiness
// checks (the registries themselves are HostServices::metrics/readiness,
// which every subsystem may add to), then binds api.listen; a bind error or
// a non-loopback address without tokens fails the start. With
// api.enabled: false it does nothing.
//
// stop() lets requests in flight finish (bounded by the deadline), closes
// every connection and tail, and removes what it registered. Reload applies
// tokens, request timeouts, limits and tail settings; api.enabled and
// api.listen need a restart.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "runtime/host_services.h"
#include "runtime/subsystem.h"

namespace chorus::api {
class ApiServer;
}

namespace chorus::runtime {

class ApiSubsystem final : public Subsystem {
 public:
  explicit ApiSubsystem(HostServices& services);
  ~ApiSubsystem() override;

  std::string_view name() const noexcept override { return "api"; }
  Status start(const config::Config& config) override;
  void stop(Deadline deadline) override;
  void close() override;
  bool reloads(std::string_view key) const override;
  Status reload(const config::Config& next) override;

  // The running server (null before start, when disabled, and after
  // close()); for tests that need its port.
  api::ApiServer* server() const noexcept { return server_.get(); }

 private:
  HostServices& services_;
  std::unique_ptr<api::ApiServer> server_;
  std::vector<uint64_t> collectors_;
  std::vector<uint64_t> checks_;
};

}  // namespace chorus::runtime
