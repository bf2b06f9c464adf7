// LuaVm on its own: the counting allocator matches LuaJIT's own count, the
// limit refuses growth only inside a slice, the JIT mode, the hook.
#include <cstring>

#include <catch2/catch.hpp>
#include <lua.hpp>

#include "lua/lua_vm.h"

using namespace chorus::lua;
using namespace std::chrono_literals;

namespace {

uint64_t gc_bytes(lua_State* L) {
  return static_cast<uint64_t>(lua_gc(L, LUA_GCCOUNT, 0)) * 1024 +
         static_cast<uint64_t>(lua_gc(L, LUA_GCCOUNTB, 0));
}

int run(LuaVm& vm, const char* code) {
  lua_State* L = vm.state();
  if (luaL_loadstring(L, code) != 0) return -1;
  LuaVm::Slice slice(vm, 1s);
  return lua_pcall(L, 0, 1, 0);
}

}  // namespace

TEST_CASE("LuaVm: the counting allocator agrees with LuaJIT's own count") {
  auto vm = LuaVm::create({});
  REQUIRE(vm);
  vm->open_standard_libraries();
  REQUIRE(run(*vm, "local t = {} for i = 1, 10000 do t[i] = {i} end return #t") == 0);
  CHECK(vm->memory_used() == gc_bytes(vm->state()));
  lua_settop(vm->state(), 0);
  lua_gc(vm->state(), LUA_GCCOLLECT, 0);
  CHECK(vm->memory_used() == gc_bytes(vm->state()));
  CHECK(vm->memory_peak() >= vm->memory_used());
}

TEST_CASE("LuaVm: the memory limit refuses growth inside a slice only") {
  VmLimits limits;
  limits.memory_bytes = 4u << 20;
  auto vm = LuaVm::create(limits);
  REQUIRE(vm);
  vm->open_standard_libraries();
  CHECK(run(*vm, "local t = {} for i = 1, 1e8 do t[i] = i end") == LUA_ERRMEM);
  CHECK(vm->stop_reason() == StopReason::kMemory);
  CHECK(vm->memory_used() <= limits.memory_bytes);
  vm->clear_stop();
  lua_settop(vm->state(), 0);
  // Outside a slice the host's own pushes are never refused.
  lua_State* L = vm->state();
  lua_createtable(L, 1 << 20, 0);
  CHECK(vm->memory_used() > limits.memory_bytes);
  lua_pop(L, 1);
  lua_gc(L, LUA_GCCOLLECT, 0);
  CHECK(run(*vm, "return 1 + 1") == 0);
}

TEST_CASE("LuaVm: a budgeted state runs with the JIT off, a trusted one with it on") {
  VmLimits budgeted;
  budgeted.cpu = 50ms;
  budgeted.jit = false;
  auto off = LuaVm::create(budgeted);
  auto on = LuaVm::create({});
  REQUIRE(off);
  REQUIRE(on);
  off->open_standard_libraries();
  on->open_standard_libraries();
  REQUIRE(run(*off, "return (jit.status())") == 0);
  CHECK_FALSE(lua_toboolean(off->state(), -1));
  REQUIRE(run(*on, "return (jit.status())") == 0);
  CHECK(lua_toboolean(on->state(), -1));
}

TEST_CASE("LuaVm: the count hook stops a loop at the deadline and names the line") {
  VmLimits limits;
  limits.cpu = 20ms;
  limits.jit = false;
  auto vm = LuaVm::create(limits);
  REQUIRE(vm);
  vm->open_standard_libraries();
  lua_State* L = vm->state();
  const char* code = "local x = 0\nwhile true do x = x + 1 end";
  REQUIRE(luaL_loadbuffer(L, code, std::strlen(code), "@spin.lua") == 0);
  int status;
  {
    LuaVm::Slice slice(*vm, limits.cpu);
    status = lua_pcall(L, 0, 0, 0);
  }
  CHECK(status == LUA_ERRRUN);
  CHECK(vm->stop_reason() == StopReason::kCpu);
  CHECK(std::string(lua_tostring(L, -1)) == "spin.lua:2: CPU limit of 20 ms per call exceeded");
}
