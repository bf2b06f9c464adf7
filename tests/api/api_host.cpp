// ApiHost (api_host.h).
#include "api_host.h"

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <sys/stat.h>

#include "api/api_server.h"
#include "runtime/api_subsystem.h"
#include "runtime/bus_subsystem.h"
#include "runtime/discovery_subsystem.h"
#include "runtime/io_pool.h"
#include "runtime/plugins_subsystem.h"
#include "runtime/scripts_subsystem.h"
#include "runtime/store_subsystem.h"
#include "runtime/workflows_subsystem.h"

namespace chorus::test {

ApiHost::ApiHost(const std::function<void(config::Config&)>& edit, Parts parts,
                 const std::function<void(const ApiHost&)>& before_start)
    : config_(config::default_config()) {
  config_.host.data_dir = dir_.file("data");
  config_.api.listen = "127.0.0.1:0";
  config_.store.persist = {"order.*", "audit.**"};
  config_.bus.retry.max_attempts = 1;
  config_.plugins.folder = plugins_folder();
  config_.plugins.watch = false;
  config_.scripts.folder = scripts_folder();
  std::filesystem::create_directories(plugins_folder());
  std::filesystem::create_directories(scripts_folder());
  ::chmod(plugins_folder().c_str(), 0755);
  if (edit) edit(config_);
  if (before_start) before_start(*this);
  pool_ = std::make_unique<runtime::IoPool>();
  services_.io = &pool_->io();
  services_.data_dir = config_.host.data_dir;
  services_.metrics = &metrics_;
  services_.readiness = &readiness_;
  pool_->start(2);
  store_ = std::make_unique<runtime::StoreSubsystem>(services_);
  bus_ = std::make_unique<runtime::BusSubsystem>(services_);
  if (parts == Parts::kAll) {
    middle_.push_back(std::make_unique<runtime::DiscoverySubsystem>(services_));
    // Made before the scripts start (it adds chorus.workflow), started
    // after them, as in the runtime's list.
    auto workflows = std::make_unique<runtime::WorkflowsSubsystem>(services_);
    middle_.push_back(std::make_unique<runtime::ScriptsSubsystem>(services_));
    middle_.push_back(std::move(workflows));
    middle_.push_back(std::make_unique<runtime::PluginsSubsystem>(services_));
  }
  api_ = std::make_unique<runtime::ApiSubsystem>(services_);
  std::vector<runtime::Subsystem*> order = {store_.get(), bus_.get()};
  for (auto& m : middle_)
    order.push_back(m.get());
  order.push_back(api_.get());
  for (runtime::Subsystem* s : order) {
    if (Status st = s->start(config_); !st.ok())
      throw std::runtime_error("ApiHost: " + std::string(s->name()) + ": " + st.message());
  }
}

ApiHost::~ApiHost() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  stop_api();
  for (auto it = middle_.rbegin(); it != middle_.rend(); ++it)
    (*it)->stop(deadline);
  bus_->stop(deadline);
  store_->stop(deadline);
  pool_->stop_and_join();
  api_->close();
  for (auto it = middle_.rbegin(); it != middle_.rend(); ++it)
    (*it)->close();
  bus_->close();
  store_->close();
}

void ApiHost::stop_api() {
  if (api_stopped_) return;
  api_stopped_ = true;
  api_->stop(std::chrono::steady_clock::now() + std::chrono::seconds(10));
}

void ApiHost::stop_subsystems() {
  stop_api();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (auto it = middle_.rbegin(); it != middle_.rend(); ++it)
    (*it)->stop(deadline);
}

api::ApiServer& ApiHost::server() const {
  return *api_->server();
}

uint16_t ApiHost::port() const {
  return api_->server() ? api_->server()->port() : 0;
}

}  // namespace chorus::test
