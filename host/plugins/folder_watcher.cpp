// inotify watching of the plugins folder (folder_watcher.h).
#include "plugins/folder_watcher.h"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fmt/core.h>

#include "plugins/plugins_log.h"

namespace chorus::plugins {

bool is_plugin_file_name(std::string_view name) noexcept {
  return name.size() > 3 && name.front() != '.' && name.substr(name.size() - 3) == ".so";
}

FolderWatcher::~FolderWatcher() {
  stop();
}

Status FolderWatcher::start(const std::string& folder, Callback callback) {
  stop();
  folder_ = folder;
  callback_ = std::move(callback);
  inotify_ = UniqueFd(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify_)
    return Status::IOError(fmt::format("{}: inotify_init1: {}", folder, std::strerror(errno)));
  constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |
                             IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;
  if (::inotify_add_watch(inotify_.get(), folder.c_str(), kMask) < 0)
    return Status::IOError(fmt::format("{}: cannot watch: {}", folder, std::strerror(errno)));
  wake_ = UniqueFd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_) return Status::IOError(fmt::format("eventfd: {}", std::strerror(errno)));
  thread_ = std::thread([this] { run(); });
  return Status::OK();
}

void FolderWatcher::stop() {
  if (!thread_.joinable()) return;
  const uint64_t one = 1;
  if (::write(wake_.get(), &one, sizeof(one)) < 0)
    plugins_log().error("watcher: cannot wake the watcher thread: {}", std::strerror(errno));
  thread_.join();
  inotify_ = UniqueFd();
  wake_ = UniqueFd();
}

void FolderWatcher::run() {
  alignas(inotify_event) char buf[16 * 1024];
  pollfd fds[2] = {{inotify_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      plugins_log().error("watcher: poll on {}: {}", folder_, std::strerror(errno));
      return;
    }
    if (fds[1].revents) return;  // stop()
    const ssize_t n = ::read(inotify_.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      plugins_log().error("watcher: read on {}: {}", folder_, std::strerror(errno));
      return;
    }
    for (ssize_t off = 0; off < n;) {
      const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
      off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
      if (ev->mask & IN_Q_OVERFLOW) {
        plugins_log().warn("watcher: {}: the kernel dropped change events (queue overflow)",
                           folder_);
        continue;
      }
      if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
        callback_(FileChange::kFolderGone, folder_);
        continue;
      }
      if (ev->len == 0) continue;
      const std::string_view name(ev->name);  // NUL-padded
      if (!is_plugin_file_name(name)) continue;
      const std::string path = fmt::format("{}/{}", folder_, name);
      if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
        callback_(FileChange::kWritten, path);
      else if (ev->mask & (IN_DELETE | IN_MOVED_FROM))
        callback_(FileChange::kRemoved, path);
      else if (ev->mask & IN_ATTRIB)
        callback_(FileChange::kAttributes, path);
    }
  }
}

}  // namespace chorus::plugins
