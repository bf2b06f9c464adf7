// ScriptHost: the slots, the watcher, configuration changes and filters.
#include "lua/script_host.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include <fmt/core.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "lua/blocking_worker.h"
#include "lua/file_watcher.h"
#include "lua/filter_pool.h"
#include "lua/lua_log.h"
#include "lua/script_slot.h"
#include "lua/source_file.h"

namespace chorus::lua {
namespace {

constexpr std::string_view kSystemSource = "scripts";

double millis(std::chrono::nanoseconds d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// Scripts whose functions other scripts' YAML subscriptions use as filters
// load first.
std::vector<ScriptSpec> in_load_order(const std::vector<ScriptSpec>& scripts) {
  std::set<std::string> providers;
  for (const auto& s : scripts)
    for (const auto& sub : s.subscriptions)
      if (auto dot = sub.filter.find('.'); dot != std::string::npos)
        providers.insert(sub.filter.substr(0, dot));
  std::vector<ScriptSpec> out;
  for (const auto& s : scripts)
    if (providers.count(s.name)) out.push_back(s);
  for (const auto& s : scripts)
    if (!providers.count(s.name)) out.push_back(s);
  return out;
}

}  // namespace

struct ScriptHost::Impl {
  ScriptHostOptions options;
  ScriptHostServices services;
  std::unique_ptr<BlockingWorker> worker;
  SlotContext ctx;
  std::map<std::string, std::shared_ptr<ScriptSlot>, std::less<>> slots;
  std::unique_ptr<FileWatcher> watcher;
  mutable std::mutex mu;  // the control mutex
  bool started = false, stopped = false, closed = false;

  void set_context() {
    ctx.services.io = services.io;
    ctx.services.bus = services.bus;
    ctx.services.store = services.store;
    ctx.services.registry = services.registry;
    ctx.services.worker = worker.get();
    ctx.folder = display_folder(options.folder);
    ctx.folder_real = real_path(options.folder);
    if (ctx.folder_real.empty())
      ctx.folder_real = std::filesystem::absolute(options.folder).lexically_normal().string();
    while (ctx.folder_real.size() > 1 && ctx.folder_real.back() == '/')
      ctx.folder_real.pop_back();
    ctx.request_timeout = options.request_timeout;
    ctx.extensions = std::make_shared<const ModuleExtensions>(services.extensions);
    ctx.other_filter = [this](const std::string& script, const std::string& fn) {
      return filter_locked(script, fn);  // called by a slot's load, mu held
    };
  }

  Result<bus::Filter> filter_locked(std::string_view script, std::string_view function) {
    auto it = slots.find(script);
    if (it == slots.end()) {
      std::string names;
      for (const auto& [name, slot] : slots)
        names += (names.empty() ? "" : ", ") + name;
      return Status::NotFound(fmt::format("no script named '{}' (configured scripts: {})", script,
                                          names.empty() ? "none" : names));
    }
    auto pool = it->second->filters();
    if (Status s = pool->check(std::string(function)); !s.ok()) return s;
    return make_bus_filter(pool, std::string(function), fmt::format("{}.{}", script, function));
  }

  void publish_system(
      std::string_view type,
      const std::function<void(rapidjson::Writer<rapidjson::StringBuffer>&)>& body) {
    if (services.bus == nullptr) return;
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.StartObject();
    body(w);
    w.EndObject();
    auto ev = EventBuilder(type)
                  .source(kSystemSource)
                  .data(std::string_view(buf.GetString(), buf.GetSize()))
                  .build();
    if (!ev.ok()) {
      lua_log().error("cannot build {}: {}", type, ev.error().message());
      return;
    }
    if (Status s = services.bus->publish(*ev); !s.ok() && !services.bus->stopping())
      lua_log().warn("cannot publish {}: {}", type, s.message());
  }

  // Logs (and for reloads publishes) what a load did.
  Status report(const ScriptSlot& slot, const LoadOutcome& out, bool reload) {
    const std::string& name = slot.name();
    switch (out.kind) {
      case LoadOutcome::Kind::kUnchanged:
        lua_log().debug("{}: {} written without changes", name, out.path);
        return Status::OK();
      case LoadOutcome::Kind::kLoaded:
        if (!reload) {
          lua_log().info("{}: loaded {} ({}{}, hash {})", name, out.path, slot.info().subscriptions,
                         slot.info().subscriptions == 1 ? " subscription" : " subscriptions",
                         out.hash);
          return Status::OK();
        }
        lua_log().info("{}: reloaded {} in {:.1f} ms (version {}, hash {} -> {})", name, out.path,
                       millis(out.took), out.generation,
                       out.previous_hash.empty() ? "none" : out.previous_hash, out.hash);
        publish_system(kScriptReloaded, [&](auto& w) {
          w.Key("script");
          w.String(name.c_str());
          w.Key("file");
          w.String(out.path.c_str());
          w.Key("hash");
          w.String(out.hash.c_str());
          w.Key("previous_hash");
          w.String(out.previous_hash.c_str());
          w.Key("version");
          w.Uint64(out.generation);
          w.Key("duration_ms");
          w.Double(millis(out.took));
        });
        return Status::OK();
      case LoadOutcome::Kind::kFailed:
        break;
    }
    const std::string& msg = out.error.message();
    const std::string tb = out.traceback.empty() ? "" : "\n" + out.traceback;
    if (reload && slot.info().loaded) {
      lua_log().error("{}: reload failed, the previous version keeps running: {}{}", name, msg, tb);
    } else {
      lua_log().error("{}: cannot load {} (it is loaded once the file is fixed): {}{}", name,
                      out.path, msg, tb);
    }
    if (reload) {
      publish_system(kScriptReloadFailed, [&](auto& w) {
        w.Key("script");
        w.String(name.c_str());
        w.Key("file");
        w.String(out.path.c_str());
        w.Key("line");
        w.Int(line_of(msg, out.path));
        w.Key("error");
        w.String(msg.c_str());
      });
    }
    return out.error;
  }

  Status load_new(const ScriptSpec& spec) {
    auto slot = std::make_shared<ScriptSlot>(spec, ctx);
    slots[spec.name] = slot;
    return report(*slot, slot->load(spec), false);
  }

  void on_changes(const FileChanges& changes) {
    std::lock_guard lock(mu);
    if (stopped) return;
    for (auto& [name, slot] : slots) {
      const std::vector<std::string> files = slot->files();
      const std::string& file = slot->spec().file;
      const std::string own = file.starts_with('/') ? file : ctx.folder_real + "/" + file;
      bool written = false;
      for (const auto& f : changes.written)
        written = written || f == own || std::find(files.begin(), files.end(), f) != files.end();
      if (written) {
        LoadOutcome out = slot->load(slot->spec(), changes.written);
        out.took = std::chrono::steady_clock::now() - changes.first_seen;
        (void)report(*slot, out, true);
        continue;
      }
      for (const auto& f : changes.removed) {
        if (f == own || (!files.empty() && f == files.front()))
          lua_log().warn("{}: {} was removed; the loaded version keeps running", name,
                         slot->path());
      }
    }
  }

  void start_watcher() {
    if (!options.watch) return;
    std::error_code ec;
    if (!std::filesystem::is_directory(ctx.folder_real, ec)) {
      if (!options.scripts.empty())
        lua_log().warn("scripts folder {} does not exist: no hot reload", ctx.folder);
      return;
    }
    auto w = FileWatcher::start(ctx.folder_real, [this](const FileChanges& c) { on_changes(c); });
    if (!w.ok()) {
      lua_log().warn("cannot watch {} ({}): no hot reload", ctx.folder, w.error().message());
      return;
    }
    watcher = std::move(*w);
  }

  // Takes the watcher out under the lock; the caller destroys it unlocked
  // (its callback takes the lock).
  std::unique_ptr<FileWatcher> take_watcher() { return std::move(watcher); }
};

ScriptHost::ScriptHost(ScriptHostOptions options, ScriptHostServices services)
    : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->services = services;
}

ScriptHost::~ScriptHost() {
  stop();
  close();
}

Status ScriptHost::start() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.services.io == nullptr || m.services.bus == nullptr)
    return Status::InvalidArgument("the script host needs an io_context and a bus");
  if (m.started) return Status::FailedPrecondition("the script host was started already");
  m.started = true;
  m.worker = std::make_unique<BlockingWorker>();
  m.set_context();
  for (const ScriptSpec& spec : in_load_order(m.options.scripts))
    (void)m.load_new(spec);
  m.start_watcher();
  return Status::OK();
}

void ScriptHost::stop() {
  Impl& m = *impl_;
  std::unique_ptr<FileWatcher> watcher;
  {
    std::lock_guard lock(m.mu);
    if (!m.started || m.stopped) return;
    m.stopped = true;
    watcher = m.take_watcher();
  }
  watcher.reset();  // joins the watcher thread (its callback sees `stopped`)
  std::lock_guard lock(m.mu);
  for (auto& [name, slot] : m.slots)
    slot->unload();
}

void ScriptHost::close() {
  Impl& m = *impl_;
  stop();
  std::unique_ptr<BlockingWorker> worker;
  {
    std::lock_guard lock(m.mu);
    if (m.closed) return;
    m.closed = true;
    for (auto& [name, slot] : m.slots)
      slot->shutdown();
    m.slots.clear();
    worker = std::move(m.worker);
  }
  worker.reset();  // runs what was submitted, then joins
}

Status ScriptHost::apply(const ScriptHostOptions& next) {
  Impl& m = *impl_;
  std::unique_ptr<FileWatcher> old_watcher;
  Status first;
  {
    std::lock_guard lock(m.mu);
    if (!m.started || m.stopped)
      return Status::FailedPrecondition("the script host is not running");
    auto note = [&](Status s) {
      if (first.ok() && !s.ok()) first = std::move(s);
    };
    const bool folder_changed = display_folder(next.folder) != display_folder(m.options.folder) ||
                                real_path(next.folder) != real_path(m.options.folder);
    if (folder_changed || next.watch != m.options.watch) old_watcher = m.take_watcher();
    if (folder_changed) {
      for (auto& [name, slot] : m.slots)
        slot->unload();
      // Slots are kept alive until close(): their executors may have queued work.
      for (auto& [name, slot] : m.slots)
        slot->shutdown();
      m.slots.clear();
      m.options = next;
      m.set_context();
      for (const ScriptSpec& spec : in_load_order(next.scripts))
        note(m.load_new(spec));
    } else {
      m.options.request_timeout = next.request_timeout;
      m.ctx.request_timeout = next.request_timeout;
      std::set<std::string> wanted;
      for (const auto& s : next.scripts)
        wanted.insert(s.name);
      for (auto it = m.slots.begin(); it != m.slots.end();) {
        if (wanted.count(it->first)) {
          ++it;
          continue;
        }
        lua_log().info("{}: unloaded (removed from the configuration)", it->first);
        it->second->unload();
        it = m.slots.erase(it);
      }
      for (const ScriptSpec& spec : in_load_order(next.scripts)) {
        auto it = m.slots.find(spec.name);
        if (it == m.slots.end()) {
          note(m.load_new(spec));
        } else if (!(it->second->spec() == spec) || !it->second->info().loaded) {
          note(m.report(*it->second, it->second->load(spec), true));
        }
      }
      m.options = next;
    }
  }
  old_watcher.reset();
  std::lock_guard lock(m.mu);
  if (!m.watcher && !m.stopped) m.start_watcher();
  return first;
}

Status ScriptHost::reload(std::string_view script) {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  auto it = m.slots.find(script);
  if (it == m.slots.end()) return Status::NotFound(fmt::format("no script named '{}'", script));
  return m.report(*it->second, it->second->load(it->second->spec()), true);
}

Result<bus::Filter> ScriptHost::filter(std::string_view script, std::string_view function) {
  std::lock_guard lock(impl_->mu);
  return impl_->filter_locked(script, function);
}

std::vector<ScriptInfo> ScriptHost::scripts() const {
  std::lock_guard lock(impl_->mu);
  std::vector<ScriptInfo> out;
  for (const auto& [name, slot] : impl_->slots) {
    const SlotInfo s = slot->info();
    ScriptInfo i;
    i.name = s.name;
    i.path = s.path;
    i.loaded = s.loaded;
    i.trusted = s.trusted;
    i.hash = s.hash;
    i.generation = s.generation;
    i.subscriptions = s.subscriptions;
    i.waiting = s.waiting;
    i.retiring = s.retiring;
    i.memory_bytes = s.memory_bytes;
    i.last_error = s.last_error;
    i.invocations = s.invocations;
    i.errors = s.errors;
    i.limit_hits = s.limit_hits;
    i.reloads = s.reloads;
    i.load_failures = s.load_failures;
    out.push_back(std::move(i));
  }
  return out;
}

ScriptHostOptions ScriptHost::options() const {
  std::lock_guard lock(impl_->mu);
  return impl_->options;
}

}  // namespace chorus::lua
