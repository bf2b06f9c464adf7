// BlockingWorker: one thread for the store calls that block (saving a
// snapshot), so that a script waiting for one holds no io thread and the
// script's executor is free meanwhile. Jobs run in order.
//
// Threading: submit() from any thread; the destructor runs the jobs already
// submitted, then joins.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace chorus::lua {

class BlockingWorker {
 public:
  BlockingWorker();
  ~BlockingWorker();
  BlockingWorker(const BlockingWorker&) = delete;
  BlockingWorker& operator=(const BlockingWorker&) = delete;

  void submit(std::function<void()> job);

 private:
  void loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace chorus::lua
