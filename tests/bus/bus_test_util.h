// Shared pieces of the bus tests: a real io_context with worker threads, a
// dead-letter store that can be waited on, and event helpers.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "bus/event_bus.h"
#include "support/wait.h"

namespace chorus::test {

// An io_context run by `n` threads until destruction. Declare it before the
// bus so the bus (whose destructor drains through it) goes first.
class IoThreads {
 public:
  explicit IoThreads(int n = 2) : work_(io.get_executor()) {
    for (int i = 0; i < n; ++i)
      threads_.emplace_back([this] { io.run(); });
  }
  ~IoThreads() {
    work_.reset();
    io.stop();
    for (auto& t : threads_)
      t.join();
  }
  bool runs_here() const {
    for (const auto& t : threads_)
      if (t.get_id() == std::this_thread::get_id()) return true;
    return false;
  }
  boost::asio::io_context io;

 private:
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

// A memory dead-letter store whose growth can be awaited.
class WaitableDeadLetters final : public bus::DeadLetterStore {
 public:
  Result<uint64_t> add(bus::DeadLetter dl) override {
    auto r = inner_.add(std::move(dl));
    std::lock_guard lock(mu_);
    cv_.notify_all();
    return r;
  }
  std::vector<bus::DeadLetter> list(const bus::DeadLetterQuery& q) const override {
    return inner_.list(q);
  }
  std::optional<bus::DeadLetter> get(uint64_t id) const override { return inner_.get(id); }
  std::optional<bus::DeadLetter> take(uint64_t id) override { return inner_.take(id); }
  size_t size() const override { return inner_.size(); }
  uint64_t evicted() const override { return inner_.evicted(); }
  bool wait_size(size_t n, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return inner_.size() >= n; });
  }
  std::vector<bus::DeadLetter> all() const { return inner_.list({"", 0, 1'000'000}); }

 private:
  bus::MemoryDeadLetterStore inner_{100'000};
  std::mutex mu_;
  std::condition_variable cv_;
};

inline EventPtr make_event(std::string_view type, Priority p = Priority::kNormal,
                           std::string_view data = {}) {
  EventBuilder b(type);
  b.source("test").priority(p);
  if (!data.empty()) b.data(data);
  auto r = b.build();
  if (!r.ok()) throw std::runtime_error(r.error().to_string());
  return *r;
}

// Fast retries for tests: no waiting between attempts.
inline bus::RetryPolicy quick_retry(int attempts) {
  bus::RetryPolicy p;
  p.max_attempts = attempts;
  p.initial_backoff = std::chrono::milliseconds(0);
  p.max_backoff = std::chrono::milliseconds(0);
  p.jitter = 0;
  return p;
}

inline bus::BreakerPolicy no_breaker() {
  bus::BreakerPolicy p;
  p.failure_threshold = 0;
  return p;
}

}  // namespace chorus::test
