// Pieces of the bus tests (also used by the integration tests): a
// dead-letter store that can be waited on and quick retry/breaker policies.
// Events, io threads and waiting come from tests/support.
#pragma once

#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

#include "bus/event_bus.h"
#include "support/events.h"
#include "support/io_threads.h"
#include "support/wait.h"

namespace chorus::test {

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
