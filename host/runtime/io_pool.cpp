// IoPool: io_context + threads + work guard.
#include "runtime/io_pool.h"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace chorus::runtime {

struct IoPool::Guard {
  explicit Guard(boost::asio::io_context& io) : guard(io.get_executor()) {}
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard;
};

IoPool::IoPool() : io_(std::make_unique<boost::asio::io_context>()) {}

IoPool::~IoPool() {
  stop_and_join();
}

boost::asio::io_context& IoPool::io() noexcept {
  return *io_;
}

void IoPool::start(int threads) {
  guard_ = std::make_unique<Guard>(*io_);
  for (int i = 0; i < threads; ++i)
    threads_.emplace_back([this] { io_->run(); });
}

void IoPool::stop_and_join() {
  guard_.reset();
  io_->stop();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace chorus::runtime
