// Cancelling an open instance (docs/workflows.md "Cancellation"): the
// durable wf.cancel_requested record first, then, once it is committed, the
// saga's compensations in a coroutine of their own (the run coroutine is
// dropped where it waits and never resumed). Recovery of a history with the
// record replays run up to the point where it was cancelled, then runs the
// same compensation coroutine, whose recorded compensations replay.
#include <fmt/core.h>
#include <lua.hpp>

#include "store/event_store.h"
#include "workflows/engine_impl.h"

namespace chorus::workflows {

bool EngineImpl::compensating(const Instance& in) {
  if (!in.state || in.ctx_ref == -2) return false;
  lua_State* L = in.state->L();
  lua_rawgeti(L, LUA_REGISTRYINDEX, in.ctx_ref);
  lua_pushstring(L, "_compensating");
  lua_rawget(L, -2);
  const bool yes = lua_toboolean(L, -1);
  lua_pop(L, 2);
  return yes;
}

void EngineImpl::cancel(Instance& in, const std::string& reason,
                        std::function<void(Status)> recorded) {
  // A suspended instance runs no Lua (its source may be the one that
  // diverged): it ends without compensation, and its event says so.
  const bool compensate = in.phase != Phase::kSuspended;
  in.cancel_stage = CancelStage::kRecording;
  in.cancel_reason = reason;
  in.cancel_done = std::move(recorded);
  in.cancel_seq = in.next_seq;
  in.stopped = true;
  disarm(in);
  if (in.has_ticket) {
    in.state->invoker().drop(in.ticket);
    in.has_ticket = false;
  }
  EventPtr rec = make_record(in.stream, kRecCancelRequested, in.started.correlation,
                             cancel_requested_json(reason, in.cancel_seq, compensate));
  const uint64_t expect = in.version++;
  ++in.records;
  const store::StreamAppend part{in.stream, std::span<const EventPtr>(&rec, 1),
                                 store::ExpectedVersion::exact(expect)};
  // The compensations reach outside (at least once): they start only once
  // the record that makes a restart resume them is committed.
  services.store->append_multi_async(
      std::span<const store::StreamAppend>(&part, 1),
      [w = weak_from_this(), id = in.id, compensate](const store::MultiAppendResult& r) {
        auto self = w.lock();
        if (!self) return;
        self->post([id, compensate, s = r.status](EngineImpl& e) {
          auto it = e.instances.find(id);
          if (it == e.instances.end()) return;
          Instance& in = *it->second;
          if (!s.ok()) {
            settle_cancel(in, s);
            in.cancel_stage = CancelStage::kNone;
            in.phase = Phase::kRunning;
            e.suspend(in, "error",
                      fmt::format("workflow {} instance {}: recording its cancellation failed: {}",
                                  in.started.workflow, id, s.to_string()),
                      0);
            return;
          }
          if (e.stopping) {
            settle_cancel(in, Status::OK());  // the next start resumes it from the record
            return;
          }
          if (!compensate) {
            Finish f;
            f.status = "cancelled";
            f.reason = in.cancel_reason;
            f.error = "the instance was suspended: cancelled without running its compensations";
            e.finish(in, std::move(f));
            return;
          }
          e.run_cancel_compensation(in);
        });
      });
}

void EngineImpl::run_cancel_compensation(Instance& in) {
  in.cancel_stage = CancelStage::kCompensating;
  in.next_seq = in.cancel_seq;
  in.stopped = false;
  in.phase = Phase::kRunning;
  in.terminal.reset();
  if (in.has_ticket) {
    in.state->invoker().drop(in.ticket);
    in.has_ticket = false;
  }
  disarm(in);
  if (in.ctx_ref == -2 || !in.state) {
    // run never started: no step completed, nothing to compensate.
    Finish f;
    f.status = "cancelled";
    f.reason = in.cancel_reason;
    finish(in, std::move(f));
    return;
  }
  EngineState& st = *in.state;
  const int ctx_ref = in.ctx_ref;
  const std::string& reason = in.cancel_reason;
  // entry(fn, ctx, reason) with fn = ctx._cancel (prelude.cpp).
  lua::CallResult r =
      st.invoker().start(st.entry_ref(), nullptr, in.started.workflow, {}, [&](lua_State* co) {
        lua_rawgeti(co, LUA_REGISTRYINDEX, ctx_ref);
        lua_getfield(co, -1, "_cancel");
        lua_insert(co, -2);
        lua_pushlstring(co, reason.data(), reason.size());
        return 3;
      });
  handle(in, r);
  // Ended: answered when its end is committed (finish). Else its
  // compensation waits (or it was suspended): the cancel is recorded.
  if (in.phase != Phase::kEnding) settle_cancel(in, Status::OK());
}

void EngineImpl::settle_cancel(Instance& in, Status s) {
  if (!in.cancel_done) return;
  auto done = std::move(in.cancel_done);
  in.cancel_done = nullptr;
  done(std::move(s));
}

}  // namespace chorus::workflows
