// Running instances: coroutines, the records of commands, ends,
// suspension and divergence (docs/workflows.md "Replay", "Divergence").
#include <fmt/core.h>
#include <lua.hpp>

#include "core/clock.h"
#include "lua/lua_json.h"
#include "store/event_store.h"
#include "workflows/engine_impl.h"
#include "workflows/ids.h"

namespace chorus::workflows {

EngineState* EngineImpl::version_for(const VersionSource& src, Status* error) {
  const std::string key = src.script + "@" + src.hash;
  auto it = versions.find(key);
  if (it != versions.end()) return it->second.get();
  auto st = EngineState::load(src, options.memory_bytes, this);
  if (!st.ok()) {
    if (error) *error = st.error();
    return nullptr;
  }
  EngineState* p = st->get();
  note_memory(*p);
  versions.emplace(key, std::move(*st));
  n_versions.store(versions.size(), std::memory_order_relaxed);
  return p;
}

EngineState* EngineImpl::version_for(const Definition& d, Status* error) {
  auto it = versions.find(d.script + "@" + d.hash);
  if (it != versions.end()) return it->second.get();
  return version_for(source_of(d), error);
}

Instance& EngineImpl::instance_of(lua_State* L, int index, Access access) {
  if (!lua_istable(L, index))
    luaL_error(L, "ctx: call ctx's methods with ':' (ctx:now(), not ctx.now())");
  lua_getfield(L, index, "_id");
  const char* id = lua_tostring(L, -1);
  lua_pop(L, 1);
  auto it = id ? instances.find(id) : instances.end();
  if (it == instances.end()) luaL_error(L, "ctx: not the context of a running workflow instance");
  Instance& in = *it->second;
  if (access == kLive && in.stopped)
    luaL_error(L, "workflow %s instance %s has ended or is suspended: no more commands",
               in.started.workflow.c_str(), in.id.c_str());
  return in;
}

namespace {

[[noreturn]] void stop_at_cancel_point(lua_State* L, Instance& in) {
  in.stopped = true;
  luaL_error(L, "workflow instance %s was cancelled here", in.id.c_str());
  std::abort();  // luaL_error does not return
}

}  // namespace

const Recorded* EngineImpl::begin_command(lua_State* L, Instance& in, std::string_view kind,
                                          std::string_view key, uint32_t& seq, std::string& at) {
  at = script_location(L);
  seq = in.next_seq++;
  auto it = seq > in.max_recorded ? in.history.end() : in.history.find(seq);
  // Replaying a cancelled instance: run stops where it was cancelled (its
  // first command without a completed record; from cancel_seq on, the
  // records are the compensation's).
  const bool to_cancel_point = in.cancel_stage == CancelStage::kReplayToPoint;
  if (to_cancel_point && seq >= in.cancel_seq) stop_at_cancel_point(L, in);
  if (it != in.history.end() && (it->second.kind != kind || it->second.key != key))
    diverge(L, in, seq, &it->second, kind, key, at);
  if (to_cancel_point && (it == in.history.end() || !it->second.completed))
    stop_at_cancel_point(L, in);
  if (dry_run && (it == in.history.end() || !it->second.completed)) {
    // The history is replayed up to here: what follows would run live.
    dry_reached_end = true;
    in.stopped = true;
    luaL_error(L, "dry replay: end of the history at seq %d", static_cast<int>(seq));
  }
  if (it == in.history.end()) return nullptr;
  return &it->second;
}

void EngineImpl::append_record(Instance& in, std::string_view type, std::string data) {
  EventPtr rec = make_record(in.stream, type, in.started.correlation, std::move(data));
  const uint64_t expect = in.version++;
  ++in.records;
  const store::StreamAppend part{in.stream, std::span<const EventPtr>(&rec, 1),
                                 store::ExpectedVersion::exact(expect)};
  services.store->append_multi_async(
      std::span<const store::StreamAppend>(&part, 1),
      [w = weak_from_this(), id = in.id](const store::MultiAppendResult& r) {
        if (r.ok()) return;
        if (auto self = w.lock())
          self->post([id, s = r.status](EngineImpl& e) {
            auto it = e.instances.find(id);
            if (it != e.instances.end())
              e.suspend(*it->second, "error",
                        fmt::format("writing its history failed: {}", s.to_string()), 0);
          });
      });
}

void EngineImpl::record_command(Instance& in, uint32_t seq, std::string_view kind,
                                std::string_view key, std::string_view at, std::string result) {
  append_record(in, kRecCommand, command_json(seq, kind, key, at, result));
}

void EngineImpl::record_scheduled(Instance& in, uint32_t seq, std::string_view kind,
                                  std::string_view key, std::string_view at, int64_t deadline_ns,
                                  uint64_t from_seq) {
  append_record(in, kRecScheduled, scheduled_json(seq, kind, key, at, deadline_ns, from_seq));
}

void EngineImpl::record_completed(Instance& in, uint32_t seq, const Completion& c) {
  append_record(in, kRecCompleted, completed_json(seq, c));
}

void EngineImpl::publish_live(Instance& in, uint32_t seq, const std::string& at,
                              std::string_view type, std::string result, const EventPtr& ev) {
  EventPtr rec = make_record(in.stream, kRecCommand, in.started.correlation,
                             command_json(seq, "publish", type, at, result));
  const uint64_t expect = in.version++;
  ++in.records;
  const store::StreamAppend parts[] = {
      {in.stream, std::span<const EventPtr>(&rec, 1), store::ExpectedVersion::exact(expect)},
      {ev->stream(), std::span<const EventPtr>(&ev, 1), store::ExpectedVersion::any()}};
  services.store->append_multi_async(parts, [w = weak_from_this(), id = in.id,
                                             ev](const store::MultiAppendResult& r) {
    auto self = w.lock();
    if (!self) return;
    self->post([id, ev, s = r.status](EngineImpl& e) {
      if (s.ok()) {
        if (Status d = e.services.bus->deliver_stored(ev); !d.ok() && !e.stopping)
          workflows_log().warn("workflow instance {}: delivering {} {}: {}", id, ev->type(),
                               ev->id().to_string(), d.message());
        return;
      }
      auto it = e.instances.find(id);
      if (it != e.instances.end())
        e.suspend(*it->second, "error",
                  fmt::format("storing the publish of '{}' failed: {}", ev->type(), s.to_string()),
                  0);
    });
  });
}

void EngineImpl::begin_run(Instance& in) {
  // Cancelled before it began: the cancellation's commit ends it.
  if (in.cancel_stage == CancelStage::kRecording) return;
  auto r = start_coroutine(in);
  if (r) handle(in, *r);
}

std::optional<lua::CallResult> EngineImpl::start_coroutine(Instance& in) {
  EngineState& st = *in.state;
  const EngineState::Fns* fns = st.find(in.started.workflow);
  if (!fns) {
    const std::string msg = fmt::format("script {} (version {}) defines no workflow '{}'",
                                        st.source().path, st.source().hash, in.started.workflow);
    if (dry_run)
      dry_mismatch = msg;
    else
      suspend(in, "error", msg, 0);
    return std::nullopt;
  }
  in.phase = Phase::kRunning;
  lua_State* L = st.L();
  // Sized for its fields (up to 8), not grown from empty.
  lua_createtable(L, 0, 8);
  lua_pushstring(L, in.id.c_str());
  lua_setfield(L, -2, "_id");
  lua_pushstring(L, in.id.c_str());
  lua_setfield(L, -2, "id");
  lua_pushstring(L, in.started.workflow.c_str());
  lua_setfield(L, -2, "workflow");
  lua_pushstring(L, in.started.correlation.c_str());
  lua_setfield(L, -2, "correlation_id");
  if (in.started.has_key) {
    lua_pushstring(L, in.started.key.c_str());
    lua_setfield(L, -2, "key");
  }
  std::string err;
  if (in.started.input != "null" && lua::push_json(L, in.started.input, &err))
    lua_setfield(L, -2, "input");
  lua_pushinteger(L, in.started.run);
  lua_setfield(L, -2, "run");
  lua_newtable(L);
  lua_setfield(L, -2, "_comp");
  lua_rawgeti(L, LUA_REGISTRYINDEX, st.ctx_meta_ref());
  lua_setmetatable(L, -2);
  in.ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  const int run_ref = fns->run, ctx_ref = in.ctx_ref;
  const std::string& trigger = in.started.trigger;
  lua::CallResult r =
      st.invoker().start(st.entry_ref(), nullptr, in.started.workflow, {}, [&](lua_State* co) {
        lua_rawgeti(co, LUA_REGISTRYINDEX, run_ref);
        lua_rawgeti(co, LUA_REGISTRYINDEX, ctx_ref);
        std::string e;
        if (!lua::push_json(co, trigger, &e)) lua_pushnil(co);
        return 3;
      });
  return r;
}

void EngineImpl::resume(Instance& in, const lua::Pusher& push) {
  if (!in.has_ticket) return;
  in.has_ticket = false;
  lua::CallResult r = in.state->invoker().resume(in.ticket, push);
  handle(in, r);
}

void EngineImpl::note_memory(EngineState& st, bool closing) {
  const uint64_t used = closing ? 0 : st.vm().memory_used();
  const uint64_t collections = st.vm().collections();
  // Differences modulo 2^64: the sum over the open states stays exact.
  n_memory.fetch_add(used - st.counted_memory, std::memory_order_relaxed);
  n_collections.fetch_add(collections - st.counted_collections, std::memory_order_relaxed);
  st.counted_memory = used;
  st.counted_collections = collections;
}

void EngineImpl::handle(Instance& in, const lua::CallResult& r) {
  note_memory(*in.state);
  if (r.kind == lua::CallResult::Kind::kWaiting) return;
  if (in.phase == Phase::kSuspended || in.phase == Phase::kEnding) return;
  // The run coroutine, stopped by a cancellation being recorded (it never
  // continues), or replayed up to the point where it was cancelled.
  if (in.cancel_stage == CancelStage::kRecording) return;
  if (in.cancel_stage == CancelStage::kReplayToPoint) {
    run_cancel_compensation(in);
    return;
  }
  if (in.terminal) {
    finish(in, *in.terminal);
    return;
  }
  if (r.kind == lua::CallResult::Kind::kDone) {
    if (in.replaying()) {
      auto it = in.history.find(in.next_seq);
      const std::string what =
          it == in.history.end()
              ? std::string("more records")
              : fmt::format("{} '{}' at {}", it->second.kind, it->second.key, it->second.at);
      const std::string msg = fmt::format(
          "workflow {} instance {}: replay diverged at seq {}: history has {}, the code now ends "
          "(the script changed under a running instance: guard the change with "
          "ctx:patched(\"id\"), or let `chorus workflows upgrade {}` report which instances can "
          "move)",
          in.started.workflow, in.id, in.next_seq, what, in.started.workflow);
      n_diverged.fetch_add(1, std::memory_order_relaxed);
      suspend(in, "diverged", msg, in.next_seq);
      return;
    }
    Finish f;
    f.status = "completed";
    f.result = in.result;
    finish(in, f);
    return;
  }
  workflows_log().error("workflow {} instance {} failed: {}\n{}", in.started.workflow, in.id,
                        r.error.message(), r.traceback);
  Finish f;
  f.status = "failed";
  f.error = r.error.message();
  finish(in, f);
}

void EngineImpl::finish(Instance& in, Finish f) {
  in.phase = Phase::kEnding;
  in.stopped = true;
  disarm(in);
  std::vector<EventPtr> own, index, next;
  std::unique_ptr<Instance> successor;
  if (f.status == "continued") {
    successor = std::make_unique<Instance>();
    Instance& s = *successor;
    s.id = name_uuid(in.id + ":continued").to_string();
    s.stream = history_stream(s.id);
    s.started = in.started;
    s.started.run = in.started.run + 1;
    s.started.input = in.continue_input.empty() ? "null" : in.continue_input;
    s.started.previous = in.id;
    // The successor starts on the current version of its workflow.
    if (auto d = catalog->find(in.started.workflow)) {
      s.started.script = d->script;
      s.started.path = d->path;
      s.started.source_hash = d->hash;
    }
    own.push_back(
        make_record(in.stream, kRecContinued, in.started.correlation, continued_json(s.id)));
    next.push_back(
        make_record(s.stream, kRecStarted, s.started.correlation, started_json(s.started)));
  }
  own.push_back(make_record(in.stream, kRecFinished, in.started.correlation, finished_json(f)));
  index.push_back(make_record(kInstancesStream, kRecInstanceEnded, in.started.correlation,
                              instance_ended_json(in.id, in.started.workflow, f.status)));
  if (successor)
    index.push_back(
        make_record(kInstancesStream, kRecInstanceStarted, in.started.correlation,
                    instance_started_json(successor->id, successor->started,
                                          json_string_field(successor->started.trigger, "type"),
                                          wall_clock_ns())));
  std::vector<store::StreamAppend> parts;
  parts.push_back({in.stream, own, store::ExpectedVersion::exact(in.version)});
  parts.push_back({kInstancesStream, index, store::ExpectedVersion::any()});
  if (successor) parts.push_back({successor->stream, next, store::ExpectedVersion::no_stream()});
  in.version += own.size();
  std::shared_ptr<Instance> succ(successor.release());
  services.store->append_multi_async(
      parts, [w = weak_from_this(), id = in.id, f, succ](const store::MultiAppendResult& r) {
        auto self = w.lock();
        if (!self) return;
        self->post([id, f, succ, s = r.status](EngineImpl& e) {
          auto it = e.instances.find(id);
          if (it == e.instances.end()) return;
          Instance& in = *it->second;
          if (!s.ok()) {
            in.phase = Phase::kRunning;
            settle_cancel(in, Status::OK());  // recorded; it is suspended now
            e.suspend(in, "error", fmt::format("recording its end failed: {}", s.to_string()), 0);
            return;
          }
          std::string data;
          std::string_view type;
          if (f.status == "completed") {
            e.n_completed.fetch_add(1, std::memory_order_relaxed);
            type = "workflow.completed";
          } else if (f.status == "compensated") {
            e.n_compensated.fetch_add(1, std::memory_order_relaxed);
            type = "workflow.compensated";
          } else if (f.status == "cancelled") {
            e.n_cancelled.fetch_add(1, std::memory_order_relaxed);
            type = "workflow.cancelled";
          } else if (f.status == "continued") {
            e.n_continued.fetch_add(1, std::memory_order_relaxed);
            type = "workflow.continued";
          } else {
            e.n_failed.fetch_add(1, std::memory_order_relaxed);
            type = "workflow.failed";
          }
          e.publish_lifecycle(in, type, lifecycle_json(in, f));
          settle_cancel(in, Status::OK());
          if (f.status != "completed")
            workflows_log().info("workflow {} instance {} {}: {}{}", in.started.workflow, in.id,
                                 f.status, f.reason.empty() ? "" : f.reason + ": ", f.error);
          if (succ) {
            auto n = std::make_unique<Instance>(std::move(*succ));
            Status err;
            VersionSource src;
            if (auto d = e.catalog->find(n->started.workflow)) {
              src.script = d->script;
              src.path = d->path;
              src.hash = d->hash;
              src.source = d->source;
              src.folder = d->folder;
              src.folder_real = d->folder_real;
              src.config_json = d->config_json;
              src.trust = d->trust;
            }
            EngineState* st = e.version_for(src, &err);
            e.drop(id);
            if (!st) {
              workflows_log().error("workflow continuation {}: {}", n->id, err.message());
              return;
            }
            n->state = st;
            n->version = 1;
            n->records = 1;
            n->cause_id = json_string_field(n->started.trigger, "id");
            ++st->open_instances;
            if (n->started.has_key) e.keys[{n->started.workflow, n->started.key}] = n->id;
            Instance& ref = *n;
            e.instances.emplace(n->id, std::move(n));
            e.n_open.store(e.instances.size(), std::memory_order_relaxed);
            e.begin_run(ref);
            return;
          }
          e.drop(id);
        });
      });
}

void EngineImpl::suspend(Instance& in, std::string_view reason, const std::string& error,
                         uint32_t seq) {
  if (in.phase == Phase::kSuspended) return;
  in.phase = Phase::kSuspended;
  in.stopped = true;
  disarm(in);
  append_record(in, kRecSuspended, suspended_json(reason, error, seq));
  n_suspended.fetch_add(1, std::memory_order_relaxed);
  workflows_log().error("{}", error);
  publish_lifecycle(in, reason == "diverged" ? "workflow.diverged" : "workflow.suspended",
                    suspension_json(in, seq, error));
}

void EngineImpl::diverge(lua_State* L, Instance& in, uint32_t seq, const Recorded* expected,
                         std::string_view kind, std::string_view key, std::string_view at) {
  const std::string msg = fmt::format(
      "workflow {} instance {}: replay diverged at seq {}: history has {} '{}' at {}, the code "
      "now gives {} '{}' at {} (the script changed under a running instance: guard the change "
      "with ctx:patched(\"id\"), or let `chorus workflows upgrade {}` report which instances can "
      "move)",
      in.started.workflow, in.id, seq, expected->kind, expected->key, expected->at, kind, key, at,
      in.started.workflow);
  if (dry_run) {
    dry_mismatch = msg;
    in.stopped = true;
    luaL_error(L, "%s", msg.c_str());
  }
  n_diverged.fetch_add(1, std::memory_order_relaxed);
  suspend(in, "diverged", msg, seq);
  luaL_error(L, "%s", msg.c_str());
  std::abort();  // luaL_error does not return
}

void EngineImpl::drop(const std::string& id) {
  auto it = instances.find(id);
  if (it == instances.end()) return;
  Instance& in = *it->second;
  settle_cancel(in, Status::OK());
  const std::string workflow = in.started.workflow;
  if (in.started.has_key) {
    auto k = keys.find({workflow, in.started.key});
    if (k != keys.end() && k->second == id) keys.erase(k);
  }
  EngineState* st = in.state;
  if (st) {
    if (in.ctx_ref != -2) luaL_unref(st->L(), LUA_REGISTRYINDEX, in.ctx_ref);
    --st->open_instances;
  }
  const std::string hash = in.started.source_hash;
  instances.erase(it);
  n_open.store(instances.size(), std::memory_order_relaxed);
  if (st) release_version(*st, workflow);
  forget_source_if_unused(hash, workflow);
}

void EngineImpl::release_version(EngineState& st, const std::string& workflow) {
  if (st.open_instances != 0) return;
  // Close a version nobody uses: no open instance, not the current one.
  auto d = catalog->find(workflow);
  const bool current = d && d->hash == st.source().hash;
  if (!current) {
    note_memory(st, /*closing=*/true);
    versions.erase(st.source().script + "@" + st.source().hash);
    n_versions.store(versions.size(), std::memory_order_relaxed);
  }
}

}  // namespace chorus::workflows
