// HostRuntime: io_context + worker pool + signals + data-dir lock + store +
// bus, with the shutdown sequence run by the main thread.
#include "cli/host_runtime.h"

#include <atomic>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <unistd.h>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "bus/event_bus.h"
#include "cli/bus_options_from.h"
#include "cli/commands.h"
#include "cli/data_dir.h"
#include "cli/store_bridge.h"
#include "core/log.h"
#include "store/event_store.h"

namespace chorus::cli {

namespace asio = boost::asio;

namespace {

// An io_context with its threads; the work guard keeps them running until
// stop_and_join().
struct IoPool {
  asio::io_context io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;

  void start(int n) {
    work.emplace(io.get_executor());
    for (int i = 0; i < n; ++i)
      threads.emplace_back([this] { io.run(); });
  }
  void stop_and_join() {
    work.reset();
    io.stop();
    for (auto& t : threads)
      if (t.joinable()) t.join();
    threads.clear();
  }
};

std::string_view durability_name(config::StoreDurability d) {
  switch (d) {
    case config::StoreDurability::kAlways:
      return "always";
    case config::StoreDurability::kInterval:
      return "interval";
    case config::StoreDurability::kNone:
      return "none";
  }
  return "always";
}

}  // namespace

struct HostRuntime::Impl {
  config::Config config;
  IoPool host;                       // the host's workers
  std::unique_ptr<IoPool> bus_pool;  // bus.workers > 0: the bus's own
  asio::signal_set signals{host.io};
  std::optional<DataDirLock> lock;
  std::unique_ptr<store::EventStore> store;
  std::unique_ptr<bus::EventBus> bus;
  std::shared_ptr<spdlog::logger> log = log::get("host");

  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stop_requested = false;
  std::atomic<bool> stopping{false};
  bool started = false;

  explicit Impl(config::Config c) : config(std::move(c)) {}

  void wait_signal() {
    signals.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      const char* name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
      if (sig == SIGHUP) {
        do_reload();
      } else if (stopping.load()) {
        log->warn("second {} while stopping: exiting now", name);
        log->flush();
        std::_Exit(kExitFailure);
      } else {
        log->info("{} received: stopping", name);
        request_stop();
      }
      wait_signal();
    });
  }

  void request_stop() {
    stopping.store(true);
    std::lock_guard lock(stop_mu);
    stop_requested = true;
    stop_cv.notify_all();
  }

  void do_reload() {
    log->info("SIGHUP received: reload requested (no reloadable subsystem is running yet)");
  }

  // Everything in reverse start order; safe after a partial start.
  void shut_down() {
    if (bus) {
      (void)bus->shutdown(config.bus.shutdown_timeout);  // drains while workers run
    }
    if (bus_pool) bus_pool->stop_and_join();
    host.stop_and_join();
    signals.cancel();  // no handler runs now: the workers are joined
    bus.reset();
    if (store) {
      store->close();  // every queued write completes and is synced
      store.reset();
    }
    if (lock) {
      lock.reset();
      log->info("stopped");
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

  // A store that cannot be opened safely (newer format, permission, corrupt
  // header) stops the start: nothing is written to it.
  auto opened = store::EventStore::open(store_options_from(m.config, m.lock->path()));
  if (!opened.ok()) {
    m.shut_down();
    return opened.error();
  }
  m.store = std::move(*opened);
  m.log->info("store open path={} durability={} last_seq={}", m.store->path(),
              durability_name(m.config.store.durability), m.store->durable_seq());

  auto dead_letters = StoreDeadLetters::open(*m.store);
  if (!dead_letters.ok()) {
    m.shut_down();
    return dead_letters.error();
  }
  asio::io_context* bus_io = &m.host.io;
  if (m.config.bus.workers > 0) {
    m.bus_pool = std::make_unique<IoPool>();
    bus_io = &m.bus_pool->io;
  }
  m.bus = std::make_unique<bus::EventBus>(*bus_io, bus_options_from(m.config.bus),
                                          std::move(*dead_letters));
  if (Status s = m.bus->set_durable_log(std::make_shared<StoreDurableLog>(*m.store),
                                        m.config.store.persist);
      !s.ok()) {
    m.shut_down();
    return s;
  }

  m.signals.add(SIGINT);
  m.signals.add(SIGTERM);
  m.signals.add(SIGHUP);
  m.wait_signal();

  const int n = config::resolve_workers(m.config.host.workers);
  m.host.start(n);
  if (m.bus_pool) m.bus_pool->start(m.config.bus.workers);
  m.started = true;

  m.log->info("ready version={} host={} config={} data_dir={} workers={} pid={}", version_string(),
              m.config.host.name, m.config.file.empty() ? "(built-in defaults)" : m.config.file,
              m.lock->path(), n, ::getpid());
  return Status::OK();
}

void HostRuntime::wait() {
  Impl& m = *impl_;
  if (!m.started) return;
  {
    std::unique_lock lock(m.stop_mu);
    m.stop_cv.wait(lock, [&] { return m.stop_requested; });
  }
  m.shut_down();
  m.started = false;
}

void HostRuntime::stop() {
  impl_->request_stop();
}

void HostRuntime::reload() {
  asio::post(impl_->host.io, [m = impl_.get()] { m->do_reload(); });
}

}  // namespace chorus::cli
