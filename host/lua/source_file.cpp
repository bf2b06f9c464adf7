// Reading script sources from disk.
#include "lua/source_file.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <fmt/core.h>

namespace chorus::lua {

Status read_source(const std::string& path, const std::string& display, std::string& out) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    std::string msg = fmt::format("cannot read {}: {}", display, std::strerror(err));
    return err == ENOENT ? Status::NotFound(std::move(msg)) : Status::IOError(std::move(msg));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument(fmt::format("{} is not a regular file", display));
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxScriptBytes) {
    ::close(fd);
    return Status::InvalidArgument(fmt::format("{} has {} bytes, more than a script may ({})",
                                               display, st.st_size, kMaxScriptBytes));
  }
  out.clear();
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Status::IOError(fmt::format("cannot read {}: {}", display, std::strerror(err)));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxScriptBytes) {
      ::close(fd);
      return Status::InvalidArgument(
          fmt::format("{} grew past {} bytes while being read", display, kMaxScriptBytes));
    }
  }
  ::close(fd);
  return Status::OK();
}

std::string real_path(const std::string& path) {
  char buf[PATH_MAX];
  if (::realpath(path.c_str(), buf) == nullptr) return {};
  return buf;
}

std::string display_folder(std::string folder) {
  while (folder.size() > 1 && folder.back() == '/')
    folder.pop_back();
  while (folder.starts_with("./") && folder.size() > 2)
    folder.erase(0, 2);
  if (folder.empty() || folder == "./") return std::string(1, '.');
  return folder;
}

int line_of(const std::string& message, const std::string& path) {
  if (!message.starts_with(path + ":")) return 0;
  size_t i = path.size() + 1;
  int line = 0;
  while (i < message.size() && message[i] >= '0' && message[i] <= '9')
    line = line * 10 + (message[i++] - '0');
  return i < message.size() && message[i] == ':' ? line : 0;
}

std::string content_hash(std::string_view source) {
  // FNV-1a, 64 bits: stable across builds and versions (core/hash.h is not).
  uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : source) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return fmt::format("{:016x}", h);
}

}  // namespace chorus::lua
