// IoThreads: a real Boost.Asio io_context run by worker threads for the
// length of a test, for the bus (its strands, timers) and anything else that
// needs an event loop. Header-only; a test target that includes it links
// Boost::headers.
#pragma once

#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace chorus::test {

// An io_context run by `n` threads until destruction, which stops it and
// joins them. Declare it before whatever runs on it (a bus, whose destructor
// drains through it), so that goes first.
class IoThreads {
 public:
  explicit IoThreads(int n = 2) : work_(io.get_executor()) {
    for (int i = 0; i < n; ++i)
      threads_.emplace_back([this] { io.run(); });
  }
  ~IoThreads() { stop(); }
  // Stops the io_context and joins the threads (a test that must stop work
  // before other parts go); the destructor does it otherwise.
  void stop() {
    work_.reset();
    io.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  // True on one of this object's threads.
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

}  // namespace chorus::test
