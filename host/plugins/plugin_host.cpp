// PluginHost: start, stop, reconfigure and the folder's changes
// (plugin_host.h). The transactions themselves are in loader.cpp.
#include "plugins/plugin_host.h"

#include <algorithm>
#include <filesystem>

#include <fmt/core.h>

#include "plugins/file_checks.h"
#include "plugins/folder_watcher.h"
#include "plugins/heartbeats.h"
#include "plugins/lifecycle_events.h"
#include "plugins/loader.h"
#include "plugins/plugins_log.h"
#include "plugins/private_copy.h"

namespace chorus::plugins {
namespace fs = std::filesystem;

namespace {

// The *.so files of `folder`, sorted by name (a deterministic load order).
std::vector<std::string> plugin_files(const std::string& folder) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    if (!is_plugin_file_name(e.path().filename().string())) continue;
    std::error_code tc;
    if (!e.is_regular_file(tc)) continue;
    out.push_back(e.path().string());
  }
  if (ec) plugins_log().error("{}: cannot list: {}", folder, ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

PluginHost::PluginHost(boost::asio::io_context& io, bus::EventBus& bus, store::EventStore* store,
                       PluginHostOptions options)
    : io_(io), options_(std::move(options)) {
  events_ = std::make_unique<LifecycleEvents>(bus, options_.directory);
  InstanceLinks links;
  links.io = &io;
  links.bus = &bus;
  links.store = store;
  links.registry = options_.registry;
  links.durable_poll = options_.durable_poll;
  loader_ = std::make_unique<Loader>(links, *events_);
  loader_->configure(options_);
  heartbeats_ = std::make_unique<Heartbeats>(
      io, [l = loader_.get()] { return l->snapshot(); }, *events_);
  watcher_ = std::make_unique<FolderWatcher>();
}

PluginHost::~PluginHost() {
  stop();
}

Status PluginHost::start() {
  std::lock_guard ops(ops_mu_);
  if (started_) return Status::OK();
  if (options_.private_dir.empty())
    return Status::InvalidArgument("plugins: no private folder for loaded copies");
  CHORUS_RETURN_IF_ERROR(prepare_private_dir(options_.private_dir));
  started_ = true;
  open_folder();
  heartbeats_->start(options_.heartbeat_interval);
  return Status::OK();
}

void PluginHost::open_folder() {
  const std::string& folder = options_.folder;
  Status checked = check_folder(folder);
  loader_->folder_status(folder, checked);
  if (Status st = checked; !st.ok()) {
    if (st.is(StatusCode::kNotFound))
      plugins_log().warn("plugins folder {} does not exist: no plugins loaded", folder);
    else
      plugins_log().error("{}; no plugins loaded", st.message());
    return;
  }
  const std::vector<std::string> files = plugin_files(folder);
  plugins_log().info("plugins folder {}: {} plugin file{}{}", folder, files.size(),
                     files.size() == 1 ? "" : "s", options_.watch ? ", watching for changes" : "");
  if (options_.watch) {
    // Watch before the scan: a file written meanwhile is then seen twice
    // (the second time unchanged), never missed.
    Status st = watcher_->start(folder, [this](FileChange c, const std::string& path) {
      on_change(static_cast<int>(c), path);
    });
    if (!st.ok()) plugins_log().error("{}; changes are not picked up", st.message());
  }
  for (const std::string& f : files)
    loader_->load(f);
}

void PluginHost::on_change(int change, const std::string& path) {
  std::lock_guard ops(ops_mu_);
  if (!started_) return;
  switch (static_cast<FileChange>(change)) {
    case FileChange::kWritten:
      loader_->load(path);
      break;
    case FileChange::kRemoved:
      loader_->remove(path, "removed");
      break;
    case FileChange::kAttributes:
      if (loader_->refused(path)) loader_->load(path);
      break;
    case FileChange::kFolderGone:
      plugins_log().warn(
          "plugins folder {} was removed or moved: its plugins keep running; "
          "changes are not picked up until a reload",
          path);
      break;
  }
}

void PluginHost::stop() {
  // The watcher's callback takes ops_mu_: stop it first, outside the lock.
  watcher_->stop();
  heartbeats_->stop();
  std::lock_guard ops(ops_mu_);
  if (!started_) return;
  started_ = false;
  loader_->unload_all("shutdown");
}

Status PluginHost::reconfigure(PluginHostOptions next) {
  if (next.private_dir.empty()) next.private_dir = options_.private_dir;
  const bool new_folder = next.folder != options_.folder || next.watch != options_.watch;
  if (new_folder) watcher_->stop();
  std::lock_guard ops(ops_mu_);
  if (!started_) {
    options_ = std::move(next);
    loader_->configure(options_);
    return Status::OK();
  }
  events_->set_directory(next.directory);
  const std::vector<std::string> changed = loader_->files_with_changed_settings(next);
  options_ = std::move(next);
  loader_->configure(options_);
  heartbeats_->start(options_.heartbeat_interval);
  if (new_folder) {
    loader_->unload_all("removed");
    open_folder();
    return Status::OK();
  }
  for (const std::string& f : changed) {
    if (fs::exists(f))
      loader_->load(f, Loader::Force::kYes);
    else
      loader_->remove(f, "removed");
  }
  // Files changed or added while nobody watched, and files that a setting
  // now enables: load() skips what is loaded and unchanged.
  for (const std::string& f : plugin_files(options_.folder))
    loader_->load(f);
  for (const std::string& f : loader_->files())
    if (!fs::exists(f)) loader_->remove(f, "removed");
  return Status::OK();
}

std::vector<PluginInfo> PluginHost::plugins() const {
  return loader_->plugins();
}

std::vector<LoadFailure> PluginHost::failures() const {
  return loader_->failures();
}

}  // namespace chorus::plugins
