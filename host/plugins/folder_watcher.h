// FolderWatcher: inotify on the plugins folder, on a thread of its own.
// Only complete files are reported: a file is "written" when a writer
// closes it (IN_CLOSE_WRITE) or when it is renamed into the folder
// (IN_MOVED_TO, the atomic way to install a file); a file still being
// written (IN_CREATE, IN_MODIFY) is not reported until then. "removed"
// comes from IN_DELETE and IN_MOVED_FROM; "attributes" from IN_ATTRIB (a
// chmod may make a refused file acceptable). Only `*.so` names not starting
// with '.' are reported (editors' and tools' temporary files are ignored).
//
// Threading: start() and stop() from one thread (the loader's owner); the
// callback runs on the watcher's thread, one change at a time, in the
// order the kernel reported them. stop() joins the thread, so no callback
// runs after it returns.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "core/status.h"
#include "plugins/file_checks.h"

namespace chorus::plugins {

enum class FileChange { kWritten, kRemoved, kAttributes, kFolderGone };

class FolderWatcher {
 public:
  // `path` is the full path of the file (folder + "/" + name).
  using Callback = std::function<void(FileChange change, const std::string& path)>;

  FolderWatcher() = default;
  ~FolderWatcher();  // stop()
  FolderWatcher(const FolderWatcher&) = delete;
  FolderWatcher& operator=(const FolderWatcher&) = delete;

  Status start(const std::string& folder, Callback callback);
  void stop();
  bool running() const noexcept { return thread_.joinable(); }

 private:
  void run();

  std::string folder_;
  Callback callback_;
  UniqueFd inotify_, wake_;
  std::thread thread_;
};

// True for names the loader considers: "*.so", not starting with '.'.
bool is_plugin_file_name(std::string_view name) noexcept;

}  // namespace chorus::plugins
