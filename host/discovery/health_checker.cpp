// Scheduling, bounding and running health checks (health_checker.h). The
// TCP and HTTP probes are in tcp_probe.cpp and http_probe.cpp; the custom
// probe, which calls a callback given by a plugin or a script, is here.
#include "discovery/health_checker.h"

#include <deque>
#include <mutex>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <fmt/core.h>

#include "core/text.h"
#include "discovery/discovery_log.h"
#include "discovery/probe.h"
#include "discovery/validate.h"

namespace chorus::discovery {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

struct CustomEntry {
  std::mutex mu;  // held while the check is being called; remove_custom takes it
  bool removed = false;
  CustomCheck fn;
};

// A custom check: the callback is called on an io thread; its `done` may
// come from any thread and is moved onto a strand, where the timeout timer
// lives too.
class CustomProbe final : public Probe, public std::enable_shared_from_this<CustomProbe> {
 public:
  CustomProbe(asio::io_context& io, std::shared_ptr<CustomEntry> entry, std::string name,
              ServiceInfo info, milliseconds timeout, ProbeDone done)
      : io_(io),
        strand_(asio::make_strand(io)),
        timer_(strand_),
        entry_(std::move(entry)),
        name_(std::move(name)),
        info_(std::move(info)),
        timeout_(timeout),
        done_(std::move(done)) {}

  void start() {
    asio::post(strand_, [self = shared_from_this()] {
      self->timer_.expires_after(self->timeout_);
      self->timer_.async_wait([self](const boost::system::error_code& ec) {
        if (!ec)
          self->finish(Status::Timeout(fmt::format("custom '{}': timed out after {}ms", self->name_,
                                                   self->timeout_.count())));
      });
    });
    asio::post(io_, [self = shared_from_this()] { self->call(); });
  }

  void cancel() override {
    asio::post(strand_, [self = shared_from_this()] {
      self->finish(Status::Cancelled(fmt::format("custom '{}': cancelled", self->name_)));
    });
  }

 private:
  void call() {
    std::weak_ptr<CustomProbe> weak = weak_from_this();
    CheckDone done = [weak](Status s) {
      if (auto self = weak.lock())
        asio::post(self->strand_, [self, s = std::move(s)]() mutable {
          self->finish(s.ok() ? Status::OK()
                              : s.with_context(fmt::format("custom '{}'", self->name_)));
        });
    };
    if (!entry_)
      return complete_now(Status::NotFound(
          fmt::format("custom '{}': no custom check is registered under that name", name_)));
    std::lock_guard l(entry_->mu);
    if (entry_->removed)
      return complete_now(
          Status::NotFound(fmt::format("custom '{}': the check was removed", name_)));
    try {
      entry_->fn(info_, std::move(done));
    } catch (const std::exception& e) {
      complete_now(Status::Internal(fmt::format("custom '{}': threw: {}", name_, e.what())));
    } catch (...) {
      complete_now(Status::Internal(fmt::format("custom '{}': threw", name_)));
    }
  }
  void complete_now(Status s) {
    asio::post(strand_, [self = shared_from_this(), s = std::move(s)] { self->finish(s); });
  }
  // On the strand: the first result wins.
  void finish(const Status& s) {
    if (!done_) return;
    ProbeDone done = std::move(done_);
    done_ = nullptr;
    timer_.cancel();
    done(s);
  }

  asio::io_context& io_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  std::shared_ptr<CustomEntry> entry_;  // null: no check of that name
  std::string name_;
  ServiceInfo info_;
  milliseconds timeout_;
  ProbeDone done_;
};

struct Entry {
  explicit Entry(asio::io_context& io) : timer(io) {}
  std::string id;
  uint64_t generation = 0;
  ServiceInfo info;
  asio::steady_timer timer;
  // While running. Weak: the probe's pending operations keep it alive, and
  // its completion holds this entry (a strong pointer here would make a
  // cycle that outlives an io_context stopped mid-probe).
  std::weak_ptr<Probe> probe;
  bool removed = false;
};

}  // namespace

struct HealthChecker::State : std::enable_shared_from_this<HealthChecker::State> {
  State(asio::io_context& io_, size_t max, CheckDefaults d, CheckSink s)
      : io(io_), max_in_flight(max), defaults(std::move(d)), sink(std::move(s)) {}

  asio::io_context& io;
  mutable std::mutex mu;
  size_t max_in_flight;
  CheckDefaults defaults;
  const CheckSink sink;
  std::unordered_map<std::string, std::shared_ptr<Entry>> entries;
  std::deque<std::shared_ptr<Entry>> queue;  // due, waiting for a free slot
  std::unordered_map<std::string, std::shared_ptr<CustomEntry>> customs;
  size_t in_flight = 0;
  uint64_t run = 0;
  bool stopped = false;

  // On an io thread: the entry's check is due.
  void due(const std::shared_ptr<Entry>& e) {
    std::lock_guard l(mu);
    if (stopped || e->removed) return;
    if (in_flight >= max_in_flight) {
      queue.push_back(e);
      return;
    }
    launch(e);
  }

  // REQUIRES: mu held. Probes never complete synchronously.
  void launch(const std::shared_ptr<Entry>& e) {
    ++in_flight;
    ++run;
    const ServiceSpec& spec = *e->info.spec;
    const HealthCheckSpec& c = spec.check;
    const milliseconds timeout = c.timeout.value_or(defaults.timeout);
    const auto start = std::chrono::steady_clock::now();
    std::weak_ptr<State> weak = weak_from_this();
    ProbeDone done = [weak, e, start](Status s) {
      if (auto self = weak.lock()) self->finished(e, std::move(s), start);
    };
    const uint16_t port = c.port ? c.port : spec.port;
    switch (c.kind) {
      case CheckKind::kTcp:
        e->probe = start_tcp_probe(io, spec.host, port, timeout, std::move(done));
        break;
      case CheckKind::kHttp:
        e->probe =
            start_http_probe(io, spec.host, port, c.path.empty() ? defaults.http_path : c.path,
                             timeout, std::move(done));
        break;
      case CheckKind::kCustom:
      case CheckKind::kNone: {
        auto it = customs.find(c.name);
        auto p = std::make_shared<CustomProbe>(io, it == customs.end() ? nullptr : it->second,
                                               c.name, e->info, timeout, std::move(done));
        p->start();
        e->probe = std::move(p);
        break;
      }
    }
  }

  // On an io thread: a probe completed.
  void finished(const std::shared_ptr<Entry>& e, Status s,
                std::chrono::steady_clock::time_point start) {
    const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    bool deliver = false;
    {
      std::lock_guard l(mu);
      --in_flight;
      e->probe.reset();
      deliver = !stopped && !e->removed;
      if (deliver) {
        e->timer.expires_after(e->info.spec->check.interval.value_or(defaults.interval));
        std::weak_ptr<State> weak = weak_from_this();
        e->timer.async_wait([weak, e](const boost::system::error_code& ec) {
          if (ec) return;
          if (auto self = weak.lock()) self->due(e);
        });
      }
      start_queued();
    }
    if (deliver) sink(CheckResult{e->id, e->generation, std::move(s), took});
  }

  // REQUIRES: mu held.
  void start_queued() {
    while (!stopped && in_flight < max_in_flight && !queue.empty()) {
      std::shared_ptr<Entry> next = std::move(queue.front());
      queue.pop_front();
      if (!next->removed) launch(next);
    }
  }

  // REQUIRES: mu held.
  void drop(const std::shared_ptr<Entry>& e) {
    e->removed = true;
    e->timer.cancel();
    if (auto p = e->probe.lock()) p->cancel();
  }
};

HealthChecker::HealthChecker(asio::io_context& io, size_t max_in_flight, CheckDefaults defaults,
                             CheckSink sink)
    : state_(std::make_shared<State>(io, max_in_flight, std::move(defaults), std::move(sink))) {}

HealthChecker::~HealthChecker() {
  stop();
}

void HealthChecker::add(const ServiceInfo& service, uint64_t generation) {
  auto e = std::make_shared<Entry>(state_->io);
  e->id = service.id();
  e->generation = generation;
  e->info = service;
  {
    std::lock_guard l(state_->mu);
    if (state_->stopped) return;
    auto [it, inserted] = state_->entries.try_emplace(e->id, e);
    if (!inserted) {
      state_->drop(it->second);
      it->second = e;
    }
  }
  std::weak_ptr<State> weak = state_;
  asio::post(state_->io, [weak, e] {
    if (auto self = weak.lock()) self->due(e);
  });
}

void HealthChecker::remove(std::string_view id) {
  std::lock_guard l(state_->mu);
  auto it = state_->entries.find(std::string(id));
  if (it == state_->entries.end()) return;
  state_->drop(it->second);
  state_->entries.erase(it);
}

void HealthChecker::set_defaults(CheckDefaults defaults) {
  std::lock_guard l(state_->mu);
  state_->defaults = std::move(defaults);
}

void HealthChecker::set_max_in_flight(size_t n) {
  std::lock_guard l(state_->mu);
  state_->max_in_flight = std::max<size_t>(n, 1);
  state_->start_queued();
}

Status HealthChecker::add_custom(std::string name, CustomCheck check) {
  CHORUS_RETURN_IF_ERROR(validate_check_name(name));
  if (!check) return Status::InvalidArgument(fmt::format("custom check '{}': no function", name));
  auto entry = std::make_shared<CustomEntry>();
  entry->fn = std::move(check);
  std::lock_guard l(state_->mu);
  if (!state_->customs.try_emplace(name, std::move(entry)).second)
    return Status::AlreadyExists(fmt::format("custom check '{}' is already registered", name));
  return Status::OK();
}

Status HealthChecker::remove_custom(std::string_view name) {
  std::shared_ptr<CustomEntry> entry;
  {
    std::lock_guard l(state_->mu);
    auto it = state_->customs.find(std::string(name));
    if (it == state_->customs.end())
      return Status::NotFound(fmt::format("custom check '{}' is not registered", printable(name)));
    entry = std::move(it->second);
    state_->customs.erase(it);
  }
  std::lock_guard l(entry->mu);  // waits for a call in progress
  entry->removed = true;
  entry->fn = nullptr;
  return Status::OK();
}

CheckerCounters HealthChecker::counters() const {
  std::lock_guard l(state_->mu);
  return CheckerCounters{state_->run, state_->in_flight, state_->queue.size()};
}

void HealthChecker::stop() {
  std::lock_guard l(state_->mu);
  if (state_->stopped) return;
  state_->stopped = true;
  for (auto& [id, e] : state_->entries)
    state_->drop(e);
  state_->entries.clear();
  state_->queue.clear();
}

}  // namespace chorus::discovery
