// AdminWorker: one thread for the admin operations that block (a plugin
// load or unload drains the instance up to plugins.drain_timeout; a script
// reload compiles and swaps under the script's executor). Route handlers
// run on the host's io threads and must not block them: an unload that
// waits for queued deliveries on those same threads could starve them. So
// handlers post such work here, and it answers through its Reply.
//
// Operations run one at a time, in the order posted. stop() runs what is
// queued, then joins; work posted after stop() is answered 503 at once.
//
// Threading: post() from any thread; stop() (idempotent; also the
// destructor) from a thread that is not the worker.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace chorus::api {

class AdminWorker {
 public:
  AdminWorker() = default;
  ~AdminWorker();
  AdminWorker(const AdminWorker&) = delete;
  AdminWorker& operator=(const AdminWorker&) = delete;

  // Runs `work` on the worker thread (started on the first post), or, once
  // stopped, runs `refused` on the caller's thread instead.
  void post(std::function<void()> work, const std::function<void()>& refused);
  void stop();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace chorus::api
