// Upgrades: a dry replay of each open instance against the current source.
#include "workflows/upgrade.h"

#include <filesystem>

#include <boost/asio/io_context.hpp>
#include <fmt/core.h>
#include <lua.hpp>

#include "lua/source_file.h"
#include "store/event_store.h"
#include "workflows/engine_impl.h"
#include "workflows/history_reader.h"

namespace chorus::workflows {
namespace {

Result<VersionSource> find_source(const lua::ScriptHostOptions& scripts,
                                  const std::string& workflow, EngineImpl& dry) {
  const std::string folder = lua::display_folder(scripts.folder);
  for (const lua::ScriptSpec& spec : scripts.scripts) {
    const std::filesystem::path file = std::filesystem::path(spec.file).is_absolute()
                                           ? std::filesystem::path(spec.file)
                                           : std::filesystem::path(scripts.folder) / spec.file;
    const std::string path =
        std::filesystem::path(spec.file).is_absolute() ? spec.file : folder + "/" + spec.file;
    VersionSource src;
    if (!lua::read_source(file.string(), path, src.source).ok()) continue;
    if (src.source.find("chorus.workflow") == std::string::npos) continue;
    src.script = spec.name;
    src.path = path;
    src.hash = lua::content_hash(src.source);
    src.folder = scripts.folder;
    src.folder_real = lua::real_path(scripts.folder);
    src.config_json = spec.config_json;
    src.trust = spec.trust;
    Status err;
    EngineState* st = dry.version_for(src, &err);
    if (st && st->find(workflow)) return src;
  }
  return Status::NotFound(fmt::format(
      "no configured script defines workflow '{}' (scripts folder {})", workflow, scripts.folder));
}

}  // namespace

Result<std::vector<UpgradeOutcome>> upgrade_instances(store::EventStore& store,
                                                      const lua::ScriptHostOptions& scripts,
                                                      const std::string& workflow) {
  boost::asio::io_context io;  // never run: the dry engine posts nothing it needs
  auto dry = std::make_shared<EngineImpl>(WorkflowOptions{},
                                          WorkflowServices{&io, nullptr, &store, nullptr},
                                          std::make_shared<Catalog>());
  dry->dry_run = true;
  CHORUS_ASSIGN_OR_RETURN(VersionSource current, find_source(scripts, workflow, *dry));
  CHORUS_ASSIGN_OR_RETURN(auto open, list_instances(store, Which::kOpen));
  std::vector<UpgradeOutcome> out;
  bool source_stored = false;
  for (const InstanceSummary& s : open) {
    if (s.workflow != workflow) continue;
    UpgradeOutcome o;
    o.instance = s.id;
    o.from = s.source_hash;
    o.to = current.hash;
    if (s.source_hash == current.hash) {
      o.result = UpgradeOutcome::Result::kAlreadyCurrent;
      out.push_back(std::move(o));
      continue;
    }
    CHORUS_ASSIGN_OR_RETURN(auto events, instance_history(store, s.id));
    CHORUS_ASSIGN_OR_RETURN(History h, decode_history(history_stream(s.id), events));
    o.why = dry_replay_mismatch(*dry, current, s.id, h);
    if (o.why.empty()) {
      const std::string stream = history_stream(s.id);
      if (!source_stored) {
        const std::string sstream = source_stream(current.hash);
        EventPtr src =
            make_record(sstream, kRecSource, "",
                        source_json(current.script, current.path, current.hash, current.source));
        const store::StreamAppend part{sstream, std::span<const EventPtr>(&src, 1),
                                       store::ExpectedVersion::no_stream()};
        auto w = store.append_multi(std::span<const store::StreamAppend>(&part, 1));
        if (!w.ok() && !w.status.is(StatusCode::kConflict)) return w.status;
        source_stored = true;
      }
      EventPtr rec = make_record(stream, kRecUpgraded, h.started.correlation,
                                 upgraded_json(s.source_hash, current.hash));
      const store::StreamAppend part{stream, std::span<const EventPtr>(&rec, 1),
                                     store::ExpectedVersion::exact(h.version)};
      auto w = store.append_multi(std::span<const store::StreamAppend>(&part, 1));
      if (!w.ok()) return w.status;
      o.result = UpgradeOutcome::Result::kUpgraded;
    }
    out.push_back(std::move(o));
  }
  dry->versions.clear();
  return out;
}

std::string dry_replay_mismatch(EngineImpl& dry, const VersionSource& current,
                                const std::string& id, const History& h) {
  auto owned = std::make_unique<Instance>();
  Instance& in = *owned;
  in.id = id;
  in.stream = history_stream(id);
  in.started = h.started;
  in.version = h.version;
  in.history = h.commands;
  in.max_recorded = in.history.empty() ? 0 : in.history.rbegin()->first;
  Status err;
  in.state = dry.version_for(current, &err);
  if (!in.state) return fmt::format("the current source does not load: {}", err.message());
  dry.instances[id] = std::move(owned);
  dry.dry_mismatch.clear();
  dry.dry_reached_end = false;
  auto r = dry.start_coroutine(in);
  std::string why;
  if (!dry.dry_mismatch.empty()) {
    why = dry.dry_mismatch;
  } else if (r && r->kind == lua::CallResult::Kind::kDone && in.replaying()) {
    why = fmt::format("replay diverged at seq {}: the current code ends there", in.next_seq);
  } else if (r && r->kind == lua::CallResult::Kind::kFailed && !dry.dry_reached_end &&
             !in.terminal) {
    why = fmt::format("replay failed: {}", r->error.message());
  }
  // The dry instance's coroutine goes with the state (dropped by the caller).
  if (in.ctx_ref != -2) luaL_unref(in.state->L(), LUA_REGISTRYINDEX, in.ctx_ref);
  dry.instances.erase(id);
  return why;
}

}  // namespace chorus::workflows
