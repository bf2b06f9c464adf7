// ApiHost: a host made of the runtime's own pieces, in process: the store
// (real LMDB in a temp dir), the bus on it and the admin API, each started
// by its Subsystem from a config::Config exactly as `chorus run` does, on
// a pool of 2 io threads; the API listens on 127.0.0.1 at a free port.
// With Parts::kAll also discovery, the Lua scripts (folder <tmp>/scripts),
// the workflow engine and the plugins (folder <tmp>/plugins), in the
// runtime's order. Tests
// reach the bus, the store and the subsystems directly to check what the
// API did.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

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
class Subsystem;
}  // namespace chorus::runtime
namespace chorus::api {
class ApiServer;
}

namespace chorus::test {

class ApiHost {
 public:
  enum class Parts {
    kCore,  // store, bus, api
    kAll,   // store, bus, discovery, scripts, workflows, plugins, api
  };
  // `edit` changes the defaults before the start (listen is 127.0.0.1:0,
  // store.persist ["order.*", "audit.**"], bus retry 1 attempt; with kAll
  // the scripts and plugins folders are in the temp dir, plugins.watch is
  // off). `before_start` runs after the edit, before anything starts (to
  // write scripts and install plugins into the folders).
  explicit ApiHost(const std::function<void(config::Config&)>& edit = {},
                   Parts parts = Parts::kCore,
                   const std::function<void(const ApiHost&)>& before_start = {});
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
  const runtime::HostServices& services() const { return services_; }
  std::string plugins_folder() const { return dir_.file("plugins"); }
  std::string scripts_folder() const { return dir_.file("scripts"); }
  // Stops the API only (as the runtime's stop does first).
  void stop_api();
  // Stops the API, then plugins, scripts and discovery (the runtime's
  // order); the store and the bus run on.
  void stop_subsystems();

 private:
  TempDir dir_;
  config::Config config_;
  std::unique_ptr<runtime::IoPool> pool_;
  api::MetricsRegistry metrics_;
  api::Readiness readiness_;
  runtime::HostServices services_;
  std::unique_ptr<runtime::StoreSubsystem> store_;
  std::unique_ptr<runtime::BusSubsystem> bus_;
  std::vector<std::unique_ptr<runtime::Subsystem>> middle_;  // discovery, scripts, plugins
  std::unique_ptr<runtime::ApiSubsystem> api_;
  bool api_stopped_ = false;
};

}  // namespace chorus::test
