// ${VAR} and ${VAR:-default} substitution in configuration scalars.
//
//   ${NAME}          the variable's value; an error when it is unset
//   ${NAME:-text}    the value, or `text` when unset or empty
//   $$               a literal '$'
// NAME is [A-Za-z_][A-Za-z0-9_]*. A '$' followed by anything else is kept.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace chorus::config {

// Looks a variable up; std::nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The process environment (getenv).
EnvLookup process_env();

// Returns `text` with every reference replaced. InvalidArgument names the
// variable and the byte offset for an unset variable without a default, an
// unterminated "${" or a bad name.
Result<std::string> substitute_env(std::string_view text, const EnvLookup& env);

}  // namespace chorus::config
