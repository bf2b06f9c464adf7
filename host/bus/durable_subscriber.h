// DurableSubscriber: one member of a consumer group, reading from the bus's
// durable log on a thread of its own (private to host/bus). The thread
// acks what the handler took, nacks what it failed, and stops when asked:
// after stop() returns the handler is never called again.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "bus/call_guard.h"
#include "bus/durable_log.h"
#include "bus/event_bus.h"

namespace chorus::bus {

class DurableSubscriber {
 public:
  DurableSubscriber(SubscriptionId sid, std::string id, std::string group, std::string pattern,
                    Handler handler, DurableOptions options, std::unique_ptr<DurableGroup> log);
  ~DurableSubscriber();  // stop()

  void start();
  // Stops reading; pending acks are flushed; waits for the handler to
  // return and joins the thread. Called from inside the handler (the
  // subscriber's own thread) it only asks the loop to end after the handler
  // returns: the owner must then keep the object until join().
  void stop();
  void join();
  bool on_own_thread() const { return std::this_thread::get_id() == thread_.get_id(); }

  const SubscriptionId sid;
  const std::string id;
  const std::string group;
  const std::string pattern;
  std::atomic<uint64_t> delivered{0}, failed{0};

 private:
  void run();

  Handler handler_;
  const DurableOptions options_;
  std::unique_ptr<DurableGroup> log_;
  CallGuard guard_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;  // for the back-off wait after a read error
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace chorus::bus
