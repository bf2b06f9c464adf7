// LuaVm: the state, its counting allocator and its CPU-budget hook.
#include "lua/lua_vm.h"

#include <cstring>
#include <ctime>

#include <fmt/core.h>
#include <lua.hpp>

#include "lua/lua_log.h"

namespace chorus::lua {
namespace {

using Clock = CoarseClock;

// The chunk name of the sandbox's own Lua code (sandbox.cpp): its frames are
// never "where" a script was.
constexpr std::string_view kInternalChunk = "[chorus sandbox]";

int panic(lua_State* L) {
  const char* msg = lua_tostring(L, -1);
  lua_log().critical("unprotected error in a Lua state: {}", msg ? msg : "(not a string)");
  lua_log().flush();
  return 0;  // LuaJIT aborts the process after the panic function returns
}

}  // namespace

CoarseClock::time_point CoarseClock::now() noexcept {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return time_point(duration(static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec));
}

std::string format_bytes(uint64_t n) {
  if (n >= (1ull << 30) && n % (1ull << 30) == 0) return fmt::format("{} GiB", n >> 30);
  if (n >= (1ull << 20) && n % (1ull << 20) == 0) return fmt::format("{} MiB", n >> 20);
  if (n >= (1ull << 10) && n % (1ull << 10) == 0) return fmt::format("{} KiB", n >> 10);
  return fmt::format("{} bytes", n);
}

std::string format_duration(std::chrono::nanoseconds d) {
  const auto ms = std::chrono::duration<double, std::milli>(d).count();
  if (ms >= 1000) return fmt::format("{:g} s", ms / 1000);
  return fmt::format("{:g} ms", ms);
}

std::unique_ptr<LuaVm> LuaVm::create(const VmLimits& limits) {
  std::unique_ptr<LuaVm> vm(new LuaVm(limits));
  lua_State* L = luaL_newstate();
  if (!L) return nullptr;
  vm->L_ = L;
  lua_atpanic(L, panic);
  // Count from here on through our allocator, starting from what the fresh
  // state already holds (LuaJIT's own total, exact to the byte).
  vm->base_alloc_ = lua_getallocf(L, &vm->base_ud_);
  vm->used_ = static_cast<uint64_t>(lua_gc(L, LUA_GCCOUNT, 0)) * 1024 +
              static_cast<uint64_t>(lua_gc(L, LUA_GCCOUNTB, 0));
  vm->peak_ = vm->used_;
  lua_setallocf(L, &LuaVm::alloc, vm.get());
  vm->update_gc_threshold();
  vm->apply_jit_mode();
  if (limits.cpu.count() > 0) lua_sethook(L, &LuaVm::hook, LUA_MASKCOUNT, kHookInstructions);
  return vm;
}

void LuaVm::apply_jit_mode() {
  luaJIT_setmode(L_, 0, LUAJIT_MODE_ENGINE | (limits_.jit ? LUAJIT_MODE_ON : LUAJIT_MODE_OFF));
}

void LuaVm::open_standard_libraries() {
  luaL_openlibs(L_);
  apply_jit_mode();
}

LuaVm::~LuaVm() {
  if (L_) {
    enforcing_ = false;
    lua_close(L_);
  }
}

LuaVm& LuaVm::of(lua_State* L) noexcept {
  void* ud = nullptr;
  lua_getallocf(L, &ud);
  return *static_cast<LuaVm*>(ud);
}

void* LuaVm::alloc(void* ud, void* ptr, size_t osize, size_t nsize) {
  auto* vm = static_cast<LuaVm*>(ud);
  if (ptr == nullptr) osize = 0;
  if (nsize > osize && vm->enforcing_ && vm->limits_.memory_bytes != 0 &&
      vm->used_ + (nsize - osize) > vm->limits_.memory_bytes) {
    if (vm->stop_ == StopReason::kNone) {
      vm->stop_ = StopReason::kMemory;
      vm->stop_message_.clear();
      // Where the script is now: lua_getstack/lua_getinfo("Sl") only read
      // the frames (no allocation), and the VM saved its pc before calling
      // the allocation that led here. After the error unwinds, the line of
      // the top frame is lost, so it is taken now.
      if (vm->running_ != nullptr) (void)vm->stop_message(vm->running_);
    }
    return nullptr;
  }
  void* p = vm->base_alloc_(vm->base_ud_, ptr, osize, nsize);
  if (p != nullptr || nsize == 0) {
    vm->used_ = vm->used_ - osize + nsize;
    if (nsize > osize) vm->allocated_ += nsize - osize;
    if (vm->used_ > vm->peak_) vm->peak_ = vm->used_;
  }
  return p;
}

void LuaVm::update_gc_threshold() noexcept {
  const uint64_t limit = limits_.memory_bytes;
  if (limit == 0) {
    gc_at_ = 0;
    return;
  }
  // Collect at 3/4 of the limit. When more than that is live, halfway
  // between what is live and the limit, but never closer than limit/32 to
  // what is live (a gap that shrank toward nothing as the live heap neared
  // the limit collected after every invocation), and never past the limit:
  // there the allocation that would pass it is refused, and the memory stop
  // leads to the collection.
  const uint64_t base = limit / 4 * 3;
  if (used_ < base) {
    gc_at_ = base;
    return;
  }
  const uint64_t room = limit - std::min(used_, limit);
  gc_at_ = std::min(limit, used_ + std::max(room / 2, limit / 32));
}

void LuaVm::collect_if_needed() {
  if (gc_at_ == 0) return;
  // A full collection costs time in proportion to the live heap (~100 ms
  // at 64 MiB). Above the threshold, then only once limit/32 was allocated
  // since the last one: a state whose live data fills its limit would
  // otherwise run one for every invocation, as the host's own pushes (which
  // are not refused) keep it over the limit. After a memory stop, when that
  // much was allocated since the last collection or by the invocation that
  // stopped (its data is garbage now), not for every invocation refused at
  // a full limit.
  const uint64_t enough = limits_.memory_bytes / 32;
  const bool over = used_ > gc_at_ && allocated_ - allocated_at_collection_ >= enough;
  const bool stopped =
      stop_ == StopReason::kMemory &&
      allocated_ - std::min(allocated_at_collection_, allocated_at_clear_) >= enough;
  if (!over && !stopped) return;
  const bool was = enforcing_;
  enforcing_ = false;  // a collection only frees
  lua_gc(L_, LUA_GCCOLLECT, 0);
  ++collections_;
  allocated_at_collection_ = allocated_;
  enforcing_ = was;
  update_gc_threshold();
}

LuaVm::Slice::Slice(LuaVm& vm, std::chrono::nanoseconds remaining, lua_State* running) noexcept
    : vm_(vm) {
  vm_.enforcing_ = true;
  vm_.running_ = running != nullptr ? running : vm.L_;
  if (vm_.limits_.cpu.count() > 0) {
    start_ = Clock::now();
    vm_.deadline_ = start_ + std::max(remaining, std::chrono::nanoseconds(0));
  }
}

LuaVm::Slice::~Slice() {
  vm_.enforcing_ = false;
  vm_.running_ = nullptr;
  vm_.deadline_ = Clock::time_point::max();
}

std::chrono::nanoseconds LuaVm::Slice::elapsed() const noexcept {
  if (vm_.limits_.cpu.count() == 0) return std::chrono::nanoseconds(0);
  return Clock::now() - start_;
}

void LuaVm::clear_stop() noexcept {
  stop_ = StopReason::kNone;
  allocated_at_clear_ = allocated_;
  stop_message_.clear();
}

std::string LuaVm::where(lua_State* L, int level) {
  lua_Debug ar;
  for (int i = level; lua_getstack(L, i, &ar); ++i) {
    if (!lua_getinfo(L, "Sl", &ar)) break;
    if (ar.currentline <= 0) continue;  // a C function
    if (std::string_view(ar.short_src) == kInternalChunk) continue;
    return fmt::format("{}:{}", ar.short_src, ar.currentline);
  }
  return "?";
}

const std::string& LuaVm::stop_message(lua_State* L) {
  if (stop_message_.empty()) {
    switch (stop_) {
      case StopReason::kCpu:
        stop_message_ = fmt::format("{}: CPU limit of {} per call exceeded", where(L, 0),
                                    format_duration(limits_.cpu));
        break;
      case StopReason::kMemory:
        stop_message_ = fmt::format("{}: memory limit of {} exceeded", where(L, 0),
                                    format_bytes(limits_.memory_bytes));
        break;
      case StopReason::kNone:
        break;
    }
  }
  return stop_message_;
}

void LuaVm::raise_stop(lua_State* L) {
  const std::string& msg = stop_message(L);
  lua_pushlstring(L, msg.data(), msg.size());
  lua_error(L);
  __builtin_unreachable();
}

void LuaVm::stop(lua_State* L, StopReason why) {
  if (stop_ == StopReason::kNone) {
    stop_ = why;
    stop_message_.clear();
  }
  raise_stop(L);
}

void LuaVm::check_deadline(lua_State* L) {
  if (stop_ != StopReason::kNone && enforcing_) raise_stop(L);
  if (Clock::now() > deadline_) stop(L, StopReason::kCpu);
}

void LuaVm::hook(lua_State* L, lua_Debug*) {
  LuaVm& vm = of(L);
  if (!vm.enforcing_) return;
  if (vm.stop_ != StopReason::kNone) vm.raise_stop(L);
  if (Clock::now() > vm.deadline_) vm.stop(L, StopReason::kCpu);
  if (vm.gc_at_ != 0 && vm.used_ > vm.gc_at_) vm.collect_if_needed();
}

}  // namespace chorus::lua
