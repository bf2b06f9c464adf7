// Trust checks on the plugins folder and plugin files (file_checks.h).
#include "plugins/file_checks.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

#include <fmt/core.h>

namespace chorus::plugins {
namespace {

// Empty when `st` is trusted, else why not.
std::string distrust(const struct stat& st) {
  const uid_t me = ::geteuid();
  if (st.st_uid != me && st.st_uid != 0)
    return fmt::format("owned by uid {}, not by this user (uid {}) or root", st.st_uid, me);
  const unsigned mode = st.st_mode & 07777;
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    const char* who =
        (st.st_mode & S_IWOTH) ? ((st.st_mode & S_IWGRP) ? "group and others" : "others") : "group";
    return fmt::format("writable by {} (mode {:04o}; chmod go-w to allow it)", who, mode);
  }
  return {};
}

}  // namespace

UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}

int UniqueFd::release() noexcept {
  return std::exchange(fd_, -1);
}

Status check_folder(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(fmt::format("{}: no such folder", path));
    return Status::IOError(fmt::format("{}: {}", path, std::strerror(err)));
  }
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(fmt::format("{}: not a folder", path));
  if (std::string why = distrust(st); !why.empty())
    return Status::PermissionDenied(fmt::format("{}: folder refused: {}", path, why));
  return Status::OK();
}

Result<OpenedFile> open_trusted_file(const std::string& path) {
  OpenedFile f;
  f.fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!f.fd) {
    const int err = errno;
    if (err == ENOENT) return Status::NotFound(fmt::format("{}: no such file", path));
    return Status::IOError(fmt::format("{}: cannot open: {}", path, std::strerror(err)));
  }
  if (::fstat(f.fd.get(), &f.st) != 0)
    return Status::IOError(fmt::format("{}: cannot stat: {}", path, std::strerror(errno)));
  if (!S_ISREG(f.st.st_mode))
    return Status::InvalidArgument(fmt::format("{}: not a regular file", path));
  if (std::string why = distrust(f.st); !why.empty())
    return Status::PermissionDenied(fmt::format("{}: refused: {}", path, why));
  return f;
}

}  // namespace chorus::plugins
