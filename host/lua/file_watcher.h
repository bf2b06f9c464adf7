// FileWatcher: tells the script host which files of the scripts folder were
// written (inotify), for hot reload.
//
// It watches the folder and its subfolders (new subfolders too) for
// IN_CLOSE_WRITE (a file written in place and closed) and IN_MOVED_TO (a file
// renamed into place: how most editors and `mv` save), and for
// IN_DELETE/IN_MOVED_FROM (a file gone). Events that arrive together (one
// save often makes several) are gathered until the folder has been quiet
// for kSettle, then reported once, on the watcher's own thread.
//
// Threading: start() and the destructor from one thread; the callback runs
// on the watcher's thread and must not destroy the watcher.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace chorus::lua {

struct FileChanges {
  std::vector<std::string> written;  // paths written or moved into place
  std::vector<std::string> removed;  // paths deleted or moved away
  std::chrono::steady_clock::time_point first_seen;
};

class FileWatcher {
 public:
  static constexpr std::chrono::milliseconds kSettle{5};
  static constexpr std::chrono::milliseconds kMaxGather{50};

  using Callback = std::function<void(const FileChanges&)>;

  // Watches `folder` (a real path). IOError when inotify refuses.
  static Result<std::unique_ptr<FileWatcher>> start(const std::string& folder, Callback callback);
  ~FileWatcher();  // stops and joins the thread
  FileWatcher(const FileWatcher&) = delete;
  FileWatcher& operator=(const FileWatcher&) = delete;

 private:
  FileWatcher() = default;
  void add_tree(const std::string& dir);
  void loop();
  bool read_events(FileChanges& changes);  // false: nothing was pending

  int fd_ = -1;
  int wake_fd_ = -1;                 // eventfd: stops the loop
  std::map<int, std::string> dirs_;  // watch descriptor -> directory
  Callback callback_;
  std::thread thread_;
};

}  // namespace chorus::lua
