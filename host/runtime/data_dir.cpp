// Data directory creation and the LOCK file (flock, released by the kernel
// when the process dies, so a crash never leaves a stale lock).
#include "runtime/data_dir.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/core.h>

namespace chorus::runtime {

Result<DataDirLock> DataDirLock::acquire(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return Status::IOError(fmt::format("data dir {}: cannot create: {}", path, ec.message()));
  if (!fs::is_directory(path, ec))
    return Status::IOError(fmt::format("data dir {}: not a directory", path));
  std::string abs = fs::absolute(path, ec).lexically_normal().string();
  if (ec) abs = path;
  if (abs.size() > 1 && abs.back() == '/') abs.pop_back();

  const std::string lock_path = abs + "/LOCK";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return Status::IOError(
        fmt::format("data dir {}: cannot open {}: {}", path, lock_path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      std::string pid = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
        pid.pop_back();
      return Status::Unavailable(
          fmt::format("data dir {} is in use by another chorus process (pid {})", path, pid));
    }
    return Status::IOError(
        fmt::format("data dir {}: cannot lock {}: {}", path, lock_path, std::strerror(err)));
  }
  const std::string pid = fmt::format("{}\n", ::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; the pid is only for the error message.
  }
  return DataDirLock(fd, abs);
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the flock
}

}  // namespace chorus::runtime
