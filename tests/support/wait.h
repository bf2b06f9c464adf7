// Waiting in tests without sleeping: condition variables with deadlines.
//
//   Recorder     collects events from handlers; wait_count(n) blocks until n
//                arrived or the deadline passed.
//   Gate         holds handlers until opened; entered(n) waits for n of them
//                to be inside.
//   Signal       a flag one thread raises and another waits for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "core/event.h"

namespace chorus::test {

inline constexpr std::chrono::seconds kWait{20};  // generous: CI machines are slow

class Recorder {
 public:
  struct Entry {
    EventPtr event;
    std::thread::id thread;
  };
  // Notifying under the lock: a waiter that wakes may destroy this object
  // as soon as it can take the mutex.
  void add(const EventPtr& e) {
    std::lock_guard lock(mu_);
    entries_.push_back({e, std::this_thread::get_id()});
    cv_.notify_all();
  }
  bool wait_count(size_t n, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return entries_.size() >= n; });
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }
  std::vector<Entry> entries() const {
    std::lock_guard lock(mu_);
    return entries_;
  }
  std::vector<std::string> types() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : entries_)
      out.emplace_back(e.event->type());
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Entry> entries_;
};

class Gate {
 public:
  // Called by a handler: counts itself in, then waits until open(), or at
  // most `timeout` so that a failing test cannot hang forever. Returns
  // whether the gate was opened (false: the deadline passed).
  bool pass(std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    ++entered_;
    cv_.notify_all();
    return cv_.wait_for(lock, timeout, [&] { return open_; });
  }
  bool entered(size_t n, std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return entered_ >= n; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  size_t entered_ = 0;
  bool open_ = false;
};

class Signal {
 public:
  void raise() {
    std::lock_guard lock(mu_);
    raised_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout = kWait) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return raised_; });
  }
  bool raised() const {
    std::lock_guard lock(mu_);
    return raised_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool raised_ = false;
};

// Spins (yielding) until `pred` holds; false at the deadline. For conditions
// with no notification to wait on, e.g. counters advanced by other threads.
template <typename Pred>
bool spin_until(Pred pred, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

}  // namespace chorus::test
