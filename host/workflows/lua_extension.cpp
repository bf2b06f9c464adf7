// chorus.workflow in script states: check, then register in the Catalog.
#include "workflows/lua_extension.h"

#include <lua.hpp>

#include "workflows/definition_table.h"

namespace chorus::workflows {
namespace {

// What the installed function needs after the extension call: a copy of
// the script's context (a userdata upvalue, freed with the state).
struct Bound {
  std::shared_ptr<Catalog> catalog;
  Definition base;  // script, path, source, hash, folder, config
  bool live = false;
};

int bound_gc(lua_State* L) {
  static_cast<Bound*>(lua_touserdata(L, 1))->~Bound();
  return 0;
}

int workflow_fn(lua_State* L) {
  auto* b = static_cast<Bound*>(lua_touserdata(L, lua_upvalueindex(1)));
  DefinitionFields f;
  read_definition_table(L, 1, f);
  if (!b->live || !b->catalog) return 0;
  Definition d = b->base;
  d.name = f.name;
  d.patterns = f.patterns;
  d.at = caller_location(L);
  Status s = b->catalog->define(std::move(d));
  if (!s.ok()) luaL_error(L, "%s", s.message().c_str());
  return 0;
}

}  // namespace

lua::ModuleExtension make_lua_extension(std::shared_ptr<Catalog> catalog) {
  return [catalog](lua_State* L, int table, const lua::ExtensionContext& c) {
    void* mem = lua_newuserdata(L, sizeof(Bound));
    auto* b = new (mem) Bound();
    b->catalog = catalog;
    b->live = c.live;
    if (c.live) {
      b->base.script = std::string(c.script);
      b->base.path = std::string(c.path);
      b->base.source = std::string(c.source);
      b->base.hash = std::string(c.hash);
      b->base.folder = std::string(c.folder);
      b->base.folder_real = std::string(c.folder_real);
      b->base.config_json = std::string(c.config_json);
      b->base.trust = c.trust;
    }
    lua_newtable(L);
    lua_pushcfunction(L, bound_gc);
    lua_setfield(L, -2, "__gc");
    lua_setmetatable(L, -2);
    lua_pushcclosure(L, workflow_fn, 1);
    lua_setfield(L, table, "workflow");
  };
}

}  // namespace chorus::workflows
