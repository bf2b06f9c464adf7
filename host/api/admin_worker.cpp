// AdminWorker (admin_worker.h).
#include "api/admin_worker.h"

#include "api/api_log.h"

namespace chorus::api {

AdminWorker::~AdminWorker() {
  stop();
}

void AdminWorker::post(std::function<void()> work, const std::function<void()>& refused) {
  {
    std::lock_guard l(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(work));
      if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
      cv_.notify_one();
      return;
    }
  }
  refused();
}

void AdminWorker::stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void AdminWorker::run() {
  std::unique_lock l(mu_);
  for (;;) {
    cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    auto work = std::move(queue_.front());
    queue_.pop_front();
    l.unlock();
    try {
      work();
    } catch (const std::exception& e) {
      api_log().error("admin operation ended by an exception: {}", e.what());
    } catch (...) {
      api_log().error("admin operation ended by an unknown exception");
    }
    l.lock();
  }
}

}  // namespace chorus::api
