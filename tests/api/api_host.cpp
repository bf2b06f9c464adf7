// ApiHost (api_host.h).
#include "api_host.h"

#include <chrono>
#include <stdexcept>

#include "api/api_server.h"
#include "runtime/api_subsystem.h"
#include "runtime/bus_subsystem.h"
#include "runtime/io_pool.h"
#include "runtime/store_subsystem.h"

namespace chorus::test {

ApiHost::ApiHost(const std::function<void(config::Config&)>& edit)
    : config_(config::default_config()) {
  config_.host.data_dir = dir_.file("data");
  config_.api.listen = "127.0.0.1:0";
  config_.store.persist = {"order.*", "audit.**"};
  config_.bus.retry.max_attempts = 1;
  if (edit) edit(config_);
  pool_ = std::make_unique<runtime::IoPool>();
  services_.io = &pool_->io();
  services_.data_dir = config_.host.data_dir;
  services_.metrics = &metrics_;
  services_.readiness = &readiness_;
  pool_->start(2);
  store_ = std::make_unique<runtime::StoreSubsystem>(services_);
  bus_ = std::make_unique<runtime::BusSubsystem>(services_);
  api_ = std::make_unique<runtime::ApiSubsystem>(services_);
  for (runtime::Subsystem* s : {static_cast<runtime::Subsystem*>(store_.get()),
                                static_cast<runtime::Subsystem*>(bus_.get()),
                                static_cast<runtime::Subsystem*>(api_.get())}) {
    if (Status st = s->start(config_); !st.ok())
      throw std::runtime_error("ApiHost: " + std::string(s->name()) + ": " + st.message());
  }
}

ApiHost::~ApiHost() {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  stop_api();
  bus_->stop(deadline);
  store_->stop(deadline);
  pool_->stop_and_join();
  api_->close();
  bus_->close();
  store_->close();
}

void ApiHost::stop_api() {
  if (api_stopped_) return;
  api_stopped_ = true;
  api_->stop(std::chrono::steady_clock::now() + std::chrono::seconds(10));
}

api::ApiServer& ApiHost::server() const {
  return *api_->server();
}

uint16_t ApiHost::port() const {
  return api_->server() ? api_->server()->port() : 0;
}

}  // namespace chorus::test
