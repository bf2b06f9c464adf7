// Recovery after a restart: the open instances from $wf-instances, each
// history from $wf-<id>, each version's source from $wf-source-<hash>, then
// replay (docs/workflows.md "Replay").
#include <map>

#include <fmt/core.h>
#include <rapidjson/document.h>

#include "store/event_store.h"
#include "workflows/engine_impl.h"

namespace chorus::workflows {
namespace {

// Every event of `stream` (NotFound: none).
Result<std::vector<store::StoredEvent>> read_all_of(store::EventStore& s, std::string_view stream) {
  std::vector<store::StoredEvent> out;
  uint64_t from = 1;
  for (;;) {
    auto page = s.read_stream(stream, from, store::Direction::kForward, 10'000);
    if (!page.ok()) {
      if (page.error().is(StatusCode::kNotFound)) return out;
      return page.error();
    }
    for (auto& e : page->events)
      out.push_back(std::move(e));
    if (page->end || page->events.empty()) return out;
    from = page->next;
  }
}

}  // namespace

Result<VersionSource> EngineImpl::stored_source(const std::string& workflow,
                                                const std::string& hash) {
  auto d = catalog->find(workflow);
  if (d && d->hash == hash) return source_of(*d);
  CHORUS_ASSIGN_OR_RETURN(auto events, read_all_of(*services.store, source_stream(hash)));
  if (events.empty())
    return Status::NotFound(fmt::format("the source of version {} is not in the store ({})", hash,
                                        source_stream(hash)));
  rapidjson::Document doc;
  const std::string_view data = events.front().event->data();
  doc.Parse(data.data(), data.size());
  if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("source") ||
      !doc["source"].IsString())
    return Status::Corruption(fmt::format("{} version 1 does not decode", source_stream(hash)));
  VersionSource s;
  s.script = json_string_field(data, "script");
  s.path = json_string_field(data, "path");
  s.hash = hash;
  s.source.assign(doc["source"].GetString(), doc["source"].GetStringLength());
  if (d) {
    s.folder = d->folder;
    s.folder_real = d->folder_real;
    s.config_json = d->config_json;
    s.trust = d->trust;
  } else {
    s.folder = options.scripts_folder;
  }
  return s;
}

void EngineImpl::suspend_undecodable(const std::string& id, const std::string& workflow,
                                     const std::string& correlation,
                                     const std::vector<store::StoredEvent>& events,
                                     const Status& error) {
  // Kept in memory as suspended (counted as open; cancel ends it), with
  // nothing run. Its wf.suspended is appended once: a later start finds it
  // last and only logs.
  auto owned = std::make_unique<Instance>();
  Instance& in = *owned;
  in.id = id;
  in.stream = history_stream(id);
  in.started.workflow = workflow.empty() ? std::string("?") : workflow;
  in.started.correlation = correlation;
  in.version = events.empty() ? 0 : events.back().stream_version;
  in.records = events.size();
  in.phase = Phase::kRunning;
  instances.emplace(id, std::move(owned));
  n_open.store(instances.size(), std::memory_order_relaxed);
  const std::string msg = fmt::format("workflow {} instance {}: its history cannot be decoded: {}",
                                      in.started.workflow, id, error.message());
  if (!events.empty() && events.back().event->type() == kRecSuspended) {
    in.phase = Phase::kSuspended;
    in.stopped = true;
    workflows_log().error("{} (suspended)", msg);
    return;
  }
  suspend(in, "error", msg, 0);
}

Status EngineImpl::recover() {
  auto index = read_all_of(*services.store, kInstancesStream);
  if (!index.ok()) return index.error().with_context("workflows: reading $wf-instances");
  std::vector<std::string> order;
  std::set<std::string> open;
  std::map<std::string, std::pair<std::string, std::string>>
      indexed;  // id -> workflow, correlation
  for (const store::StoredEvent& se : *index) {
    const std::string id = json_string_field(se.event->data(), "instance");
    if (id.empty()) continue;
    if (se.event->type() == kRecInstanceStarted) {
      indexed[id] = {json_string_field(se.event->data(), "workflow"),
                     json_string_field(se.event->data(), "correlation")};
      if (open.insert(id).second) order.push_back(id);
    } else if (se.event->type() == kRecInstanceEnded) {
      open.erase(id);
    }
  }
  for (const std::string& id : order) {
    if (!open.count(id)) continue;
    const std::string stream = history_stream(id);
    auto events = read_all_of(*services.store, stream);
    if (!events.ok()) {
      workflows_log().error("workflow instance {}: {}", id, events.error().message());
      continue;
    }
    auto h = decode_history(stream, *events);
    if (!h.ok()) {
      suspend_undecodable(id, indexed[id].first, indexed[id].second, *events, h.error());
      continue;
    }
    if (h->finished) continue;
    auto owned = std::make_unique<Instance>();
    Instance& in = *owned;
    in.id = id;
    in.stream = stream;
    in.started = h->started;
    in.version = h->version;
    in.records = h->records;
    in.history = std::move(h->commands);
    in.max_recorded = in.history.empty() ? 0 : in.history.rbegin()->first;
    in.status_table = h->status_table;
    in.cause_id = json_string_field(in.started.trigger, "id");
    auto src = stored_source(in.started.workflow, in.started.source_hash);
    Status err = src.ok() ? Status::OK() : src.error();
    EngineState* st = src.ok() ? version_for(*src, &err) : nullptr;
    in.state = st;
    if (st) ++st->open_instances;
    if (in.started.has_key) keys[{in.started.workflow, in.started.key}] = id;
    instances.emplace(id, std::move(owned));
    n_open.store(instances.size(), std::memory_order_relaxed);
    if (h->status == "suspended") {
      in.phase = Phase::kSuspended;
      in.stopped = true;
      continue;
    }
    if (h->cancel_requested && h->status == "cancelling") {
      // A crash after the cancellation was recorded: finish it.
      in.cancel_reason = h->cancel_reason;
      in.cancel_seq = h->cancel_seq;
      if (!h->cancel_compensate) {
        Finish f;
        f.status = "cancelled";
        f.reason = in.cancel_reason;
        f.error = "the instance was suspended: cancelled without running its compensations";
        finish(in, std::move(f));
        continue;
      }
      in.cancel_stage = CancelStage::kReplayToPoint;
    }
    if (!st) {
      suspend(in, "error",
              fmt::format("workflow {} instance {}: its version {} cannot run: {}",
                          in.started.workflow, id, in.started.source_hash, err.message()),
              0);
      continue;
    }
    n_replayed.fetch_add(1, std::memory_order_relaxed);
    begin_run(in);
  }
  return Status::OK();
}

}  // namespace chorus::workflows
