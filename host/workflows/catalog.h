// Catalog: the workflow definitions the scripts declared (chorus.workflow{}
// at a script's top level), by workflow name, with the source they were
// declared in. The Lua extension (lua_extension.h) fills it while scripts
// load; the engine reads it and is told of every change.
//
// Threading: every member is thread-safe (one mutex). The listener runs on
// the thread that defined (a script's loading thread), without the lock.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "lua/lua_options.h"

namespace chorus::workflows {

struct Definition {
  std::string name;                   // the workflow's name
  std::vector<std::string> patterns;  // `on`
  std::string script;                 // the script's name
  std::string path;                   // "scripts/x.lua"
  std::string at;                     // "scripts/x.lua:3": where chorus.workflow was called
  std::string source;                 // the script's text (the version new instances use)
  std::string hash;                   // its content hash
  std::string folder, folder_real;    // for `require` in engine states
  std::string config_json = "{}";
  lua::Trust trust = lua::Trust::kSandboxed;
};

class Catalog {
 public:
  // Adds or replaces the definition `d.name`. AlreadyExists when another
  // script defines that name (naming both places).
  Status define(Definition d);
  // The current definition of `name` (null: none). Shared and immutable: a
  // later define() replaces it without changing what callers hold, and
  // looking one up copies no source text (the engine does it per trigger).
  std::shared_ptr<const Definition> find(const std::string& name) const;
  std::vector<Definition> all() const;
  // Called after each successful define (one listener: the engine).
  void set_listener(std::function<void(const Definition&)> listener);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const Definition>> defs_;
  std::function<void(const Definition&)> listener_;
};

}  // namespace chorus::workflows
