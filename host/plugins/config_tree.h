// ConfigTree: an instance's config block (JSON, from the `plugins:` YAML
// section), parsed once, answering the host API's config_lookup(). Paths
// are keys joined by '.', array elements by their index ("sensors.0");
// the empty path is the whole block. Immutable after construction, so
// lookups may come from any thread; the strings it returns live as long as
// the tree (the instance).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "chorus/plugin.h"
#include "core/status.h"

namespace chorus::plugins {

class ConfigTree {
 public:
  // InvalidArgument when `json` is not a JSON object (naming `what`).
  static Result<std::unique_ptr<ConfigTree>> parse(std::string_view json, std::string_view what);
  ~ConfigTree();

  // Fills `out` (its struct_size respected); NotFound (kind MISSING) when
  // the path leads nowhere.
  Status lookup(std::string_view path, chorus_config_value& out) const;

 private:
  ConfigTree();
  struct Doc;
  std::unique_ptr<Doc> doc_;
};

}  // namespace chorus::plugins
