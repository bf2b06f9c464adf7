// PluginModule: one plugin file, loaded. Loading is: the trust checks on the
// file (file_checks.h), a private versioned copy (private_copy.h), an ELF
// look before any of its code runs (complete? the entry symbol? GNU unique
// symbols? elf_inspect.h), dlopen of the copy (shared_library.h), the entry
// call and the ABI check (descriptor.h). Every error names the file in the
// plugins folder.
//
// Ownership: the loader and the module's instances share it; the library is
// closed (and the copy removed) when the last reference goes, which the
// loader arranges to happen on its own thread after every instance has been
// unloaded. Nothing in it is called after that.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "plugins/descriptor.h"
#include "plugins/shared_library.h"

namespace chorus::plugins {

class PluginModule {
 public:
  // `file` is the path in the plugins folder; the copy goes to
  // `<private_dir>/<stem>.<generation>.so`. AlreadyExists ("unchanged")
  // without loading anything when the file's content hash is `unchanged`.
  static Result<std::shared_ptr<PluginModule>> load(
      const std::string& file, const std::string& private_dir, uint64_t generation,
      std::optional<uint64_t> unchanged = std::nullopt);
  ~PluginModule();  // dlclose; warns when the library stays mapped

  const Descriptor& descriptor() const noexcept { return descriptor_; }
  const chorus_plugin_descriptor& callbacks() const noexcept { return descriptor_.raw; }
  const std::string& file() const noexcept { return file_; }
  uint64_t content_hash() const noexcept { return hash_; }
  // Things a user should know that did not stop the load (GNU unique symbols).
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

 private:
  PluginModule() = default;

  SharedLibrary library_;
  Descriptor descriptor_;
  std::string file_;
  std::string copy_path_;
  uint64_t hash_ = 0;
  std::vector<std::string> warnings_;
};

}  // namespace chorus::plugins
