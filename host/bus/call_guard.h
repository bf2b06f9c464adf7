// CallGuard: the unsubscribe guarantee. Every handler call is bracketed by
// enter()/exit(); close() makes later enter()s fail, and wait() blocks until
// the calls already inside have left. After close() and a completed wait(),
// the handler will never be called again, also when a delivery was racing on
// another thread.
//
// The fast path is one atomic word (bit 31 "closed", the low bits the number
// of calls inside); only a closed guard with a waiter touches the mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace chorus::bus {

class CallGuard {
 public:
  // True when the call may proceed; then exit() must follow.
  bool enter() noexcept {
    const uint32_t s = state_.fetch_add(1, std::memory_order_acq_rel);
    if (s & kClosed) {
      exit();
      return false;
    }
    return true;
  }

  void exit() noexcept {
    const uint32_t s = state_.fetch_sub(1, std::memory_order_acq_rel) - 1;
    if ((s & kClosed) && waiting_.load(std::memory_order_acquire)) {
      std::lock_guard lock(mu_);  // orders the notify after the waiter's check
      left_.notify_all();
    }
  }

  void close() noexcept { state_.fetch_or(kClosed, std::memory_order_acq_rel); }

  // Waits until at most `own_calls` calls are inside (the calls of the
  // current thread, which cannot be waited for: an unsubscribe from inside
  // the subscriber's own handler). False if `deadline` passed first.
  // REQUIRES: close() was called.
  bool wait(uint32_t own_calls, std::chrono::steady_clock::time_point deadline =
                                    std::chrono::steady_clock::time_point::max()) {
    waiting_.store(true, std::memory_order_release);
    std::unique_lock lock(mu_);
    auto done = [&] { return active() <= own_calls; };
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      left_.wait(lock, done);
      return true;
    }
    return left_.wait_until(lock, deadline, done);
  }

  bool closed() const noexcept { return state_.load(std::memory_order_acquire) & kClosed; }
  uint32_t active() const noexcept { return state_.load(std::memory_order_acquire) & kCount; }

 private:
  static constexpr uint32_t kClosed = 1u << 31;
  static constexpr uint32_t kCount = kClosed - 1;
  std::atomic<uint32_t> state_{0};
  std::atomic<bool> waiting_{false};
  std::mutex mu_;
  std::condition_variable left_;
};

}  // namespace chorus::bus
