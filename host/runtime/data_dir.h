// The data directory: created when missing, and locked so that two hosts
// never share one (a second `chorus run` on the same directory fails fast).
#pragma once

#include <string>

#include "core/status.h"

namespace chorus::runtime {

// Holds an exclusive flock on <data_dir>/LOCK for its lifetime.
class DataDirLock {
 public:
  // Creates `path` (and parents) if missing, then takes the lock. Errors name
  // the path; a held lock names the pid written by its holder.
  static Result<DataDirLock> acquire(const std::string& path);

  DataDirLock(DataDirLock&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) {
    other.fd_ = -1;
  }
  DataDirLock& operator=(DataDirLock&&) = delete;
  ~DataDirLock();

  // The directory, made absolute.
  const std::string& path() const { return path_; }

 private:
  DataDirLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace chorus::runtime
