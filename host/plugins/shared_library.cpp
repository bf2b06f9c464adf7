// dlopen/dlsym/dlclose (shared_library.h).
#include "plugins/shared_library.h"

#include <dlfcn.h>
#include <utility>

#include <fmt/core.h>

#include "plugins/plugins_log.h"

namespace chorus::plugins {

Result<SharedLibrary> SharedLibrary::open(const std::string& path, const std::string& what) {
  ::dlerror();
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* err = ::dlerror();
    return Status::InvalidArgument(
        fmt::format("{}: cannot load: {}", what, err ? err : "dlopen failed"));
  }
  SharedLibrary lib;
  lib.handle_ = h;
  lib.path_ = path;
  lib.what_ = what;
  return lib;
}

SharedLibrary::SharedLibrary(SharedLibrary&& o) noexcept
    : handle_(std::exchange(o.handle_, nullptr)),
      path_(std::move(o.path_)),
      what_(std::move(o.what_)) {}

SharedLibrary& SharedLibrary::operator=(SharedLibrary&& o) noexcept {
  if (this != &o) {
    close();
    handle_ = std::exchange(o.handle_, nullptr);
    path_ = std::move(o.path_);
    what_ = std::move(o.what_);
  }
  return *this;
}

SharedLibrary::~SharedLibrary() {
  close();
}

Result<void*> SharedLibrary::symbol(const char* name) const {
  ::dlerror();
  void* p = ::dlsym(handle_, name);
  if (const char* err = ::dlerror(); err || !p)
    return Status::NotFound(fmt::format("{}: no symbol '{}'", what_, name));
  return p;
}

bool SharedLibrary::close() {
  if (!handle_) return true;
  if (::dlclose(std::exchange(handle_, nullptr)) != 0) {
    const char* err = ::dlerror();
    plugins_log().warn("{}: dlclose failed: {}", what_, err ? err : "unknown error");
  }
  // RTLD_NOLOAD only looks: it returns a handle (which we give back) when
  // the library is still mapped.
  if (void* still = ::dlopen(path_.c_str(), RTLD_NOW | RTLD_NOLOAD)) {
    ::dlclose(still);
    return false;
  }
  return true;
}

}  // namespace chorus::plugins
