// A dlopen'ed library: RTLD_NOW (every symbol resolved at load, so a missing
// dependency fails now rather than at first call) and RTLD_LOCAL (its
// symbols do not leak into later plugins). dlclose on destruction.
//
// Threading: open/close on the loader thread; symbol() from any thread.
#pragma once

#include <string>

#include "core/status.h"

namespace chorus::plugins {

class SharedLibrary {
 public:
  // `path` is dlopen'ed; `what` names the plugin file in errors.
  static Result<SharedLibrary> open(const std::string& path, const std::string& what);
  SharedLibrary() = default;
  SharedLibrary(SharedLibrary&& o) noexcept;
  SharedLibrary& operator=(SharedLibrary&& o) noexcept;
  ~SharedLibrary();  // close()

  // The address of `name`, or NotFound naming the file and symbol.
  Result<void*> symbol(const char* name) const;
  // dlclose. Returns false when the library is still mapped afterwards
  // (a GNU unique symbol, or another dlopen of the same path): then its
  // code and statics stay in memory until the process exits.
  bool close();
  const std::string& path() const noexcept { return path_; }

 private:
  void* handle_ = nullptr;
  std::string path_;
  std::string what_;
};

}  // namespace chorus::plugins
