// FileWatcher: inotify on the scripts folder.
#include "lua/file_watcher.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fmt/core.h>

#include "lua/lua_log.h"

namespace chorus::lua {
namespace {

constexpr uint32_t kFileEvents =
    IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM | IN_CREATE | IN_ONLYDIR;

void add_unique(std::vector<std::string>& v, std::string s) {
  for (const auto& x : v)
    if (x == s) return;
  v.push_back(std::move(s));
}

}  // namespace

Result<std::unique_ptr<FileWatcher>> FileWatcher::start(const std::string& folder,
                                                        Callback callback) {
  std::unique_ptr<FileWatcher> w(new FileWatcher());
  w->fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (w->fd_ < 0) return Status::IOError(fmt::format("inotify_init1: {}", std::strerror(errno)));
  w->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (w->wake_fd_ < 0) return Status::IOError(fmt::format("eventfd: {}", std::strerror(errno)));
  const int wd = ::inotify_add_watch(w->fd_, folder.c_str(), kFileEvents);
  if (wd < 0)
    return Status::IOError(fmt::format("cannot watch {}: {}", folder, std::strerror(errno)));
  w->dirs_[wd] = folder;
  w->add_tree(folder);
  w->callback_ = std::move(callback);
  w->thread_ = std::thread([p = w.get()] { p->loop(); });
  return w;
}

FileWatcher::~FileWatcher() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    thread_.join();
  }
  if (fd_ >= 0) ::close(fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void FileWatcher::add_tree(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    if (e->d_type != DT_DIR || e->d_name[0] == '.') continue;
    const std::string sub = dir + "/" + e->d_name;
    const int wd = ::inotify_add_watch(fd_, sub.c_str(), kFileEvents);
    if (wd >= 0) {
      dirs_[wd] = sub;
      add_tree(sub);
    }
  }
  ::closedir(d);
}

bool FileWatcher::read_events(FileChanges& changes) {
  alignas(inotify_event) char buf[16384];
  bool any = false;
  for (;;) {
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return any;
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) {
        lua_log().warn("scripts folder watch: the kernel dropped events (queue overflow)");
        continue;
      }
      auto dir = dirs_.find(ev->wd);
      if (dir == dirs_.end() || ev->len == 0) continue;
      const std::string path = dir->second + "/" + ev->name;
      if (ev->mask & IN_ISDIR) {
        if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
          const int wd = ::inotify_add_watch(fd_, path.c_str(), kFileEvents);
          if (wd >= 0) dirs_[wd] = path;
          add_tree(path);
        }
        continue;
      }
      if (!any && changes.written.empty() && changes.removed.empty())
        changes.first_seen = std::chrono::steady_clock::now();
      any = true;
      // The last event of a path says what it is now (an editor may move the
      // old file away and write a new one under the same name).
      if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
        std::erase(changes.removed, path);
        add_unique(changes.written, path);
      } else if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
        std::erase(changes.written, path);
        add_unique(changes.removed, path);
      }
    }
  }
}

void FileWatcher::loop() {
  pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      lua_log().error("scripts folder watch stopped: poll: {}", std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;
    FileChanges changes;
    read_events(changes);
    if (changes.written.empty() && changes.removed.empty()) continue;
    // Gather what follows closely (one save is often several events).
    const auto deadline = changes.first_seen + kMaxGather;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      const int wait = static_cast<int>(std::min<int64_t>(left.count(), kSettle.count()));
      const int r = ::poll(fds, 2, wait);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;  // quiet for kSettle
      if (fds[1].revents) return;
      read_events(changes);
    }
    callback_(changes);
  }
}

}  // namespace chorus::lua
