// HostRuntime: lock, workers, signals, the subsystem list, reload and the
// shutdown sequence (host_runtime.h).
#include "runtime/host_runtime.h"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <unistd.h>
#include <vector>

#include <boost/asio/signal_set.hpp>

#include "api/metrics_registry.h"
#include "api/readiness.h"
#include "runtime/api_subsystem.h"
#include "runtime/bus_subsystem.h"
#include "runtime/config_diff.h"
#include "runtime/data_dir.h"
#include "runtime/discovery_subsystem.h"
#include "runtime/host_services.h"
#include "runtime/io_pool.h"
#include "runtime/options_from_config.h"
#include "runtime/plugins_subsystem.h"
#include "runtime/runtime_log.h"
#include "runtime/scripts_subsystem.h"
#include "runtime/store_subsystem.h"
#include "runtime/version.h"
#include "runtime/workflows_subsystem.h"

namespace chorus::runtime {

namespace asio = boost::asio;

namespace {

// How long the whole stop sequence may take before queues are cut short.
constexpr std::chrono::seconds kStopBudget{30};

// Exit status of a second SIGINT/SIGTERM while stopping (docs/cli.md).
constexpr int kExitInterrupted = 1;

// The subsystems of the host, in start order. Adding one is one line here.
std::vector<std::unique_ptr<Subsystem>> make_subsystems(HostServices& services) {
  std::vector<std::unique_ptr<Subsystem>> list;
  list.push_back(std::make_unique<StoreSubsystem>(services));
  list.push_back(std::make_unique<BusSubsystem>(services));
  list.push_back(std::make_unique<DiscoverySubsystem>(services));
  // Made before the scripts start: it adds chorus.workflow to them.
  auto workflows = std::make_unique<WorkflowsSubsystem>(services);
  list.push_back(std::make_unique<ScriptsSubsystem>(services));
  list.push_back(std::move(workflows));
  list.push_back(std::make_unique<PluginsSubsystem>(services));
  list.push_back(std::make_unique<ApiSubsystem>(services));  // last: it exposes the others
  return list;
}

// The runtime itself applies the `log:` section.
bool runtime_reloads(std::string_view key) {
  return key.starts_with("log.");
}

void apply_log(const config::LogSection& section) {
  const LogOptions o = log_options_from(section);
  log::configure(o.level, o.format);
}

}  // namespace

struct HostRuntime::Impl {
  config::Config config;
  IoPool workers;
  asio::signal_set signals{workers.io()};
  std::optional<DataDirLock> lock;
  api::MetricsRegistry metrics;  // HostServices::metrics, for every subsystem
  api::Readiness readiness;      // HostServices::readiness
  HostServices services;
  std::vector<std::unique_ptr<Subsystem>> subsystems;
  size_t started_count = 0;  // subsystems[0, started_count) are running

  std::mutex mu;
  std::condition_variable cv;
  bool stop_requested = false;    // under mu
  bool reload_requested = false;  // under mu
  std::atomic<bool> stopping{false};
  bool started = false;

  explicit Impl(config::Config c) : config(std::move(c)) {}

  void wait_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
      if (sig == SIGHUP) {
        runtime_log().info("SIGHUP received: reload requested");
        request(reload_requested);
      } else if (stopping.load()) {
        runtime_log().warn("second {} while stopping: exiting now", name);
        runtime_log().flush();
        std::_Exit(kExitInterrupted);
      } else {
        runtime_log().info("{} received: stopping", name);
        stopping.store(true);
        request(stop_requested);
      }
      wait_signal();
    });
  }

  void request(bool& flag) {
    std::lock_guard l(mu);
    flag = true;
    cv.notify_all();
  }

  // On the main thread (wait()).
  void do_reload() {
    if (config.file.empty()) {
      runtime_log().info("reload: running on the built-in defaults, no file to read again");
      return;
    }
    config::ConfigErrors errors;
    auto next = config::load_config(config.file, {}, &errors);
    if (!next.ok()) {
      for (const auto& e : errors.errors)
        runtime_log().error("{}", e.to_string());
      runtime_log().error("reload refused: {} has {} error{}; nothing changed", config.file,
                          errors.errors.size(), errors.errors.size() == 1 ? "" : "s");
      return;
    }
    const std::vector<SettingChange> changes = diff_settings(config.settings, next->settings);
    if (changes.empty()) {
      runtime_log().info("reload: {} has no changes", config.file);
      return;
    }
    std::vector<Subsystem*> to_reload;
    for (const SettingChange& c : changes) {
      std::string_view how = "takes effect after a restart";
      if (runtime_reloads(c.key)) {
        how = "applied";
      } else {
        for (size_t i = 0; i < started_count; ++i) {
          Subsystem* s = subsystems[i].get();
          if (!s->reloads(c.key)) continue;
          how = "applied";
          if (std::find(to_reload.begin(), to_reload.end(), s) == to_reload.end())
            to_reload.push_back(s);
        }
      }
      runtime_log().info("reload: {} ({})", c.to_string(), how);
    }
    if (next->log != config.log) {
      apply_log(next->log);
      runtime_log().debug("reload: log level and format applied");
    }
    for (Subsystem* s : to_reload) {
      if (Status st = s->reload(*next); !st.ok())
        runtime_log().error("reload: {}: {}", s->name(), st.message());
    }
    config = std::move(*next);
    runtime_log().info("reload: {} change{} read from {}", changes.size(),
                       changes.size() == 1 ? "" : "s", config.file);
  }

  // Everything in reverse start order; safe after a partial start.
  void shut_down() {
    stopping.store(true);
    const Deadline deadline = std::chrono::steady_clock::now() + kStopBudget;
    for (size_t i = started_count; i-- > 0;)
      subsystems[i]->stop(deadline);
    workers.stop_and_join();
    signals.cancel();  // no handler runs now: the workers are joined
    for (size_t i = started_count; i-- > 0;)
      subsystems[i]->close();
    started_count = 0;
    subsystems.clear();
    if (lock) {
      lock.reset();
      runtime_log().info("stopped");
    }
  }
};

HostRuntime::HostRuntime(config::Config config)
    : impl_(std::make_unique<Impl>(std::move(config))) {}

HostRuntime::~HostRuntime() {
  stop();
  wait();
}

Status HostRuntime::start() {
  Impl& m = *impl_;
  auto lock = DataDirLock::acquire(m.config.host.data_dir);
  if (!lock.ok()) return lock.error();
  m.lock.emplace(std::move(*lock));
  m.services.io = &m.workers.io();
  m.services.data_dir = m.lock->path();
  m.services.metrics = &m.metrics;
  m.services.readiness = &m.readiness;

  m.signals.add(SIGINT);
  m.signals.add(SIGTERM);
  m.signals.add(SIGHUP);
  m.wait_signal();
  const int n = config::resolve_workers(m.config.host.workers);
  m.workers.start(n);

  m.subsystems = make_subsystems(m.services);
  for (auto& s : m.subsystems) {
    if (Status st = s->start(m.config); !st.ok()) {
      m.shut_down();
      return st;
    }
    ++m.started_count;
  }
  m.started = true;

  runtime_log().info("ready version={} host={} config={} data_dir={} workers={} pid={}",
                     version_string(), m.config.host.name,
                     m.config.file.empty() ? "(built-in defaults)" : m.config.file,
                     m.services.data_dir, n, ::getpid());
  return Status::OK();
}

void HostRuntime::wait() {
  Impl& m = *impl_;
  if (!m.started) return;
  for (;;) {
    std::unique_lock l(m.mu);
    m.cv.wait(l, [&] { return m.stop_requested || m.reload_requested; });
    if (m.stop_requested) break;
    m.reload_requested = false;
    l.unlock();
    m.do_reload();
  }
  m.shut_down();
  m.started = false;
}

void HostRuntime::stop() {
  impl_->stopping.store(true);
  impl_->request(impl_->stop_requested);
}

void HostRuntime::reload() {
  impl_->request(impl_->reload_requested);
}

}  // namespace chorus::runtime
