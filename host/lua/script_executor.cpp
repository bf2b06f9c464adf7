// ScriptExecutor: exclusive execution of one script's work.
#include "lua/script_executor.h"

#include <exception>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "lua/lua_log.h"

namespace chorus::lua {
namespace {

// Queued tasks a thread leaving run() takes along before it lets go; the
// rest go to an io thread.
constexpr int kTasksPerLeave = 16;
// Queued tasks one drain runs before it yields the io thread.
constexpr int kTasksPerDrain = 64;

}  // namespace

void ScriptExecutor::run_task(std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    lua_log().error("script task threw: {}", e.what());
  } catch (...) {
    lua_log().error("script task threw an unknown exception");
  }
}

bool ScriptExecutor::enter() {
  std::unique_lock lock(mu_);
  if (busy_ && owner_ == std::this_thread::get_id()) return false;
  free_.wait(lock, [&] { return !busy_; });
  busy_ = true;
  owner_ = std::this_thread::get_id();
  return true;
}

void ScriptExecutor::leave() {
  std::unique_lock lock(mu_);
  for (int i = 0; i < kTasksPerLeave && !queue_.empty(); ++i) {
    std::function<void()> fn = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    run_task(fn);
    lock.lock();
  }
  busy_ = false;
  owner_ = {};
  if (!queue_.empty()) schedule_locked();
  free_.notify_one();
}

Status ScriptExecutor::reentry() {
  return Status::FailedPrecondition("a script's task waited for its own script (re-entry)");
}

Status ScriptExecutor::thrown() noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("script task threw: ") + e.what());
  } catch (...) {
    return Status::Internal("script task threw an unknown exception");
  }
}

void ScriptExecutor::post(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  queue_.push_back(std::move(fn));
  if (!busy_) schedule_locked();
}

void ScriptExecutor::schedule_locked() {
  if (scheduled_ || io_ == nullptr) return;
  scheduled_ = true;
  boost::asio::post(*io_, [w = weak_from_this()] {
    if (auto self = w.lock()) self->drain();
  });
}

void ScriptExecutor::drain() {
  std::unique_lock lock(mu_);
  scheduled_ = false;
  if (busy_ || queue_.empty()) return;  // the holder reschedules when it leaves
  busy_ = true;
  owner_ = std::this_thread::get_id();
  for (int i = 0; i < kTasksPerDrain && !queue_.empty(); ++i) {
    std::function<void()> fn = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    run_task(fn);
    lock.lock();
  }
  busy_ = false;
  owner_ = {};
  if (!queue_.empty()) schedule_locked();
  free_.notify_one();
}

bool ScriptExecutor::running_here() const {
  std::lock_guard lock(mu_);
  return busy_ && owner_ == std::this_thread::get_id();
}

void ScriptExecutor::discard() {
  std::deque<std::function<void()>> dropped;
  std::lock_guard lock(mu_);
  dropped.swap(queue_);
}

size_t ScriptExecutor::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

}  // namespace chorus::lua
