// EngineState: the Lua state of one pinned script version (script + content
// hash) in the workflow engine (docs/workflows.md "Versions"). Compiled from
// the source the instances started on (the stored copy after a restart), in
// the sandbox, with determinism enforced: os.time/clock/date, math.random
// and chorus.now/uuid/publish/... raise an error naming the ctx equivalent.
// Its chorus.workflow keeps each definition's run/match/key functions. The
// `ctx` methods come from ctx_api.cpp (C) and prelude.cpp (Lua).
//
// Threading: used on the engine's strand only.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/status.h"
#include "lua/invoker.h"
#include "lua/lua_options.h"
#include "lua/lua_vm.h"
#include "lua/sandbox.h"
#include "workflows/json_push_cache.h"

struct lua_State;

namespace chorus::workflows {

struct EngineImpl;

// What a version is compiled from.
struct VersionSource {
  std::string script, path, hash, source;
  std::string folder = "scripts", folder_real;
  std::string config_json = "{}";
  lua::Trust trust = lua::Trust::kSandboxed;
};

class EngineState {
 public:
  struct Fns {
    int run = -2, match = -2, key = -2;  // LUA_NOREF when absent
  };

  // Creates the state, runs the script's top level. InvalidArgument with the
  // Lua message (script:line) when it does not load.
  static Result<std::unique_ptr<EngineState>> load(const VersionSource& src, uint64_t memory_bytes,
                                                   EngineImpl* engine);
  ~EngineState();
  EngineState(const EngineState&) = delete;
  EngineState& operator=(const EngineState&) = delete;

  static EngineState& of(lua_State* L);
  lua_State* L() const noexcept;
  lua::Invoker& invoker() noexcept { return *invoker_; }
  const lua::LuaVm& vm() const noexcept { return *vm_; }
  const Fns* find(const std::string& workflow) const;
  const VersionSource& source() const noexcept { return src_; }
  EngineImpl* engine() const noexcept { return engine_; }
  bool loading() const noexcept { return loading_; }

  int entry_ref() const noexcept { return entry_ref_; }        // function(run, ctx, ev)
  int ctx_meta_ref() const noexcept { return ctx_meta_ref_; }  // metatable of ctx tables

  size_t open_instances = 0;  // maintained by the engine
  // What the engine's memory figures last counted of this state
  // (EngineImpl::note_memory).
  uint64_t counted_memory = 0, counted_collections = 0;
  // Awaited events offered to many instances of this state (engine_waits.cpp).
  JsonPushCache json_cache;

 private:
  EngineState() = default;
  friend int engine_workflow_fn(lua_State* L);

  VersionSource src_;
  EngineImpl* engine_ = nullptr;
  std::unique_ptr<lua::LuaVm> vm_;
  lua::SandboxState sandbox_;
  std::unique_ptr<lua::Invoker> invoker_;
  std::map<std::string, Fns> fns_;
  int entry_ref_ = -2, ctx_meta_ref_ = -2;
  bool loading_ = false;
};

// Installs the ctx methods into the table at the top of L's stack (ctx_api.cpp).
void register_ctx_functions(lua_State* L);
// The Lua part of ctx (await, step, compensation), run once per state with
// the methods table as its argument (prelude.cpp).
extern const char* const kCtxPrelude;
// "scripts/x.lua:12": the first frame of `L` in a script file (skipping C
// frames and the prelude); "?" when there is none.
std::string script_location(lua_State* L);

}  // namespace chorus::workflows
