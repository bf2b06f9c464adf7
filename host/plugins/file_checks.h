// Which files and folders the loader trusts: a plugin runs with the host's
// rights, so a folder or file that someone else can write to (group or
// other write bits, or another owner) is refused with the reason. Root may
// own them too (a system-wide install). The checks are made on the opened
// file (fstat), so a file swapped between the check and the read is the
// file that was checked.
#pragma once

#include <string>
#include <sys/stat.h>

#include "core/status.h"

namespace chorus::plugins {

// An open file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  ~UniqueFd();
  int get() const noexcept { return fd_; }
  int release() noexcept;
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// OK, or PermissionDenied ("<path>: refused: writable by others (mode 0777)
// ...") / NotFound / IOError naming the folder.
Status check_folder(const std::string& path);

struct OpenedFile {
  UniqueFd fd;
  struct stat st {};
};

// Opens `path` read-only and checks it: a regular file, not writable by
// group or others, owned by this user or root. Errors name the path.
Result<OpenedFile> open_trusted_file(const std::string& path);

}  // namespace chorus::plugins
