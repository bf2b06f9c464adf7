// ${VAR} substitution rules.
#include "config/env_subst.h"

#include <map>

#include <catch2/catch.hpp>

using namespace chorus;
using namespace chorus::config;

namespace {

EnvLookup fake_env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("substitution forms") {
  auto env = fake_env({{"HOME", "/home/a"}, {"EMPTY", ""}, {"N", "4"}});
  CHECK(*substitute_env("plain", env) == "plain");
  CHECK(*substitute_env("${HOME}/data", env) == "/home/a/data");
  CHECK(*substitute_env("${MISSING:-fallback}", env) == "fallback");
  CHECK(*substitute_env("${EMPTY:-fallback}", env) == "fallback");
  CHECK(*substitute_env("${EMPTY}", env) == "");
  CHECK(*substitute_env("${N}${N}", env) == "44");
  CHECK(*substitute_env("cost $5 and $$HOME", env) == "cost $5 and $HOME");
  CHECK(*substitute_env("$", env) == "$");
  CHECK(*substitute_env("${MISSING:-}", env) == "");
  CHECK(*substitute_env("${MISSING:-a:-b}", env) == "a:-b");
}

TEST_CASE("substitution errors name the variable and position") {
  auto env = fake_env({});
  CHECK(substitute_env("${NOPE}", env).error().message() ==
        "environment variable NOPE is not set (write ${NOPE:-default} to give a default)");
  CHECK(substitute_env("abc ${OPEN", env).error().message() ==
        "unterminated '${' at byte 4 (expected ${NAME} or ${NAME:-default})");
  CHECK(substitute_env("${1BAD}", env).error().message() ==
        "'${1BAD}' at byte 0: invalid variable name (expected [A-Za-z_][A-Za-z0-9_]*)");
  CHECK_FALSE(substitute_env("${}", env).ok());
}

TEST_CASE("substituted text is not substituted again") {
  auto env = fake_env({{"A", "${B}"}, {"B", "b"}});
  CHECK(*substitute_env("${A}", env) == "${B}");
}
