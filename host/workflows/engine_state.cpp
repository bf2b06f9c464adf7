// EngineState: a pinned version's Lua state, its determinism guards and
// its `chorus` table (docs/workflows.md "Definitions", "Determinism").
#include "workflows/engine_state.h"

#include <fmt/core.h>
#include <lua.hpp>

#include "lua/lua_json.h"
#include "workflows/definition_table.h"
#include "workflows/workflows_log.h"

namespace chorus::workflows {

int engine_workflow_fn(lua_State* L);

namespace {

constexpr const char* kPreludeName = "=workflow";

// Raises "<name> is not allowed inside a workflow: use <instead>".
int refuse(lua_State* L) {
  return luaL_error(L, "%s is not allowed inside a workflow: use %s",
                    lua_tostring(L, lua_upvalueindex(1)), lua_tostring(L, lua_upvalueindex(2)));
}

// At the top level (loading) it does nothing: the script's own state has
// the real function. Inside run it refuses like refuse().
int inert_while_loading(lua_State* L) {
  lua_getfield(L, LUA_REGISTRYINDEX, "chorus.workflows.loading");
  const bool loading = lua_toboolean(L, -1);
  lua_pop(L, 1);
  if (loading) return 0;
  return refuse(L);
}

void push_refuser(lua_State* L, const char* name, const char* instead, lua_CFunction fn = refuse) {
  lua_pushstring(L, name);
  lua_pushstring(L, instead);
  lua_pushcclosure(L, fn, 2);
}

int log_fn(lua_State* L) {
  const int level = static_cast<int>(lua_tointeger(L, lua_upvalueindex(1)));
  std::string text;
  const int n = lua_gettop(L);
  for (int i = 1; i <= n; ++i) {
    lua::push_display_string(L, i);
    if (i > 1) text += ' ';
    text += lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  EngineState& st = EngineState::of(L);
  workflows_log().log(static_cast<spdlog::level::level_enum>(level), "[{}] {}", st.source().script,
                      text);
  return 0;
}

void build_chorus_table(lua_State* L, EngineState* self, const VersionSource& src) {
  lua_newtable(L);
  lua_pushstring(L, src.script.c_str());
  lua_setfield(L, -2, "name");
  std::string err;
  if (!lua::push_json(L, src.config_json, &err)) lua_newtable(L);
  lua_setfield(L, -2, "config");
  lua::push_json_module(L);
  lua_setfield(L, -2, "json");
  lua_newtable(L);
  const std::pair<const char*, int> levels[] = {{"debug", SPDLOG_LEVEL_DEBUG},
                                                {"info", SPDLOG_LEVEL_INFO},
                                                {"warn", SPDLOG_LEVEL_WARN},
                                                {"error", SPDLOG_LEVEL_ERROR}};
  for (auto [name, level] : levels) {
    lua_pushinteger(L, level);
    lua_pushcclosure(L, log_fn, 1);
    lua_setfield(L, -2, name);
  }
  lua_setfield(L, -2, "log");
  lua_pushlightuserdata(L, self);
  lua_pushcclosure(L, engine_workflow_fn, 1);
  lua_setfield(L, -2, "workflow");
  const std::pair<const char*, const char*> refused[] = {
      {"chorus.now", "ctx:now()"},         {"chorus.uuid", "ctx:uuid()"},
      {"chorus.publish", "ctx:publish()"}, {"chorus.request", "ctx:request()"},
      {"chorus.reply", "ctx:publish()"},   {"chorus.sleep", "ctx:sleep()"},
  };
  for (auto [name, instead] : refused) {
    push_refuser(L, name, instead);
    lua_setfield(L, -2, std::string(name).substr(7).c_str());
  }
  const std::pair<const char*, const char*> inert[] = {
      {"chorus.on", "ctx:await()"},
      {"chorus.after", "ctx:sleep()"},
      {"chorus.every", "ctx:sleep()"},
      {"chorus.cancel", "ctx:sleep()"},
  };
  for (auto [name, instead] : inert) {
    push_refuser(L, name, instead, inert_while_loading);
    lua_setfield(L, -2, std::string(name).substr(7).c_str());
  }
  lua_newtable(L);
  for (const char* f : {"append", "read", "snapshot", "load_snapshot"}) {
    push_refuser(L, fmt::format("chorus.store.{}", f).c_str(), "ctx:step() with a request");
    lua_setfield(L, -2, f);
  }
  lua_setfield(L, -2, "store");
  lua_newtable(L);
  for (const char* f : {"discover", "select", "register", "request"}) {
    push_refuser(L, fmt::format("chorus.registry.{}", f).c_str(), "ctx:request_capability()");
    lua_setfield(L, -2, f);
  }
  lua_setfield(L, -2, "registry");
}

// os.time & co. and math.random & co. refuse in the environment.
void guard_environment(lua_State* L) {
  lua::push_environment(L);
  const int env = lua_gettop(L);
  const std::pair<const char*, const char*> os_refused[] = {
      {"time", "ctx:now()"}, {"clock", "ctx:now()"}, {"date", "ctx:now()"}};
  lua_getfield(L, env, "os");
  if (lua_istable(L, -1)) {
    for (auto [name, instead] : os_refused) {
      push_refuser(L, fmt::format("os.{}", name).c_str(), instead);
      lua_setfield(L, -2, name);
    }
  }
  lua_pop(L, 1);
  lua_getfield(L, env, "math");
  if (lua_istable(L, -1)) {
    // A copy: the math library table may be shared with the state's other
    // users (none here, but keep the library itself intact).
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, -3) != 0) {
      lua_pushvalue(L, -2);
      lua_insert(L, -2);
      lua_rawset(L, -4);
    }
    push_refuser(L, "math.random", "ctx:random()");
    lua_setfield(L, -2, "random");
    push_refuser(L, "math.randomseed", "ctx:random()");
    lua_setfield(L, -2, "randomseed");
    lua_setfield(L, env, "math");
  }
  lua_pop(L, 1);
  lua_pop(L, 1);
}

}  // namespace

int engine_workflow_fn(lua_State* L) {
  auto* self = static_cast<EngineState*>(lua_touserdata(L, lua_upvalueindex(1)));
  DefinitionFields f;
  read_definition_table(L, 1, f);
  EngineState::Fns fns;
  lua_getfield(L, 1, "run");
  fns.run = luaL_ref(L, LUA_REGISTRYINDEX);
  if (f.has_match) {
    lua_getfield(L, 1, "match");
    fns.match = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  if (f.has_key) {
    lua_getfield(L, 1, "key");
    fns.key = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  self->fns_[f.name] = fns;
  return 0;
}

std::string script_location(lua_State* L) {
  lua_Debug ar;
  for (int level = 0; lua_getstack(L, level, &ar); ++level) {
    if (!lua_getinfo(L, "Sl", &ar)) continue;
    if (ar.source && ar.source[0] == '@' && ar.currentline > 0)
      return fmt::format("{}:{}", ar.source + 1, ar.currentline);
  }
  return "?";
}

EngineState& EngineState::of(lua_State* L) {
  return *static_cast<EngineState*>(lua::LuaVm::of(L).owner);
}

lua_State* EngineState::L() const noexcept {
  return vm_->state();
}

const EngineState::Fns* EngineState::find(const std::string& workflow) const {
  auto it = fns_.find(workflow);
  return it == fns_.end() ? nullptr : &it->second;
}

EngineState::~EngineState() {
  if (invoker_) invoker_->drop_all();
  invoker_.reset();
  vm_.reset();
}

Result<std::unique_ptr<EngineState>> EngineState::load(const VersionSource& src,
                                                       uint64_t memory_bytes, EngineImpl* engine) {
  std::unique_ptr<EngineState> st(new EngineState());
  st->src_ = src;
  st->engine_ = engine;
  lua::VmLimits limits;
  limits.memory_bytes = memory_bytes;
  limits.jit = true;  // no CPU budget: a workflow's time is spread over its life
  st->vm_ = lua::LuaVm::create(limits);
  if (!st->vm_)
    return Status::ResourceExhausted(
        fmt::format("{}: cannot create a Lua state (out of memory)", src.path));
  st->vm_->owner = st.get();
  st->sandbox_.trust = src.trust;
  st->sandbox_.folder = src.folder;
  st->sandbox_.folder_real = src.folder_real;
  st->sandbox_.print = [name = src.script](std::string_view line) {
    workflows_log().info("[{}] {}", name, line);
  };
  lua_State* L = st->vm_->state();
  lua::open_sandbox(L, &st->sandbox_);
  build_chorus_table(L, st.get(), src);
  lua::set_module(L, "chorus");
  guard_environment(L);
  st->invoker_ = std::make_unique<lua::Invoker>(*st->vm_);

  // ctx's methods: C functions, then the Lua prelude adds its own.
  lua_newtable(L);  // methods
  register_ctx_functions(L);
  if (luaL_loadbuffer(L, kCtxPrelude, std::strlen(kCtxPrelude), kPreludeName) != 0)
    return Status::Internal(fmt::format("workflow prelude: {}", lua_tostring(L, -1)));
  lua_pushvalue(L, -2);
  if (lua_pcall(L, 1, 0, 0) != 0)
    return Status::Internal(fmt::format("workflow prelude: {}", lua_tostring(L, -1)));
  lua_newtable(L);  // the metatable of ctx tables
  lua_insert(L, -2);
  lua_setfield(L, -2, "__index");
  lua_pushstring(L, "ctx");
  lua_setfield(L, -2, "__metatable");
  st->ctx_meta_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);

  static const char kEntry[] =
      "local run, ctx, ev = ...\n"
      "return ctx:_finish(run(ctx, ev))\n";
  if (luaL_loadbuffer(L, kEntry, sizeof(kEntry) - 1, kPreludeName) != 0)
    return Status::Internal(fmt::format("workflow entry: {}", lua_tostring(L, -1)));
  st->entry_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);

  if (Status s = lua::load_text_chunk(L, src.source, src.path); !s.ok())
    return Status::InvalidArgument(s.message());
  const int main_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushboolean(L, 1);
  lua_setfield(L, LUA_REGISTRYINDEX, "chorus.workflows.loading");
  st->loading_ = true;
  lua::CallResult r = st->invoker_->start(main_ref, nullptr, "loading", {}, nullptr);
  st->loading_ = false;
  lua_pushboolean(L, 0);
  lua_setfield(L, LUA_REGISTRYINDEX, "chorus.workflows.loading");
  luaL_unref(L, LUA_REGISTRYINDEX, main_ref);
  if (r.kind == lua::CallResult::Kind::kFailed) return Status::InvalidArgument(r.error.message());
  if (r.kind == lua::CallResult::Kind::kWaiting)
    return Status::InvalidArgument(fmt::format("{}: the top level waited", src.path));
  return st;
}

}  // namespace chorus::workflows
