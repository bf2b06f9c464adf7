// Private versioned copies of plugin files (private_copy.h).
#include "plugins/private_copy.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <unistd.h>

#include <fmt/core.h>

#include "core/hash.h"
#include "plugins/plugins_log.h"

namespace chorus::plugins {
namespace fs = std::filesystem;

Status prepare_private_dir(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(fmt::format("{}: cannot create: {}", dir, ec.message()));
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) return Status::IOError(fmt::format("{}: cannot chmod 0700: {}", dir, ec.message()));
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".so") continue;
    std::error_code rm;
    fs::remove(entry.path(), rm);
    if (rm)
      plugins_log().warn("{}: cannot remove a leftover copy: {}", entry.path().string(),
                         rm.message());
  }
  if (ec) return Status::IOError(fmt::format("{}: cannot list: {}", dir, ec.message()));
  return Status::OK();
}

Result<PrivateCopy> make_private_copy(const OpenedFile& src, const std::string& src_path,
                                      const std::string& dir, uint64_t generation) {
  const auto size = static_cast<uint64_t>(src.st.st_size);
  if (size > kMaxPluginBytes)
    return Status::ResourceExhausted(fmt::format(
        "{}: {} bytes is larger than a plugin may be ({} bytes)", src_path, size, kMaxPluginBytes));
  PrivateCopy copy;
  copy.bytes.resize(size);
  size_t got = 0;
  while (got < size) {
    const ssize_t n =
        ::pread(src.fd.get(), copy.bytes.data() + got, size - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(fmt::format("{}: read: {}", src_path, std::strerror(errno)));
    if (n == 0) break;  // shrank while being read: inspect_elf reports it as truncated
    got += static_cast<size_t>(n);
  }
  copy.bytes.resize(got);
  copy.hash = hash_bytes(copy.bytes);

  const std::string stem = fs::path(src_path).stem().string();
  copy.path = fmt::format("{}/{}.{}.so", dir, stem, generation);
  UniqueFd out(::open(copy.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700));
  if (!out)
    return Status::IOError(fmt::format("{}: cannot create the private copy {}: {}", src_path,
                                       copy.path, std::strerror(errno)));
  size_t put = 0;
  while (put < copy.bytes.size()) {
    const ssize_t n = ::write(out.get(), copy.bytes.data() + put, copy.bytes.size() - put);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::unlink(copy.path.c_str());
      return Status::IOError(
          fmt::format("{}: cannot write {}: {}", src_path, copy.path, std::strerror(err)));
    }
    put += static_cast<size_t>(n);
  }
  return copy;
}

void remove_private_copy(const std::string& path) {
  if (path.empty()) return;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    plugins_log().warn("{}: cannot remove: {}", path, std::strerror(errno));
}

}  // namespace chorus::plugins
