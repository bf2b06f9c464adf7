// The workflow engine's private parts: instances, their waits, and the
// engine state shared by engine.cpp (lifecycle, triggers, starts),
// engine_run.cpp (coroutines, records, ends, divergence), engine_waits.cpp
// (timers, awaits, requests), engine_recovery.cpp (replay after a restart)
// and ctx_api.cpp (the ctx commands). Everything here is used on the
// engine's strand only, except the atomic counters.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "bus/event_bus.h"
#include "lua/invoker.h"
#include "workflows/engine_state.h"
#include "workflows/history_records.h"
#include "workflows/workflow_engine.h"
#include "workflows/workflows_log.h"

namespace chorus::workflows {

// An event offered to awaits: its table (JSON) and id, shared by every
// instance it is offered to (one awaited event: thousands of waiters).
struct OfferedEvent {
  std::string json, id;
};
using OfferedEventPtr = std::shared_ptr<const OfferedEvent>;

struct PendingWait {
  std::string kind;  // "" none, sleep, await, request, request_capability
  uint32_t seq = 0;
  uint64_t token = 0;  // names this wait: completions of an older one are ignored
  std::unique_ptr<boost::asio::steady_timer> timer;
  std::string pattern;  // await: the pattern watched (EngineImpl::await_subs)
  // await: candidate events not yet shown to the match
  std::deque<OfferedEventPtr> candidates;
  std::set<std::string> seen;  // ids offered (store catch-up and bus overlap)
  OfferedEventPtr current;     // the one shown last (null: none yet)
  bool in_next = false;        // the coroutine waits in _await_next
};

enum class Phase : uint8_t { kStarting, kRunning, kSuspended, kEnding };

// Where a cancellation is (docs/workflows.md "Cancellation").
enum class CancelStage : uint8_t {
  kNone,
  kRecording,      // wf.cancel_requested written, its commit awaited; nothing runs
  kReplayToPoint,  // recovery: run replays up to the cancel point, then stops
  kCompensating,   // the compensation coroutine runs (seqs from cancel_seq)
};

struct Instance {
  std::string id, stream;
  StartedRecord started;
  EngineState* state = nullptr;
  uint64_t version = 0;  // the stream's version after the writes queued so far
  uint32_t next_seq = 1;
  uint32_t max_recorded = 0;  // replay: the highest seq in the loaded history
  std::map<uint32_t, Recorded> history;
  uint64_t records = 0;
  std::string cause_id;  // causation of the next publish
  lua::WaitTicket ticket;
  bool has_ticket = false;
  PendingWait wait;
  Phase phase = Phase::kStarting;
  bool stopped = false;            // no more effects: ended, diverged or suspended
  std::optional<Finish> terminal;  // decided inside run (saga end, continue_as_new)
  std::string result = "null";
  std::string status_table = "null";
  std::string continue_input;  // continue_as_new: the carried input (JSON)
  bool continuing = false;
  int ctx_ref = -2;
  CancelStage cancel_stage = CancelStage::kNone;
  std::string cancel_reason;
  uint32_t cancel_seq = 0;  // the first seq of the compensation
  // WorkflowEngine::cancel's answer: once ended, or its compensation waits.
  std::function<void(Status)> cancel_done;
  bool replaying() const noexcept { return next_seq <= max_recorded; }
};

struct TriggerSub {
  bus::SubscriptionId id = 0;  // the ephemeral subscription (0: none)
  std::vector<std::string> patterns;
};

struct UpgradeJob;
using UpgradeDone = std::function<void(Result<std::vector<UpgradeOutcome>>)>;

struct EngineImpl : std::enable_shared_from_this<EngineImpl> {
  EngineImpl(WorkflowOptions o, WorkflowServices s, std::shared_ptr<Catalog> c)
      : options(o), services(s), catalog(std::move(c)), strand(services.io->get_executor()) {}

  WorkflowOptions options;
  WorkflowServices services;
  std::shared_ptr<Catalog> catalog;
  boost::asio::strand<boost::asio::io_context::executor_type> strand;

  std::map<std::string, std::unique_ptr<EngineState>> versions;  // "script@hash"
  std::unordered_map<std::string, std::unique_ptr<Instance>> instances;
  std::map<std::pair<std::string, std::string>, std::string> keys;  // (workflow, key) -> id
  std::map<std::string, TriggerSub> triggers;
  // Awaited patterns: one inline bus subscription per pattern, shared by
  // the instances awaiting it. A subscription per await made every await a
  // subscribe and an unsubscribe, each linear in the pattern's subscribers
  // on the bus (20,000 instances awaiting one event: quadratic).
  struct AwaitSub {
    bus::SubscriptionId id = 0;
    // The waiting instances in the order they began to wait (an event is
    // offered in that order): instance id by arrival, arrival by id.
    std::map<uint64_t, std::string> waiters;
    std::unordered_map<std::string, uint64_t> arrival;
  };
  std::unordered_map<std::string, AwaitSub> await_subs;
  uint64_t next_arrival = 1;
  // Durable trigger subscriptions: unsubscribed by stop() from the calling
  // thread before the strand stops (their handlers wait for the strand).
  std::mutex durable_mu;
  std::vector<bus::SubscriptionId> durable_subs;
  std::atomic<bool> closing{false};
  // Whether `pattern`'s events are stored (a persist pattern covers it).
  bool persistent(const std::string& pattern) const;
  std::set<std::string> stored_sources;
  std::mt19937_64 rng{std::random_device{}()};
  uint64_t next_token = 1;
  bool stopping = false;
  // Dry replay (upgrade checks): commands never run live; the first one
  // without a completed record ends the run (dry_reached_end), a mismatch
  // is kept in dry_mismatch; nothing is written.
  bool dry_run = false;
  bool dry_reached_end = false;
  std::string dry_mismatch;
  // Virtual time: the clock's offset from the wall clock, and the pending
  // timers by deadline (instance id, token).
  int64_t clock_offset_ns = 0;
  std::multimap<int64_t, std::pair<std::string, uint64_t>> virtual_timers;
  int64_t now_ns() const;

  std::atomic<uint64_t> n_started{0}, n_completed{0}, n_failed{0}, n_compensated{0}, n_continued{0},
      n_diverged{0}, n_suspended{0}, n_refused_by_key{0}, n_replayed{0}, n_open{0}, n_versions{0},
      n_cancelled{0}, n_refused_by_limit{0}, n_memory{0}, n_collections{0};

  template <typename F>
  void post(F&& f) {
    boost::asio::post(strand, [w = weak_from_this(), f = std::forward<F>(f)]() mutable {
      if (auto self = w.lock()) f(*self);
    });
  }

  // ---- engine.cpp ----
  void on_definition(const Definition& d);
  // workflows.upgrade: on_reload: upgrades d's open instances on older versions.
  void upgrade_on_reload(const Definition& d);
  // `done` (optional) runs on the strand once the trigger started an
  // instance (its start record committed) or was refused.
  // `refused` (optional) is set when workflows.max_open refused it.
  void on_trigger(const std::string& workflow, const EventPtr& ev,
                  std::function<void()> done = nullptr,
                  std::shared_ptr<std::atomic<bool>> refused = nullptr);
  // Counts a trigger refused by max_open and logs it (rate-limited).
  void refuse_by_limit(const std::string& workflow, const Event& ev);
  struct LimitLog {
    int64_t last_ns = 0;
    uint64_t refused = 0;
  };
  std::map<std::string, LimitLog> limit_log;  // by workflow
  // `trigger_json`: event_table_json(*trigger), encoded once by on_trigger.
  void start_instance(const Definition& d, EngineState& st, const EventPtr& trigger,
                      std::string trigger_json, std::string key, bool has_key,
                      std::function<void()> done);
  void publish_lifecycle(const Instance& in, std::string_view type, std::string data);

  // ---- engine_run.cpp ----
  // The state of a version, loading it when needed; null with `error` set.
  EngineState* version_for(const VersionSource& src, Status* error);
  // The same for a definition's current version: found without copying
  // its source when loaded already (once per trigger).
  EngineState* version_for(const Definition& d, Status* error);
  void begin_run(Instance& in);
  // Builds ctx and starts run(ctx, trigger); null result when the version
  // lacks the workflow (suspends it unless dry).
  std::optional<lua::CallResult> start_coroutine(Instance& in);
  void resume(Instance& in, const lua::Pusher& push);
  void handle(Instance& in, const lua::CallResult& r);
  // Brings n_memory and n_collections up to date with `st`'s Lua state
  // (after each call into it, and when it is closed).
  void note_memory(EngineState& st, bool closing = false);
  // Appends a record to the instance's stream (asynchronously, in order).
  void append_record(Instance& in, std::string_view type, std::string data);
  void finish(Instance& in, Finish f);
  void suspend(Instance& in, std::string_view reason, const std::string& error, uint32_t seq);
  void drop(const std::string& id);
  // Closes `st` when no open instance uses it and it is not the current
  // version of `workflow`. `st` may be freed.
  void release_version(EngineState& st, const std::string& workflow);
  // The instance of the ctx table at `index` (raises when gone, and when
  // stopped unless kAllowStopped).
  enum Access : uint8_t { kLive, kAllowStopped };
  Instance& instance_of(lua_State* L, int index, Access access = kLive);
  // Writes a publish and its record in one transaction, then delivers it.
  void publish_live(Instance& in, uint32_t seq, const std::string& at, std::string_view type,
                    std::string result, const EventPtr& ev);
  // Takes the next seq for a command of `kind`/`key`. Returns its record when
  // replaying (after checking it matches: else suspends and raises), null
  // when live.
  const Recorded* begin_command(lua_State* L, Instance& in, std::string_view kind,
                                std::string_view key, uint32_t& seq, std::string& at);
  void record_command(Instance& in, uint32_t seq, std::string_view kind, std::string_view key,
                      std::string_view at, std::string result);
  void record_scheduled(Instance& in, uint32_t seq, std::string_view kind, std::string_view key,
                        std::string_view at, int64_t deadline_ns, uint64_t from_seq);
  void record_completed(Instance& in, uint32_t seq, const Completion& c);
  [[noreturn]] void diverge(lua_State* L, Instance& in, uint32_t seq, const Recorded* expected,
                            std::string_view kind, std::string_view key, std::string_view at);

  // ---- engine_cancel.cpp ----
  // Cancels `in` (on the strand): records wf.cancel_requested and, once it
  // is committed, runs the compensations (or ends a suspended instance at
  // once). `recorded` runs on the strand with the record's commit status.
  void cancel(Instance& in, const std::string& reason, std::function<void(Status)> recorded);
  // Whether the instance's saga is compensating a failed step already.
  bool compensating(const Instance& in);
  // Starts the compensation coroutine of a cancelled instance (its run
  // coroutine is gone), from seq cancel_seq.
  void run_cancel_compensation(Instance& in);
  // Answers the cancel() that waits on `in` (once).
  static void settle_cancel(Instance& in, Status s);

  // ---- engine_upgrade.cpp ----
  // Upgrades the open instances of `workflow` to its current definition;
  // `done` runs on the strand with the outcomes.
  void upgrade_async(const std::string& workflow, UpgradeDone done);
  void upgrade_when_committed(const std::shared_ptr<UpgradeJob>& job);
  void upgrade_apply(UpgradeJob& job);
  // Stops `in` where it is: no wait armed, its coroutine dropped.
  void pause(Instance& in);
  // Makes `in` replay `h` from seq 1 on version `st` (begin_run next).
  void reload(Instance& in, const History& h, EngineState* st);
  // Stores a version's source in $wf-source-<hash> once (asynchronously).
  void store_source(const VersionSource& src);
  // Removes $wf-source-<hash> when no open instance and no current
  // definition uses it (its last instance ended).
  void forget_source_if_unused(const std::string& hash, const std::string& workflow);

  // ---- engine_waits.cpp ----
  void arm_timer(Instance& in, int64_t deadline_ns);
  void arm_await(Instance& in, uint32_t seq, const std::string& pattern, int64_t deadline_ns,
                 uint64_t from_seq);
  // capability "": a plain bus request of `type`.
  void send_request(Instance& in, uint32_t seq, const std::string& capability,
                    const std::string& type, const std::string& data_json, int64_t deadline_ns);
  void disarm(Instance& in);
  void on_timer(const std::string& id, uint64_t token);
  // Adds instance `id` to the waiters of `pattern`, subscribing it when it
  // is the first; unwatch removes it and unsubscribes after the last.
  Status watch(const std::string& pattern, const std::string& id);
  void unwatch(const std::string& pattern, const std::string& id);
  // An event of an awaited pattern: offered to every instance awaiting it.
  void on_pattern_event(const std::string& pattern, const EventPtr& ev);
  void on_reply(const std::string& id, uint64_t token, Result<EventPtr> reply);
  void offer_candidate(Instance& in);

  // ---- engine_recovery.cpp ----
  // The source of `hash` for a recovered instance: the catalog's when it is
  // the current one, else the stored copy ($wf-source-<hash>).
  Result<VersionSource> stored_source(const std::string& workflow, const std::string& hash);
  Status recover();
  // An open instance whose history does not decode: suspended (recorded
  // once, counted, published), so that the host starts.
  void suspend_undecodable(const std::string& id, const std::string& workflow,
                           const std::string& correlation,
                           const std::vector<store::StoredEvent>& events, const Status& error);
};

// Replays history `h` of instance `id` against `current` in the dry engine
// `dry` (dry_run set; nothing is written): "" when every recorded command
// matches, else the first mismatch or error (upgrade.cpp).
std::string dry_replay_mismatch(EngineImpl& dry, const VersionSource& current,
                                const std::string& id, const History& h);

// Data of the workflow.* events (engine.cpp).
std::string lifecycle_json(const Instance& in, const Finish& f);
std::string suspension_json(const Instance& in, uint32_t seq, const std::string& error);
VersionSource source_of(const Definition& d);

}  // namespace chorus::workflows
