// Budgeted string functions for sandboxed scripts.
//
// A count hook cannot interrupt one long C call, and Lua's pattern matching
// backtracks: string.find(("a"):rep(30), ("a*"):rep(20) .. "b") runs for
// hours inside one call. The sandbox therefore replaces string.find, match,
// gmatch and gsub with a matcher of its own (the Lua 5.1 pattern language,
// LuaJIT's behaviour and error messages) that counts its steps (every
// match attempt, every character a repetition or %b scans) and checks the
// script's CPU deadline every kPatternCheckSteps steps, raising the usual
// CPU-limit error at script:line. A plain find (no special characters, or
// the `plain` flag) stays a linear memmem.
//
// string.rep checks the size of its result against the memory limit before
// building it (the allocator would refuse it anyway; this names the call).
// Every other string function costs at most linear time in its input, which
// the memory limit bounds.
#pragma once

struct lua_State;

namespace chorus::lua {

inline constexpr unsigned kPatternCheckSteps = 1024;

// Replaces find, match, gmatch, gsub and rep in the table at `string_table`
// (the sandbox's copy of the string library). REQUIRES: the state belongs
// to a LuaVm.
void install_budgeted_string_functions(lua_State* L, int string_table);

}  // namespace chorus::lua
