// LuaVm: one LuaJIT state together with the two limits an untrusted script
// runs under, both enforced by the state itself (docs/lua.md "Limits"):
//
//  - Memory: a counting allocator installed with lua_setallocf over LuaJIT's
//    own allocator (Debian's LuaJIT 2.1 is a GC64 build, so a custom
//    allocator is allowed; see docs/lua.md for how that was established).
//    Every byte the state holds goes through it; while script code runs
//    (inside a Slice) an allocation that would pass the limit is refused and
//    LuaJIT raises "not enough memory", which the caller reports as a
//    memory-limit error at script:line. Outside a Slice the host's own
//    pushes are never refused. Near the limit a full GC runs first (LuaJIT
//    has no emergency collection of its own).
//  - CPU: a count hook every kHookInstructions VM instructions compares the
//    steady clock with the slice's deadline and raises a CPU-limit error
//    naming script:line. Compiled traces ignore hooks, so a budgeted VM runs
//    with the JIT off. Once stopped, the hook raises the error again at every
//    later check, and the sandbox's pcall/xpcall/coroutine wrappers re-raise
//    it (stop_reason()), so a script cannot catch its way past a limit.
//
// Threading: a LuaVm and its lua_State are used by one thread at a time (the
// script's executor); nothing here locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

struct lua_State;
struct lua_Debug;

namespace chorus::lua {

// VM instructions between two checks of the CPU budget.
inline constexpr int kHookInstructions = 1000;

// The CPU limit's clock: CLOCK_MONOTONIC_COARSE, the kernel's tick (4 ms
// here) read in a few nanoseconds, where the precise clock costs 20-50 ns
// on this VM (measured: 9.6 vs 45.8 ns). Limits are tens of milliseconds,
// so a tick of error does not matter, and calls that are far from their
// limit (a filter) do not pay for precision.
struct CoarseClock {
  using rep = int64_t;
  using period = std::nano;
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<CoarseClock>;
  static constexpr bool is_steady = true;
  static time_point now() noexcept;
};

struct VmLimits {
  uint64_t memory_bytes = 0;        // 0: unlimited
  std::chrono::nanoseconds cpu{0};  // per invocation; 0: no budget (no hook)
  bool jit = true;                  // REQUIRES: false when cpu > 0
};

enum class StopReason : uint8_t { kNone, kCpu, kMemory };

class LuaVm {
 public:
  // A fresh state with no libraries opened, or nullptr when LuaJIT could not
  // create one (out of memory).
  static std::unique_ptr<LuaVm> create(const VmLimits& limits);

  // luaL_openlibs, then the JIT mode of the limits. (Opening the jit
  // library turns the compiler on, so the mode is applied after it.)
  void open_standard_libraries();
  ~LuaVm();  // lua_close
  LuaVm(const LuaVm&) = delete;
  LuaVm& operator=(const LuaVm&) = delete;

  lua_State* state() const noexcept { return L_; }
  // The VM that owns `L` (any thread of the state). REQUIRES: L was made by
  // a LuaVm.
  static LuaVm& of(lua_State* L) noexcept;

  const VmLimits& limits() const noexcept { return limits_; }
  uint64_t memory_used() const noexcept { return used_; }
  uint64_t memory_peak() const noexcept { return peak_; }

  // One stretch of script execution (a resume or a protected call): enforces
  // the memory limit and arms the CPU deadline `remaining` from now. Without
  // a CPU limit it reads no clock (elapsed() is then 0).
  class Slice {
   public:
    // `running`: the thread that will run (memory errors are placed in it).
    Slice(LuaVm& vm, std::chrono::nanoseconds remaining, lua_State* running = nullptr) noexcept;
    ~Slice();
    Slice(const Slice&) = delete;
    Slice& operator=(const Slice&) = delete;
    std::chrono::nanoseconds elapsed() const noexcept;

   private:
    LuaVm& vm_;
    CoarseClock::time_point start_{};
  };

  // Starts a new invocation: forgets a previous stop (and what the last
  // invocation allocated).
  void clear_stop() noexcept;
  StopReason stop_reason() const noexcept { return stop_; }
  // The stop error's text, "scripts/x.lua:12: CPU limit of 100 ms per call
  // exceeded"; computed where the stop happened (level 0 of `L`) if not yet.
  const std::string& stop_message(lua_State* L);
  // Raises the stop error in `L` (for wrappers that caught it).
  // REQUIRES: stop_reason() != kNone.
  [[noreturn]] void raise_stop(lua_State* L);
  // For long-running C functions (the sandbox's pattern matcher): raises the
  // CPU-limit error in `L` when the deadline has passed.
  void check_deadline(lua_State* L);

  // A full collection when the heap is above the collection threshold, or
  // after a memory stop (between invocations). The threshold is 3/4 of the
  // memory limit, and above that never closer than limit/32 to what was live
  // after the last collection; after a memory stop it runs only when limit/32
  // was allocated since the last one or since clear_stop(). So a state whose
  // live heap nears or fills its limit collects once per limit/32 bytes
  // allocated, not after every invocation.
  void collect_if_needed();
  // Full collections collect_if_needed ran so far.
  uint64_t collections() const noexcept { return collections_; }

  // "scripts/x.lua:12" for the Lua function at `level` of `L` (0: running),
  // skipping C frames; "?" when there is none.
  static std::string where(lua_State* L, int level);

  // What the state is used for (a ScriptVersion); set by its owner.
  void* owner = nullptr;

 private:
  explicit LuaVm(const VmLimits& limits) : limits_(limits) {}
  static void* alloc(void* ud, void* ptr, size_t osize, size_t nsize);
  void apply_jit_mode();
  static void hook(lua_State* L, lua_Debug* ar);
  [[noreturn]] void stop(lua_State* L, StopReason why);
  void update_gc_threshold() noexcept;

  VmLimits limits_;
  lua_State* L_ = nullptr;
  void* (*base_alloc_)(void*, void*, size_t, size_t) = nullptr;
  void* base_ud_ = nullptr;
  uint64_t used_ = 0, peak_ = 0;
  uint64_t gc_at_ = 0;  // full GC above this (0: never)
  uint64_t collections_ = 0;
  // Bytes allocated since the state was made (growth only), and what that
  // was at the last full collection and at the last clear_stop().
  uint64_t allocated_ = 0, allocated_at_collection_ = 0, allocated_at_clear_ = 0;
  bool enforcing_ = false;        // inside a Slice
  lua_State* running_ = nullptr;  // the slice's thread
  CoarseClock::time_point deadline_ = CoarseClock::time_point::max();
  StopReason stop_ = StopReason::kNone;
  std::string stop_message_;
};

// "64 MiB", "512 KiB", "100 bytes": sizes in limit messages.
std::string format_bytes(uint64_t n);
// "100 ms", "1.5 s": durations in limit messages.
std::string format_duration(std::chrono::nanoseconds d);

}  // namespace chorus::lua
