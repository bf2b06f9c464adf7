// ApiHost: a host made of the runtime's own pieces, in process: the store
// (real LMDB in a temp dir), the bus on it and the admin API, each started
// by its Subsystem from a config::Config exactly as `chorus run` does, on
// a pool of 2 io threads; the API listens on 127.0.0.1 at a free port.
// Tests reach the bus and the store directly to check what the API did.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/metrics_registry.h"
#include "api/readiness.h"
#include "config/config.h"
#include "runtime/host_services.h"
#include "support/temp_dir.h"

namespace boost::asio {
class io_context;
}
namespace chorus::runtime {
class IoPool;
class StoreSubsystem;
class BusSubsystem;
class ApiSubsystem;
}  // namespace chorus::runtime
namespace chorus::api {
class ApiServer;
}

namespace chorus::test {

class ApiHost {
 public:
  // `edit` changes the defaults before the start (listen is 127.0.0.1:0,
  // store.persist ["order.*", "audit.**"], bus retry 1 attempt).
  explicit ApiHost(const std::function<void(config::Config&)>& edit = {});
  ~ApiHost();  // stops everything in the runtime's order

  uint16_t port() const;
  boost::asio::io_context& io() const { return *services_.io; }
  bus::EventBus& bus() const { return *services_.bus; }
  store::EventStore& store() const { return *services_.store; }
  api::ApiServer& server() const;
  api::MetricsRegistry& metrics() { return metrics_; }
  api::Readiness& readiness() { return readiness_; }
  runtime::ApiSubsystem& api_subsystem() { return *api_; }
  const config::Config& config() const { return config_; }
  // Stops the API only (as the runtime's stop does first).
  void stop_api();

 private:
  TempDir dir_;
  config::Config config_;
  std::unique_ptr<runtime::IoPool> pool_;
  api::MetricsRegistry metrics_;
  api::Readiness readiness_;
  runtime::HostServices services_;
  std::unique_ptr<runtime::StoreSubsystem> store_;
  std::unique_ptr<runtime::BusSubsystem> bus_;
  std::unique_ptr<runtime::ApiSubsystem> api_;
  bool api_stopped_ = false;
};

}  // namespace chorus::test
