// IoPool: an Asio io_context with its worker threads. A work guard keeps the
// threads in run() until stop_and_join(), so the pool does not end when it
// runs out of handlers.
#pragma once

#include <memory>
#include <thread>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace chorus::runtime {

class IoPool {
 public:
  IoPool();
  ~IoPool();  // stop_and_join()
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  boost::asio::io_context& io() noexcept;

  // Starts `threads` threads running the context. REQUIRES: not started.
  void start(int threads);
  // Releases the work guard, stops the context and joins the threads.
  // Handlers still queued are not run. Idempotent; not from a pool thread.
  void stop_and_join();

 private:
  struct Guard;
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<Guard> guard_;
  std::vector<std::thread> threads_;
};

}  // namespace chorus::runtime
