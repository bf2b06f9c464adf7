// A live upgrade (docs/workflows.md "Versions"): the open instances of a
// workflow on older versions are paused (no wait armed, their coroutine
// dropped), and once every record they queued is committed, each history
// is replayed dry against the current definition (upgrade.cpp). A clean
// one gets `wf.upgraded` and is re-run from its history on the current
// version, as recovery would; the others are re-run on their own version
// (a suspended one stays suspended) and their outcome says why. Also the
// stored sources: written once per version, removed when unused.
#include <boost/asio/steady_timer.hpp>
#include <fmt/core.h>
#include <lua.hpp>

#include "store/event_store.h"
#include "workflows/engine_impl.h"
#include "workflows/history_reader.h"

namespace chorus::workflows {

struct UpgradeJob {
  std::string workflow;
  VersionSource current;
  struct Paused {
    std::string id, from;
    bool suspended = false;
  };
  std::vector<Paused> paused;
  std::vector<UpgradeOutcome> out;
  UpgradeDone done;
  boost::asio::steady_timer timer;
  std::chrono::steady_clock::time_point deadline;
  explicit UpgradeJob(boost::asio::strand<boost::asio::io_context::executor_type>& s) : timer(s) {}
};

void EngineImpl::upgrade_async(const std::string& workflow, UpgradeDone done) {
  auto d = catalog->find(workflow);
  if (!d) {
    done(Status::NotFound(fmt::format("no workflow '{}' is defined", workflow)));
    return;
  }
  Status err;
  if (!version_for(source_of(*d), &err)) {
    done(err.with_context(fmt::format("workflow {}: its current source", workflow)));
    return;
  }
  auto job = std::make_shared<UpgradeJob>(strand);
  job->workflow = workflow;
  job->current = source_of(*d);
  job->done = std::move(done);
  for (auto& [id, owned] : instances) {
    Instance& in = *owned;
    if (in.started.workflow != workflow) continue;
    UpgradeOutcome o;
    o.instance = id;
    o.from = in.started.source_hash;
    o.to = d->hash;
    if (in.started.source_hash == d->hash && in.phase != Phase::kSuspended) {
      o.result = UpgradeOutcome::Result::kAlreadyCurrent;
      job->out.push_back(std::move(o));
      continue;
    }
    if (in.phase == Phase::kEnding || in.phase == Phase::kStarting ||
        in.cancel_stage != CancelStage::kNone) {
      o.why = in.phase == Phase::kStarting ? "its start is not recorded yet: upgrade again"
                                           : "it is ending";
      job->out.push_back(std::move(o));
      continue;
    }
    const bool suspended = in.phase == Phase::kSuspended;
    if (!suspended) pause(in);
    job->paused.push_back({id, in.started.source_hash, suspended});
  }
  job->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  upgrade_when_committed(job);
}

void EngineImpl::pause(Instance& in) {
  in.stopped = true;
  disarm(in);
  if (in.has_ticket) {
    in.state->invoker().drop(in.ticket);
    in.has_ticket = false;
  }
}

void EngineImpl::upgrade_when_committed(const std::shared_ptr<UpgradeJob>& job) {
  // The dry replay reads the histories from the store: wait until what the
  // paused instances queued is committed (the writer commits in a moment;
  // polled on the strand's timer, nothing blocks).
  bool all = true;
  for (const auto& p : job->paused) {
    auto it = instances.find(p.id);
    if (it == instances.end()) continue;
    auto info = services.store->stream_info(it->second->stream);
    if (!info.ok() || info->version < it->second->version) {
      all = false;
      break;
    }
  }
  if (!all && std::chrono::steady_clock::now() < job->deadline && !stopping) {
    job->timer.expires_after(std::chrono::milliseconds(1));
    job->timer.async_wait([w = weak_from_this(), job](const boost::system::error_code&) {
      if (auto self = w.lock()) self->upgrade_when_committed(job);
    });
    return;
  }
  upgrade_apply(*job);
}

void EngineImpl::upgrade_apply(UpgradeJob& job) {
  // The scratch engine of the dry replays: its own Lua states; nothing it
  // does reaches the store, the bus or this engine.
  boost::asio::io_context scratch_io;
  auto dry = std::make_shared<EngineImpl>(
      options, WorkflowServices{&scratch_io, nullptr, services.store, nullptr},
      std::make_shared<Catalog>());
  dry->dry_run = true;
  Status err;
  EngineState* current = version_for(job.current, &err);
  for (const auto& p : job.paused) {
    auto it = instances.find(p.id);
    if (it == instances.end()) continue;
    Instance& in = *it->second;
    UpgradeOutcome o;
    o.instance = p.id;
    o.from = p.from;
    o.to = job.current.hash;
    auto events = instance_history(*services.store, p.id);
    Result<History> h = events.ok() ? decode_history(in.stream, *events) : events.error();
    if (!h.ok()) {
      o.why = h.error().message();
      in.phase = Phase::kRunning;
      suspend(in, "error",
              fmt::format("workflow {} instance {}: {}", in.started.workflow, p.id, o.why), 0);
      job.out.push_back(std::move(o));
      continue;
    }
    if (stopping)
      o.why = "the engine is stopping";
    else if (!current)
      o.why = err.message();
    else
      o.why = dry_replay_mismatch(*dry, job.current, p.id, *h);
    if (o.why.empty()) {
      o.result = UpgradeOutcome::Result::kUpgraded;
      store_source(job.current);
      reload(in, *h, current);
      append_record(in, kRecUpgraded, upgraded_json(p.from, job.current.hash));
      workflows_log().info("workflow {} instance {}: upgraded from version {} to {}",
                           in.started.workflow, p.id, p.from, job.current.hash);
      begin_run(in);
    } else {
      workflows_log().warn("workflow {} instance {}: stays on version {}: {}", in.started.workflow,
                           p.id, p.from, o.why);
      if (!p.suspended && !stopping) {
        reload(in, *h, in.state);
        begin_run(in);
      }
    }
    job.out.push_back(std::move(o));
  }
  dry->versions.clear();
  if (job.done) job.done(std::move(job.out));
}

void EngineImpl::reload(Instance& in, const History& h, EngineState* st) {
  pause(in);
  EngineState* old = in.state;
  if (in.ctx_ref != -2 && old) luaL_unref(old->L(), LUA_REGISTRYINDEX, in.ctx_ref);
  in.ctx_ref = -2;
  if (old != st) {
    ++st->open_instances;
    in.state = st;
    if (old) {
      --old->open_instances;
      release_version(*old, in.started.workflow);
    }
    in.started.script = st->source().script;
    in.started.path = st->source().path;
    in.started.source_hash = st->source().hash;
  }
  in.history = h.commands;
  in.max_recorded = in.history.empty() ? 0 : in.history.rbegin()->first;
  in.next_seq = 1;
  in.records = h.records;
  in.status_table = h.status_table;
  in.cause_id = json_string_field(in.started.trigger, "id");
  in.terminal.reset();
  in.result = "null";
  in.stopped = false;
  in.phase = Phase::kStarting;
}

void EngineImpl::store_source(const VersionSource& src) {
  if (!stored_sources.insert(src.hash).second) return;
  const std::string stream = source_stream(src.hash);
  // Once per hash per life, one read: stored already, or removed when its
  // last instance ended (a deleted stream continues at its version).
  auto info = services.store->stream_info(stream);
  if (info.ok() && !info->deleted) return;
  EventPtr rec =
      make_record(stream, kRecSource, "", source_json(src.script, src.path, src.hash, src.source));
  const store::StreamAppend part{stream, std::span<const EventPtr>(&rec, 1),
                                 info.ok() ? store::ExpectedVersion::exact(info->version)
                                           : store::ExpectedVersion::no_stream()};
  services.store->append_multi_async(
      std::span<const store::StreamAppend>(&part, 1), [](const store::MultiAppendResult& r) {
        if (!r.ok() && !r.status.is(StatusCode::kConflict))
          workflows_log().error("storing a workflow source: {}", r.status.message());
      });
}

void EngineImpl::forget_source_if_unused(const std::string& hash, const std::string& workflow) {
  if (hash.empty() || stopping) return;
  // Most instances end on their workflow's current version: one lookup,
  // and neither scan below runs.
  if (auto d = catalog->find(workflow); d && d->hash == hash) return;
  for (const Definition& d : catalog->all())
    if (d.hash == hash) return;
  for (const auto& [id, in] : instances)
    if (in->started.source_hash == hash) return;
  stored_sources.erase(hash);
  // delete_stream waits for its commit: not on the strand.
  boost::asio::post(*services.io, [w = weak_from_this(), store = services.store, hash] {
    Status s = store->delete_stream(source_stream(hash));
    if (!s.ok() && !s.is(StatusCode::kNotFound))
      workflows_log().warn("removing the stored source of version {}: {}", hash, s.message());
    else
      workflows_log().debug("version {}: its last instance ended; source removed", hash);
    if (auto self = w.lock())
      self->post([hash](EngineImpl& e) {
        // An instance started on it meanwhile (its text came back): store
        // it again.
        if (!e.stored_sources.erase(hash)) return;
        for (const Definition& d : e.catalog->all())
          if (d.hash == hash) {
            e.store_source(source_of(d));
            return;
          }
      });
  });
}

}  // namespace chorus::workflows
