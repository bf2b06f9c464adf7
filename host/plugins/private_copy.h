// The private copy a plugin is loaded from. The loader never dlopens a file
// in the watched folder: it copies it (after the trust checks) to a private,
// versioned path (`<private_dir>/<stem>.<generation>.so`, mode 0700), and
// dlopens that. Replacing or deleting the original then cannot change the
// code that is mapped, and two versions of one plugin never share a path,
// so dlopen cannot mistake the new file for the old one it already has.
//
// The private folder is the host's own: prepare_private_dir() creates it
// (0700) and removes copies a previous run left behind.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "plugins/file_checks.h"

namespace chorus::plugins {

// Larger plugin files are refused (a guard against reading a wrong file).
inline constexpr uint64_t kMaxPluginBytes = 512ull << 20;

struct PrivateCopy {
  std::string path;   // the copy's path
  std::string bytes;  // its content (for inspection before dlopen)
  uint64_t hash = 0;  // of the content: an unchanged file is not reloaded
};

// Creates `dir` (0700) when missing and removes leftover *.so copies in it.
Status prepare_private_dir(const std::string& dir);

// Copies the opened file `src` (named `src_path` in errors) to
// `<dir>/<stem>.<generation>.so`.
Result<PrivateCopy> make_private_copy(const OpenedFile& src, const std::string& src_path,
                                      const std::string& dir, uint64_t generation);

// Removes a copy once its library is closed (errors are logged, not fatal).
void remove_private_copy(const std::string& path);

}  // namespace chorus::plugins
