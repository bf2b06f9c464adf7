// A free-form YAML value as JSON text, for blocks whose shape belongs to
// someone else (a script's `config:`). Mappings become objects, sequences
// arrays. A plain scalar becomes true/false (true, True, TRUE, ...), null
// (null, ~, nothing) or a number when it is written as a JSON number;
// everything else, and every quoted scalar, is a string. ${VAR} is
// substituted in scalars first (env_subst.h).
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "config/env_subst.h"
#include "core/status.h"

namespace chorus::config {

// InvalidArgument for a key that is not a scalar or a failed substitution;
// `error_mark` (when given) receives where.
Result<std::string> yaml_to_json(const YAML::Node& node, const EnvLookup& env,
                                 YAML::Mark* error_mark = nullptr);

}  // namespace chorus::config
