// The host of one `chorus test` case (test_runner.h): a temporary store in
// which every event is stored, the bus, the scripts the case loads and the
// workflow engine with a virtual clock, the test's responders, and the
// restart the crash matrix simulates (crash_matrix.h). Private to
// test_runner.cpp.
//
// Threading: the members are for the test's thread (the one running the
// test file's Lua state); the host's own work runs on its io threads, and
// the store's commit listener feeds `tracker` from the completion thread.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "bus/event_bus.h"
#include "core/status.h"
#include "lua/script_host.h"
#include "store/event_store.h"
#include "workflows/catalog.h"
#include "workflows/crash_matrix.h"
#include "workflows/workflow_engine.h"

struct lua_State;

namespace chorus::workflows {

// The source of what the test publishes and replies (left out of a crashed
// run's effects).
inline constexpr char kHarnessSource[] = "chorus-test";

struct Harness {
  std::string folder;  // the test file's folder: scripts are loaded from there
  std::string dir;     // the temporary directory
  std::vector<lua::ScriptSpec> specs;
  lua_State* L = nullptr;  // the test file's state (main thread only)
  // What the store commits (the crash matrix's records and crash points).
  std::shared_ptr<RecordTracker> tracker = std::make_shared<RecordTracker>(CrashPlan{});
  int store_generation = 0;  // each restart opens the copy in a new folder

  // The host: rebuilt on a copy of the store at a simulated crash.
  std::unique_ptr<boost::asio::io_context> io;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::vector<std::thread> threads;
  std::unique_ptr<store::EventStore> store;
  uint64_t listener = 0;
  std::unique_ptr<bus::EventBus> bus;
  std::shared_ptr<Catalog> catalog;
  std::unique_ptr<lua::ScriptHost> scripts;
  std::unique_ptr<WorkflowEngine> engine;
  std::map<std::string, int> responders;  // type -> Lua function ref
  std::mutex mu;
  std::deque<EventPtr> requests;  // waiting for a responder (main thread answers)
  bool started = false;

  ~Harness();

  // A store in a new folder of `dir`. Every append is its own transaction,
  // so the commit listener sees the engine's transactions one by one.
  Result<std::unique_ptr<store::EventStore>> open_store();

  // Feeds the store's commits to `tracker`.
  void listen();

  // At the test's first publish or advance: the temporary directory, the
  // store and the host (once; later calls do nothing).
  Status start();

  // Starts io threads, bus, scripts and engine on `store`; the engine
  // recovers whatever instances the store holds.
  Status start_host();

  // Everything but the store and the io_context: the store's last
  // callbacks may hold the bus, whose strand needs the io_context, so it
  // goes only after the store is closed.
  void stop_host();

  // Closes the store and removes its folder.
  void close_store();

  // Everything, and the temporary directory.
  void shutdown();

  // The simulated SIGKILL: the host is thrown away (what it did after event
  // `cut` is lost with its store) and a new one starts on a copy of the
  // store's first `cut` events, recovering the open instances from there.
  Status crash(uint64_t cut);

  // Before each publish or advance of the test: a kBeforeNext crash may be due.
  Status before_action();

  // Answers queued requests with the test's responders (on this thread).
  void answer_requests();

  // Holds every io thread at once (up to a second): true when they all
  // came, so no handler was running then and what was queued before ran.
  bool io_idle();

  // Runs until nothing moves: the engine, the store and the responders;
  // restarts the host when the crash matrix's crash point is reached.
  Status settle();
};

}  // namespace chorus::workflows
