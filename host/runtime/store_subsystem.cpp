// StoreSubsystem: the event store's place in the host's lifecycle.
#include "runtime/store_subsystem.h"

#include "config/config.h"
#include "runtime/options_from_config.h"
#include "runtime/runtime_log.h"
#include "store/event_store.h"

namespace chorus::runtime {
namespace {

std::string_view durability_name(store::Durability d) {
  switch (d) {
    case store::Durability::kAlways:
      return "always";
    case store::Durability::kInterval:
      return "interval";
    case store::Durability::kNone:
      return "none";
  }
  return "always";
}

}  // namespace

StoreSubsystem::StoreSubsystem(HostServices& services) : services_(services) {}

StoreSubsystem::~StoreSubsystem() {
  close();
}

Status StoreSubsystem::start(const config::Config& config) {
  const store::StoreOptions options = store_options_from(config, services_.data_dir);
  auto opened = store::EventStore::open(options);
  if (!opened.ok()) return opened.error();
  store_ = std::move(*opened);
  services_.store = store_.get();
  runtime_log().info("store open path={} durability={} last_seq={}", store_->path(),
                     durability_name(options.durability), store_->durable_seq());
  return Status::OK();
}

void StoreSubsystem::stop(Deadline) {
  // Writes keep arriving until the subsystems above have stopped and the
  // workers are joined; the store closes in close().
}

void StoreSubsystem::close() {
  if (!store_) return;
  store_->close();  // every queued write completes and is synced
  store_.reset();
  services_.store = nullptr;
}

}  // namespace chorus::runtime
