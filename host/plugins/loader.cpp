// Loading, the transactional reload, and unloading of plugin files
// (loader.h).
#include "plugins/loader.h"

#include <filesystem>
#include <set>

#include <fmt/core.h>
#include <spdlog/logger.h>

#include "core/clock.h"
#include "plugins/descriptor.h"
#include "plugins/lifecycle_events.h"
#include "plugins/pattern_policy.h"
#include "plugins/plugin_module.h"
#include "plugins/plugins_log.h"

namespace chorus::plugins {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i)
    out += (i ? ", " : "") + v[i];
  return out;
}

std::string stem_of(const std::string& file) {
  return std::filesystem::path(file).stem().string();
}

std::vector<std::string> names_of(const std::vector<std::shared_ptr<Instance>>& instances) {
  std::vector<std::string> out;
  for (const auto& i : instances)
    out.push_back(i->name());
  return out;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

const PluginSettings kDefaults{};

}  // namespace

Loader::~Loader() {
  unload_all("shutdown");
}

void Loader::configure(const PluginHostOptions& options) {
  private_dir_ = options.private_dir;
  drain_timeout_ = options.drain_timeout;
  settings_ = options.plugins;
  script_filters_ = options.script_filters;
  links_.durable_poll = options.durable_poll;
}

const PluginSettings* Loader::settings_for(std::string_view plugin, const std::string& file) const {
  return find_settings(settings_, plugin, file);
}

const PluginSettings* find_settings(const std::vector<PluginSettings>& all, std::string_view plugin,
                                    const std::string& file) {
  const std::string name = std::filesystem::path(file).filename().string();
  const std::string stem = stem_of(file);
  for (const PluginSettings& s : all)
    if (!plugin.empty() && s.key == plugin) return &s;
  for (const PluginSettings& s : all)
    if (s.key == name || s.key == stem) return &s;
  return nullptr;
}

AgentRecord Loader::record_for(const PluginModule& m, const std::string& instance) const {
  const Descriptor& d = m.descriptor();
  return AgentRecord{instance, d.name, d.version, d.description, m.file(), d.capabilities};
}

void Loader::fail(const std::string& file, const AgentRecord& agent, std::string_view stage,
                  const Status& error, StillRunning still) {
  const bool still_running = still == StillRunning::kYes;
  if (still_running)
    plugins_log().error("{}: the new version was not loaded; the running one stays: {}", file,
                        error.message());
  else
    plugins_log().error("{}: not loaded: {}", file, error.message());
  {
    std::lock_guard l(mu_);
    failures_[file] =
        LoadFailure{file, std::string(stage), error.message(), still_running, wall_clock_ns()};
  }
  events_.failed(agent, stage, error, still);
}

bool Loader::refused(const std::string& file) const {
  std::lock_guard l(mu_);
  auto it = failures_.find(file);
  return it != failures_.end() && it->second.stage == "load" &&
         it->second.error.find("refused") != std::string::npos;
}

void Loader::folder_status(const std::string& folder, const Status& st) {
  std::lock_guard l(mu_);
  if (st.ok())
    failures_.erase(folder);
  else
    failures_[folder] = LoadFailure{folder, "folder", st.message(), false, wall_clock_ns()};
}

Result<std::vector<std::shared_ptr<Instance>>> Loader::init_instances(
    const std::shared_ptr<PluginModule>& module, const PluginSettings& settings,
    const std::string& replacing) {
  const Descriptor& d = module->descriptor();
  std::vector<std::string> names = settings.instances;
  if (names.empty()) names.push_back(d.name);
  {
    std::set<std::string> seen;
    std::lock_guard l(mu_);
    for (const std::string& n : names) {
      CHORUS_RETURN_IF_ERROR(check_agent_name(n, fmt::format("{}: instance", module->file())));
      if (!seen.insert(n).second)
        return Status::InvalidArgument(
            fmt::format("{}: instance name '{}' is listed twice", module->file(), n));
      for (const auto& [file, f] : files_) {
        if (file == replacing) continue;
        for (const auto& in : f->instances)
          if (in->name() == n)
            return Status::AlreadyExists(fmt::format("{}: instance name '{}' is already used by {}",
                                                     module->file(), n, file));
      }
    }
  }
  CHORUS_ASSIGN_OR_RETURN(PatternPolicy policy,
                          PatternPolicy::make(settings.publish, settings.subscribe));
  std::vector<TypeFilter> filters;
  for (const FilterSetting& f : settings.filters) {
    const std::string what =
        fmt::format("{}: filters: '{}': {}.{}", module->file(), f.pattern, f.script, f.function);
    if (!script_filters_)
      return Status::FailedPrecondition(fmt::format("{}: this host runs no scripts", what));
    auto resolved = script_filters_(f.script, f.function);
    if (!resolved.ok()) return resolved.error().with_context(what);
    filters.push_back(TypeFilter{f.pattern, std::move(*resolved)});
  }
  std::vector<std::shared_ptr<Instance>> made;
  for (const std::string& n : names) {
    auto in = Instance::create(links_, module,
                               InstanceSettings{n, settings.config_json, policy, filters});
    if (Status st = in->init(); !st.ok()) {
      for (auto& m : made)
        (void)m->unload(std::chrono::milliseconds(0));
      return st;
    }
    made.push_back(std::move(in));
  }
  return made;
}

void Loader::load(const std::string& file, Force force) {
  const auto t0 = std::chrono::steady_clock::now();
  LoadedFile* old = nullptr;
  {
    std::lock_guard l(mu_);
    auto it = files_.find(file);
    if (it != files_.end()) old = it->second.get();
  }
  const StillRunning running = old ? StillRunning::kYes : StillRunning::kNo;
  const std::string stem = stem_of(file);
  AgentRecord unknown{stem, stem, "", "", file, {}};

  // A file disabled by its file name is not even opened.
  if (const PluginSettings* s = settings_for({}, file); s && !s->enabled) {
    if (old) remove(file, "disabled");
    plugins_log().info("{}: disabled by plugins.agents.{}.enabled", file, s->key);
    return;
  }
  std::optional<uint64_t> unchanged;
  if (old && force == Force::kNo) unchanged = old->module->content_hash();
  auto loaded = PluginModule::load(file, private_dir_, ++generation_, unchanged);
  if (!loaded.ok()) {
    if (loaded.error().is(StatusCode::kAlreadyExists)) {
      plugins_log().debug("{}: unchanged, not reloaded", file);
      return;
    }
    fail(file, old ? old->agents.front() : unknown, "load", loaded.error(), running);
    return;
  }
  std::shared_ptr<PluginModule> module = std::move(*loaded);
  const Descriptor& d = module->descriptor();
  for (const std::string& w : module->warnings())
    plugins_log().warn("{} ({} {}): {}", file, d.name, d.version, w);
  const PluginSettings* found = settings_for(d.name, file);
  const PluginSettings& settings = found ? *found : kDefaults;
  if (!settings.enabled) {
    if (old) remove(file, "disabled");
    plugins_log().info("{}: {} is disabled by plugins.agents.{}.enabled", file, d.name,
                       settings.key);
    return;
  }

  // 1. The new version: loaded (above) and every instance initialised.
  auto made = init_instances(module, settings, old ? file : std::string());
  if (!made.ok()) {
    fail(file, record_for(*module, d.name), "init", made.error(), running);
    return;
  }
  auto fresh = std::make_unique<LoadedFile>();
  fresh->file = file;
  fresh->module = module;
  fresh->settings = settings;
  fresh->instances = std::move(*made);
  for (const auto& in : fresh->instances)
    fresh->agents.push_back(record_for(*module, in->name()));
  fresh->loaded_ns = wall_clock_ns();

  // 2. The old version goes: unregistered, unloaded, its library closed.
  std::unique_ptr<LoadedFile> previous;
  if (old) {
    (void)unload_file(*old);
    std::lock_guard l(mu_);
    previous = std::move(files_[file]);
  }
  std::vector<AgentRecord> previous_agents =
      previous ? previous->agents : std::vector<AgentRecord>{};
  const std::string previous_version = previous ? previous->module->descriptor().version : "";
  previous.reset();  // dlclose (the instances released their references in unload)

  // 3. The new version starts.
  std::vector<std::shared_ptr<Instance>> started;
  std::vector<AgentRecord> started_agents;
  for (size_t i = 0; i < fresh->instances.size(); ++i) {
    auto& in = fresh->instances[i];
    if (Status st = in->start(); !st.ok()) {
      (void)in->unload(drain_timeout_);
      fail(file, fresh->agents[i], "start", st, StillRunning::kNo);
      continue;
    }
    started.push_back(in);
    started_agents.push_back(fresh->agents[i]);
  }
  fresh->instances = started;
  fresh->agents = started_agents;
  const double ms = ms_since(t0);
  const std::vector<std::string> names = names_of(fresh->instances);
  {
    std::lock_guard l(mu_);
    failures_.erase(file);
    if (fresh->instances.empty())
      files_.erase(file);
    else
      files_[file] = std::move(fresh);
  }
  if (names.empty()) return;  // every instance failed to start (reported above)

  for (const AgentRecord& a : started_agents) {
    auto was = std::find_if(previous_agents.begin(), previous_agents.end(),
                            [&](const AgentRecord& p) { return p.name == a.name; });
    if (was != previous_agents.end())
      events_.reloaded(*was, a, ms);
    else
      events_.started(a);
  }
  for (const AgentRecord& p : previous_agents) {
    if (std::find(names.begin(), names.end(), p.name) == names.end())
      events_.stopped(p, "removed from the configuration");
  }
  const std::string caps = d.capabilities.empty() ? "none" : join(d.capabilities);
  if (!previous_version.empty())
    plugins_log().info("reloaded {} {} -> {} from {} in {:.1f} ms: {} (capabilities: {})", d.name,
                       previous_version, d.version, file, ms, join(names), caps);
  else
    plugins_log().info("loaded {} {} from {}: {} started (capabilities: {})", d.name, d.version,
                       file, join(names), caps);
}

std::vector<UnloadReport> Loader::unload_file(LoadedFile& f) {
  std::vector<UnloadReport> reports;
  for (size_t i = 0; i < f.instances.size(); ++i) {
    events_.unregister(f.agents[i]);
    reports.push_back(f.instances[i]->unload(drain_timeout_));
  }
  return reports;
}

void Loader::remove(const std::string& file, std::string_view reason) {
  std::unique_ptr<LoadedFile> f;
  {
    std::lock_guard l(mu_);
    failures_.erase(file);
    auto it = files_.find(file);
    if (it == files_.end()) return;
    f = std::move(it->second);
    files_.erase(it);
  }
  const std::vector<UnloadReport> reports = unload_file(*f);
  const std::vector<AgentRecord> agents = f->agents;
  const std::string what =
      fmt::format("{} {}", f->module->descriptor().name, f->module->descriptor().version);
  f.reset();  // dlclose: agent.stopped means the code is gone too
  for (size_t i = 0; i < agents.size(); ++i)
    events_.stopped(agents[i], reason, reports[i]);
  plugins_log().info("unloaded {} from {} ({})", what, file, reason);
}

void Loader::unload_all(std::string_view reason) {
  for (const std::string& file : files())
    remove(file, reason);
}

std::vector<std::string> Loader::files() const {
  std::lock_guard l(mu_);
  std::vector<std::string> out;
  for (const auto& [file, f] : files_)
    out.push_back(file);
  return out;
}

std::vector<std::string> Loader::files_with_changed_settings(
    const PluginHostOptions& options) const {
  std::lock_guard l(mu_);
  std::vector<std::string> out;
  for (const auto& [file, f] : files_) {
    const PluginSettings* s = find_settings(options.plugins, f->module->descriptor().name, file);
    if (!(f->settings == (s ? *s : kDefaults))) out.push_back(file);
  }
  return out;
}

std::vector<Loader::Running> Loader::snapshot() const {
  std::lock_guard l(mu_);
  std::vector<Running> out;
  for (const auto& [file, f] : files_)
    for (size_t i = 0; i < f->instances.size(); ++i)
      out.push_back({f->agents[i], f->instances[i]});
  return out;
}

std::vector<PluginInfo> Loader::plugins() const {
  std::lock_guard l(mu_);
  std::vector<PluginInfo> out;
  for (const auto& [file, f] : files_)
    for (size_t i = 0; i < f->instances.size(); ++i)
      out.push_back({f->agents[i], f->module->warnings(), f->instances[i]->stats(), f->loaded_ns});
  return out;
}

std::vector<LoadFailure> Loader::failures() const {
  std::lock_guard l(mu_);
  std::vector<LoadFailure> out;
  for (const auto& [file, f] : failures_)
    out.push_back(f);
  return out;
}

}  // namespace chorus::plugins
