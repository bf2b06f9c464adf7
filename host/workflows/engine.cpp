// WorkflowEngine: lifecycle, trigger subscriptions and starting instances
// (docs/workflows.md "Instances").
#include <chrono>
#include <future>

#include <fmt/core.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <lua.hpp>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/clock.h"
#include "core/topic.h"
#include "lua/lua_json.h"
#include "store/event_store.h"
#include "workflows/engine_impl.h"
#include "workflows/ids.h"

namespace chorus::workflows {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void put(Writer& w, const char* k, std::string_view v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}

// Calls fn(event table) in the version's main thread; the first result as
// text ("" for nil/false), or an error with script:line.
Result<std::string> call_on_trigger(EngineState& st, int fn, const std::string& trigger,
                                    bool want_string) {
  lua_State* L = st.L();
  lua_rawgeti(L, LUA_REGISTRYINDEX, fn);
  std::string err;
  if (!lua::push_json(L, trigger, &err)) lua_pushnil(L);
  if (lua_pcall(L, 1, 1, 0) != 0) {
    std::string msg = lua_tostring(L, -1) ? lua_tostring(L, -1) : "error";
    lua_pop(L, 1);
    return Status::FailedPrecondition(std::move(msg));
  }
  std::string out;
  if (want_string) {
    if (lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER) out = lua_tostring(L, -1);
  } else if (lua_toboolean(L, -1)) {
    out = "1";
  }
  lua_pop(L, 1);
  return out;
}

}  // namespace

VersionSource source_of(const Definition& d) {
  VersionSource s;
  s.script = d.script;
  s.path = d.path;
  s.hash = d.hash;
  s.source = d.source;
  s.folder = d.folder;
  s.folder_real = d.folder_real;
  s.config_json = d.config_json;
  s.trust = d.trust;
  return s;
}

std::string lifecycle_json(const Instance& in, const Finish& f) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  put(w, "workflow", in.started.workflow);
  put(w, "instance", in.id);
  if (f.status == "completed") {
    w.Key("result");
    w.RawValue(f.result.data(), f.result.size(), rapidjson::kObjectType);
  } else if (!f.error.empty()) {
    put(w, "error", f.error);
  }
  if (f.status == "cancelled" || !f.reason.empty()) put(w, "reason", f.reason);
  if (!f.failed_compensation.empty()) put(w, "failed_compensation", f.failed_compensation);
  if (f.status == "compensated" || f.status == "cancelled" || !f.reason.empty()) {
    w.Key("compensated");
    w.StartArray();
    for (const auto& c : f.compensated)
      w.String(c.data(), static_cast<rapidjson::SizeType>(c.size()));
    w.EndArray();
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string suspension_json(const Instance& in, uint32_t seq, const std::string& error) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  put(w, "workflow", in.started.workflow);
  put(w, "instance", in.id);
  w.Key("seq");
  w.Uint(seq);
  put(w, "error", error);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

void EngineImpl::publish_lifecycle(const Instance& in, std::string_view type, std::string data) {
  EventBuilder b(type);
  b.source(kRecordSource).correlation_id(in.started.correlation).data(data, "application/json");
  auto ev = b.build();
  if (!ev.ok()) return;
  services.bus->publish_async(*ev, [](const Status&) {});
}

void EngineImpl::on_definition(const Definition& d) {
  if (stopping) return;
  Status err;
  if (!version_for(source_of(d), &err)) {
    workflows_log().error("workflow {} ({}): {}", d.name, d.at, err.message());
    return;
  }
  if (options.upgrade == UpgradeMode::kOnReload) upgrade_on_reload(d);
  auto it = triggers.find(d.name);
  if (it != triggers.end() && it->second.patterns == d.patterns) return;
  if (it != triggers.end()) {
    if (it->second.id) (void)services.bus->unsubscribe(it->second.id);
    triggers.erase(it);
  }
  // Persistent trigger types: a durable consumer group, so that triggers
  // stored while the host was down start their instances now. The handler
  // waits (on the group's own thread) until the start is recorded, so the
  // ack never precedes it.
  std::vector<std::string> ephemeral;
  for (const std::string& p : d.patterns) {
    if (!persistent(p)) {
      ephemeral.push_back(p);
      continue;
    }
    bus::DurableOptions dopt;
    dopt.subscriber_id = fmt::format("workflow.{}.{}", d.name, durable_subs.size());
    auto dsub = services.bus->subscribe_durable(
        fmt::format("workflow.{}", d.name), p,
        [w = weak_from_this(), name = d.name](const EventPtr& ev) -> Status {
          auto self = w.lock();
          if (!self || self->closing.load()) return Status::Unavailable("workflows: stopping");
          auto done = std::make_shared<std::promise<void>>();
          auto fut = done->get_future();
          auto refused = std::make_shared<std::atomic<bool>>(false);
          self->post([name, ev, done, refused](EngineImpl& e) {
            e.on_trigger(
                name, ev, [done] { done->set_value(); }, refused);
          });
          self.reset();
          // Bounded: a stopping engine may never run the start.
          if (fut.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
            return Status::Timeout("workflows: the start was not recorded in time");
          // Refused by workflows.max_open: not acked, so the group delivers
          // it again later (and dead-letters it after its max deliveries).
          if (refused->load())
            return Status::ResourceExhausted(
                fmt::format("workflow {}: workflows.max_open reached", name));
          return Status::OK();
        },
        dopt);
    if (!dsub.ok()) {
      workflows_log().warn("workflow {}: durable trigger '{}': {}; using an ephemeral one", d.name,
                           p, dsub.error().message());
      ephemeral.push_back(p);
      continue;
    }
    std::lock_guard l(durable_mu);
    durable_subs.push_back(*dsub);
  }
  TriggerSub ts;
  ts.patterns = d.patterns;
  if (ephemeral.empty()) {
    triggers[d.name] = ts;
    workflows_log().info("workflow {} defined at {} (version {}), durable triggers {}", d.name,
                         d.at, d.hash, fmt::format("{}", fmt::join(d.patterns, ", ")));
    return;
  }
  bus::SubscribeOptions o;
  o.subscriber_id = fmt::format("workflow.{}", d.name);
  o.mode = bus::DeliveryMode::kInline;
  auto sub = services.bus->subscribe(
      ephemeral,
      [w = weak_from_this(), name = d.name](const EventPtr& ev) {
        if (auto self = w.lock()) self->post([name, ev](EngineImpl& e) { e.on_trigger(name, ev); });
        return Status::OK();
      },
      o);
  if (!sub.ok()) {
    workflows_log().error("workflow {} ({}): subscribing its triggers: {}", d.name, d.at,
                          sub.error().message());
    return;
  }
  ts.id = *sub;
  triggers[d.name] = ts;
  workflows_log().info("workflow {} defined at {} (version {}), on {}", d.name, d.at, d.hash,
                       fmt::format("{}", fmt::join(d.patterns, ", ")));
}

void EngineImpl::refuse_by_limit(const std::string& workflow, const Event& ev) {
  n_refused_by_limit.fetch_add(1, std::memory_order_relaxed);
  // One warning per workflow per 10 s at most, with the count since the last.
  LimitLog& l = limit_log[workflow];
  ++l.refused;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  if (l.last_ns != 0 && now - l.last_ns < 10'000'000'000) return;
  workflows_log().warn(
      "workflow {}: {} trigger(s) refused (the last: {} {}): {} instances are open "
      "(workflows.max_open)",
      workflow, l.refused, ev.type(), ev.id().to_string(), instances.size());
  l.last_ns = now;
  l.refused = 0;
}

void EngineImpl::upgrade_on_reload(const Definition& d) {
  bool older = false;
  for (const auto& [id, in] : instances)
    older = older || (in->started.workflow == d.name && in->started.source_hash != d.hash);
  if (!older) return;
  workflows_log().info("workflow {}: version {} loaded; upgrading its open instances (on_reload)",
                       d.name, d.hash);
  upgrade_async(d.name, [name = d.name](Result<std::vector<UpgradeOutcome>> r) {
    if (!r.ok()) {
      workflows_log().warn("workflow {}: upgrading on reload: {}", name, r.error().message());
      return;
    }
    size_t upgraded = 0, pinned = 0;
    for (const UpgradeOutcome& o : *r) {
      if (o.result == UpgradeOutcome::Result::kUpgraded) ++upgraded;
      if (o.result == UpgradeOutcome::Result::kPinned) ++pinned;
    }
    workflows_log().info("workflow {}: on reload, {} instance(s) upgraded, {} stay pinned", name,
                         upgraded, pinned);
  });
}

bool EngineImpl::persistent(const std::string& pattern) const {
  for (const std::string& p : options.persist) {
    if (p == pattern || p == "**") return true;
    if (!pattern_has_wildcards(pattern) && topic_matches(p, pattern)) return true;
  }
  return false;
}

void EngineImpl::on_trigger(const std::string& workflow, const EventPtr& ev,
                            std::function<void()> done,
                            std::shared_ptr<std::atomic<bool>> refused) {
  // Runs `done` on every path that starts nothing.
  struct Guard {
    std::function<void()>* f;
    ~Guard() {
      if (f && *f) (*f)();
    }
  } guard{&done};
  if (stopping) return;
  auto d = catalog->find(workflow);
  if (!d) return;
  Status err;
  EngineState* st = version_for(*d, &err);
  if (!st) return;
  const EngineState::Fns* fns = st->find(workflow);
  if (!fns) return;
  std::string trigger = event_table_json(*ev);
  if (fns->match != -2) {
    auto m = call_on_trigger(*st, fns->match, trigger, false);
    if (!m.ok()) {
      workflows_log().warn("workflow {}: match of {} {}: {}", workflow, ev->type(),
                           ev->id().to_string(), m.error().message());
      return;
    }
    if (m->empty()) return;
  }
  std::string key;
  bool has_key = false;
  if (fns->key != -2) {
    auto k = call_on_trigger(*st, fns->key, trigger, true);
    if (!k.ok()) {
      workflows_log().warn("workflow {}: key of {} {}: {}", workflow, ev->type(),
                           ev->id().to_string(), k.error().message());
      return;
    }
    if (!k->empty()) {
      key = std::move(*k);
      has_key = true;
      if (keys.count({workflow, key})) {
        n_refused_by_key.fetch_add(1, std::memory_order_relaxed);
        workflows_log().debug("workflow {}: key '{}' has an open instance; {} {} starts nothing",
                              workflow, key, ev->type(), ev->id().to_string());
        return;
      }
    }
  }
  if (options.max_open > 0 && instances.size() >= options.max_open) {
    refuse_by_limit(workflow, *ev);
    if (refused) refused->store(true);
    return;
  }
  start_instance(*d, *st, ev, std::move(trigger), std::move(key), has_key,
                 std::exchange(done, nullptr));
}

void EngineImpl::start_instance(const Definition& d, EngineState& st, const EventPtr& trigger,
                                std::string trigger_json, std::string key, bool has_key,
                                std::function<void()> done) {
  const std::string id = instance_id_for(d.name, trigger->id());
  // A trigger seen twice: in this life (in memory), or in an earlier one
  // (its history exists; one LMDB read). The engine is the streams' only
  // writer (the data-dir lock), so nothing else can start it meanwhile.
  if (instances.count(id) || services.store->stream_info(history_stream(id)).ok()) {
    if (done) done();
    return;
  }
  auto owned = std::make_unique<Instance>();
  Instance& in = *owned;
  in.id = id;
  in.stream = history_stream(id);
  StartedRecord& s = in.started;
  s.workflow = d.name;
  s.script = d.script;
  s.path = d.path;
  s.source_hash = d.hash;
  s.trigger = std::move(trigger_json);
  s.correlation = trigger->correlation_id().empty() ? trigger->id().to_string()
                                                    : std::string(trigger->correlation_id());
  s.key = std::move(key);
  s.has_key = has_key;
  in.cause_id = trigger->id().to_string();
  in.state = &st;
  ++st.open_instances;
  in.version = 1;
  in.records = 1;
  if (has_key) keys[{d.name, s.key}] = id;
  instances.emplace(id, std::move(owned));
  n_open.store(instances.size(), std::memory_order_relaxed);

  if (!stored_sources.count(d.hash)) store_source(source_of(d));
  EventPtr started = make_record(in.stream, kRecStarted, s.correlation, started_json(s));
  EventPtr index = make_record(kInstancesStream, kRecInstanceStarted, s.correlation,
                               instance_started_json(id, s, trigger->type(), wall_clock_ns()));
  const store::StreamAppend parts[] = {
      {in.stream, std::span<const EventPtr>(&started, 1), store::ExpectedVersion::no_stream()},
      {kInstancesStream, std::span<const EventPtr>(&index, 1), store::ExpectedVersion::any()}};
  // A trigger from a durable group (done set) may be a redelivery: run only
  // once the start is recorded (a Conflict means an earlier life started it).
  // An ephemeral trigger runs at once: its records queue behind the start in
  // the store's writer, so none can commit before it, and this saves a
  // commit's wait per instance (docs/performance.md "Workflows").
  const bool run_now = !done;
  services.store->append_multi_async(parts, [w = weak_from_this(), id, done,
                                             run_now](const store::MultiAppendResult& r) {
    auto self = w.lock();
    if (!self) return;
    self->post([id, s = r.status, done, run_now](EngineImpl& e) {
      struct Signal {
        const std::function<void()>& f;
        ~Signal() {
          if (f) f();
        }
      } signal{done};
      auto it = e.instances.find(id);
      if (it == e.instances.end()) return;
      Instance& in = *it->second;
      if (!s.ok()) {
        if (s.is(StatusCode::kConflict))
          workflows_log().debug("workflow instance {} was started before", id);
        else
          workflows_log().error("workflow instance {}: recording its start: {}", id, s.message());
        // Run already: its later records fail on their expected versions;
        // nothing of it is stored.
        in.stopped = true;
        e.disarm(in);
        e.drop(id);
        return;
      }
      if (e.stopping && !run_now) return;
      e.n_started.fetch_add(1, std::memory_order_relaxed);
      rapidjson::StringBuffer sb;
      Writer w(sb);
      w.StartObject();
      put(w, "workflow", in.started.workflow);
      put(w, "instance", in.id);
      w.Key("key");
      if (in.started.has_key)
        w.String(in.started.key.data(), static_cast<rapidjson::SizeType>(in.started.key.size()));
      else
        w.Null();
      w.EndObject();
      e.publish_lifecycle(in, "workflow.started", std::string(sb.GetString(), sb.GetSize()));
      if (!run_now) e.begin_run(in);
    });
  });
  if (run_now) begin_run(in);
}

// ---- the facade ----

WorkflowEngine::WorkflowEngine(WorkflowOptions options, WorkflowServices services,
                               std::shared_ptr<Catalog> catalog)
    : impl_(std::make_shared<EngineImpl>(options, services, std::move(catalog))) {}

WorkflowEngine::~WorkflowEngine() {
  stop();
}

Status WorkflowEngine::start() {
  EngineImpl& m = *impl_;
  if (!m.services.io || !m.services.bus || !m.services.store || !m.catalog)
    return Status::InvalidArgument("workflows: the engine needs io, bus, store and a catalog");
  std::promise<Status> done;
  boost::asio::post(m.strand, [&] {
    Status s = m.recover();
    for (const Definition& d : m.catalog->all())
      m.on_definition(d);
    done.set_value(s);
  });
  Status s = done.get_future().get();
  std::weak_ptr<EngineImpl> w = impl_;
  m.catalog->set_listener([w](const Definition& d) {
    if (auto self = w.lock()) self->post([d](EngineImpl& e) { e.on_definition(d); });
  });
  return s;
}

void WorkflowEngine::stop() {
  EngineImpl& m = *impl_;
  if (m.catalog) m.catalog->set_listener(nullptr);
  // Durable trigger handlers wait for the strand: unsubscribe them here,
  // while the strand still runs.
  m.closing.store(true);
  std::vector<bus::SubscriptionId> durable;
  {
    std::lock_guard l(m.durable_mu);
    durable.swap(m.durable_subs);
  }
  for (auto id : durable)
    (void)m.services.bus->unsubscribe(id);
  std::promise<void> done;
  bool posted = false;
  if (m.services.io && !m.services.io->stopped()) {
    posted = true;
    boost::asio::post(m.strand, [&] {
      m.stopping = true;
      for (auto& [name, t] : m.triggers)
        if (t.id) (void)m.services.bus->unsubscribe(t.id);
      m.triggers.clear();
      for (auto& [id, in] : m.instances)
        m.disarm(*in);
      done.set_value();
    });
  }
  if (posted) done.get_future().wait();
}

void WorkflowEngine::close() {
  EngineImpl& m = *impl_;
  m.stopping = true;
  for (auto& [id, in] : m.instances)
    m.disarm(*in);
  m.instances.clear();
  m.versions.clear();
}

void WorkflowEngine::sync() {
  std::promise<void> done;
  boost::asio::post(impl_->strand, [&] { done.set_value(); });
  done.get_future().wait();
}

bool WorkflowEngine::fire_next_timer() {
  std::promise<bool> done;
  boost::asio::post(impl_->strand, [&] {
    EngineImpl& m = *impl_;
    while (!m.virtual_timers.empty()) {
      auto it = m.virtual_timers.begin();
      const int64_t deadline = it->first;
      auto [id, token] = it->second;
      m.virtual_timers.erase(it);
      auto in = m.instances.find(id);
      if (in == m.instances.end() || in->second->wait.token != token) continue;  // stale
      if (deadline > m.now_ns()) m.clock_offset_ns += deadline - m.now_ns();
      m.on_timer(id, token);
      done.set_value(true);
      return;
    }
    done.set_value(false);
  });
  return done.get_future().get();
}

Status WorkflowEngine::cancel(const std::string& id, const std::string& reason) {
  EngineImpl& m = *impl_;
  if (!m.services.io || m.services.io->stopped())
    return Status::Unavailable("workflows: the engine is not running");
  auto outcome = std::make_shared<std::promise<Status>>();
  auto fut = outcome->get_future();
  m.post([id, reason, outcome](EngineImpl& e) {
    auto it = e.instances.find(id);
    if (it == e.instances.end() || e.stopping) {
      outcome->set_value(Status::NotFound(fmt::format("no open workflow instance '{}'", id)));
      return;
    }
    Instance& in = *it->second;
    if (in.phase == Phase::kEnding || in.cancel_stage != CancelStage::kNone) {
      outcome->set_value(Status::FailedPrecondition(
          fmt::format("workflow {} instance {} is ending already{}", in.started.workflow, id,
                      in.cancel_stage != CancelStage::kNone ? " (it is being cancelled)" : "")));
      return;
    }
    if (e.compensating(in)) {
      outcome->set_value(Status::FailedPrecondition(
          fmt::format("workflow {} instance {} is compensating a failed step already",
                      in.started.workflow, id)));
      return;
    }
    e.cancel(in, reason, [outcome](Status s) { outcome->set_value(std::move(s)); });
  });
  // Bounded: a stopping engine may drop the work posted to it.
  if (fut.wait_for(std::chrono::seconds(30)) != std::future_status::ready)
    return Status::Timeout(fmt::format("workflows: cancelling {} was not recorded in time", id));
  try {
    return fut.get();
  } catch (const std::future_error&) {  // the engine closed with it pending
    return Status::Unavailable(fmt::format("workflows: the engine closed while cancelling {}", id));
  }
}

Result<std::vector<UpgradeOutcome>> WorkflowEngine::upgrade(const std::string& workflow) {
  EngineImpl& m = *impl_;
  if (!m.services.io || m.services.io->stopped())
    return Status::Unavailable("workflows: the engine is not running");
  using Outcomes = Result<std::vector<UpgradeOutcome>>;
  auto outcome = std::make_shared<std::promise<Outcomes>>();
  auto fut = outcome->get_future();
  m.post([workflow, outcome](EngineImpl& e) {
    e.upgrade_async(workflow, [outcome](Outcomes r) { outcome->set_value(std::move(r)); });
  });
  // Bounded: a stopping engine may drop the work posted to it.
  if (fut.wait_for(std::chrono::seconds(60)) != std::future_status::ready)
    return Status::Timeout(fmt::format("workflows: upgrading {} did not finish in time", workflow));
  return fut.get();
}

WorkflowStats WorkflowEngine::stats() const {
  const EngineImpl& m = *impl_;
  WorkflowStats s;
  auto ld = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
  s.started = ld(m.n_started);
  s.completed = ld(m.n_completed);
  s.failed = ld(m.n_failed);
  s.compensated = ld(m.n_compensated);
  s.continued = ld(m.n_continued);
  s.diverged = ld(m.n_diverged);
  s.suspended = ld(m.n_suspended);
  s.refused_by_key = ld(m.n_refused_by_key);
  s.replayed = ld(m.n_replayed);
  s.cancelled = ld(m.n_cancelled);
  s.refused_by_limit = ld(m.n_refused_by_limit);
  s.open = ld(m.n_open);
  s.versions = ld(m.n_versions);
  s.memory_bytes = ld(m.n_memory);
  s.lua_collections = ld(m.n_collections);
  return s;
}

}  // namespace chorus::workflows
