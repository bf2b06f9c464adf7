// HostRuntime: io_context + worker pool + signals + data-dir lock.
#include "cli/host_runtime.h"

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <optional>
#include <thread>
#include <vector>

#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "cli/commands.h"
#include "cli/data_dir.h"
#include "core/log.h"

namespace chorus::cli {

namespace asio = boost::asio;

struct HostRuntime::Impl {
  config::Config config;
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  asio::signal_set signals{io};
  std::vector<std::thread> workers;
  std::optional<DataDirLock> lock;
  std::shared_ptr<spdlog::logger> log = log::get("host");
  std::atomic<bool> stopping{false};

  explicit Impl(config::Config c) : config(std::move(c)) {}

  void wait_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        do_reload();
      } else if (stopping.load()) {
        log->warn("second {} while stopping: exiting now", sig == SIGINT ? "SIGINT" : "SIGTERM");
        log->flush();
        std::_Exit(kExitFailure);
      } else {
        log->info("{} received: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        do_stop();
      }
      wait_signal();
    });
  }

  // Runs on an io thread.
  void do_stop() {
    if (stopping.exchange(true)) return;
    // Subsystems stop here, in reverse start order, as they are added.
    work.reset();
    signals.cancel();
    io.stop();
  }

  void do_reload() {
    log->info("SIGHUP received: reload requested (no reloadable subsystem is running yet)");
  }
};

HostRuntime::HostRuntime(config::Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}

HostRuntime::~HostRuntime() {
  stop();
  wait();
}

Status HostRuntime::start() {
  Impl& m = *impl_;
  auto lock = DataDirLock::acquire(m.config.host.data_dir);
  if (!lock.ok()) return lock.error();
  m.lock.emplace(std::move(*lock));

  m.signals.add(SIGINT);
  m.signals.add(SIGTERM);
  m.signals.add(SIGHUP);
  m.wait_signal();

  m.work.emplace(m.io.get_executor());
  const int n = config::resolve_workers(m.config.host.workers);
  for (int i = 0; i < n; ++i) m.workers.emplace_back([&m] { m.io.run(); });

  m.log->info("ready version={} host={} config={} data_dir={} workers={} pid={}", version_string(),
              m.config.host.name, m.config.file.empty() ? "(built-in defaults)" : m.config.file,
              m.lock->path(), n, ::getpid());
  return Status::OK();
}

void HostRuntime::wait() {
  for (auto& t : impl_->workers)
    if (t.joinable()) t.join();
  impl_->workers.clear();
  if (impl_->lock) {
    impl_->lock.reset();
    impl_->log->info("stopped");
  }
}

void HostRuntime::stop() {
  asio::post(impl_->io, [m = impl_.get()] { m->do_stop(); });
}

void HostRuntime::reload() {
  asio::post(impl_->io, [m = impl_.get()] { m->do_reload(); });
}

}  // namespace chorus::cli
