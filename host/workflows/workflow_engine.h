// WorkflowEngine: durable Lua workflows and sagas (docs/workflows.md). It
// starts an instance of a workflow for each triggering event, runs it as a
// coroutine in the Lua state of the script version it started on, records
// every ctx command in the instance's history stream ($wf-<id>) in the
// store, and after a restart replays open instances from their history and
// continues them live.
//
//   auto catalog = std::make_shared<Catalog>();
//   // scripts load with make_lua_extension(catalog) in their services ...
//   WorkflowEngine engine(options, {.io = &io, .bus = &bus, .store = store}, catalog);
//   engine.start();     // recovers open instances, subscribes triggers
//   ...
//   engine.stop();      // unsubscribes, cancels timers (instances stay open in the store)
//   // join the io threads, then
//   engine.close();     // frees the Lua states
//
// Threading: every member is thread-safe. All instance work runs on one
// strand of `io` (the engine's executor); bus handlers and store callbacks
// only post to it. The io_context, bus and store must outlive the engine
// (the store until close()).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "workflows/catalog.h"
#include "workflows/upgrade.h"
#include "workflows/workflow_options.h"

namespace boost::asio {
class io_context;
}
namespace chorus::bus {
class EventBus;
}
namespace chorus::store {
class EventStore;
}
namespace chorus::discovery {
class Registry;
}

namespace chorus::workflows {

struct WorkflowServices {
  boost::asio::io_context* io = nullptr;    // required
  bus::EventBus* bus = nullptr;             // required
  store::EventStore* store = nullptr;       // required (histories live there)
  discovery::Registry* registry = nullptr;  // optional: ctx:request_capability
};

struct WorkflowStats {
  uint64_t started = 0, completed = 0, failed = 0, compensated = 0, continued = 0;
  uint64_t diverged = 0, suspended = 0, refused_by_key = 0, replayed = 0;
  uint64_t cancelled = 0;
  uint64_t refused_by_limit = 0;  // triggers refused by max_open
  uint64_t open = 0;              // instances in memory (running, waiting or suspended)
  uint64_t versions = 0;          // engine Lua states
  uint64_t memory_bytes = 0;      // held by the engine Lua states (each under options.memory_bytes)
  // Full collections those states ran near their memory limit
  // (lua::LuaVm::collect_if_needed; LuaJIT's own incremental steps are not counted).
  uint64_t lua_collections = 0;
};

struct EngineImpl;

class WorkflowEngine {
 public:
  WorkflowEngine(WorkflowOptions options, WorkflowServices services,
                 std::shared_ptr<Catalog> catalog);
  ~WorkflowEngine();  // stop()
  WorkflowEngine(const WorkflowEngine&) = delete;
  WorkflowEngine& operator=(const WorkflowEngine&) = delete;

  // Replays the open instances found in the store and subscribes the
  // catalog's triggers (and later definitions as they come). Fails when
  // the services are missing or the index cannot be read.
  Status start();
  // Unsubscribes, cancels timers and waits; in-flight store writes complete.
  // Open instances stay open in the store (the next start replays them).
  void stop();
  // Frees the Lua states. REQUIRES: stop(), and no io thread runs.
  void close();

  WorkflowStats stats() const;

  // Cancels the open instance `id` (docs/workflows.md "Cancellation"): its
  // pending wait is disarmed, the compensations of its completed steps run
  // in reverse order, and it ends as `cancelled` (workflow.cancelled
  // {workflow, instance, reason, compensated}), or as `failed` naming the
  // compensation that could not run. Blocks until the outcome is decided
  // (the cancellation recorded); not from the engine's strand. It returns
  // once the instance has ended, or, when a compensation waits (an await,
  // a request, a retry's sleep), with the instance still `cancelling`.
  // NotFound: no open instance `id`. FailedPrecondition: it is ending already.
  Status cancel(const std::string& id, const std::string& reason);
  // Moves the open instances of `workflow` to the current source of its
  // script where their history replays cleanly against it (a live
  // `chorus workflows upgrade`); the others stay pinned, each outcome says
  // why. Blocks; not from the engine's strand. NotFound: no such workflow.
  Result<std::vector<UpgradeOutcome>> upgrade(const std::string& workflow);
  // Blocks until the engine's strand has run everything posted before this
  // call (for tests and benchmarks; not from the strand).
  void sync();
  // Virtual time only: fires the earliest pending timer at once, moving the
  // engine's clock to its deadline. False when no timer is pending.
  bool fire_next_timer();

 private:
  std::shared_ptr<EngineImpl> impl_;
};

}  // namespace chorus::workflows
