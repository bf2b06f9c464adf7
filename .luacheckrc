-- luacheck configuration for the Lua scripts (`make lint-lua`, run by
-- `make test`). The standard below is the Chorus sandbox's allow-list
-- (docs/lua.md "Sandbox"): anything else a script reads is flagged, as it
-- would fail at run time. A script marked `trusted: true` in YAML may use
-- more: give its file the `luajit` standard with a files[...] entry.

stds.chorus_sandbox = {
  read_globals = {
    "assert", "error", "ipairs", "next", "pairs", "rawequal", "rawget", "rawset", "select",
    "setmetatable", "getmetatable", "tonumber", "tostring", "type", "unpack", "pcall", "xpcall",
    "_VERSION", "load", "require", "print", "bit",
    string = {fields = {"byte", "char", "find", "format", "gmatch", "gsub", "len", "lower", "match",
                        "rep", "reverse", "sub", "upper"}},
    table = {fields = {"concat", "insert", "maxn", "remove", "sort"}},
    math = {fields = {"abs", "acos", "asin", "atan", "atan2", "ceil", "cos", "cosh", "deg", "exp",
                      "floor", "fmod", "frexp", "huge", "ldexp", "log", "log10", "max", "min",
                      "modf", "pi", "pow", "rad", "random", "randomseed", "sin", "sinh", "sqrt",
                      "tan", "tanh"}},
    os = {fields = {"time", "clock", "date", "difftime"}},
    coroutine = {fields = {"create", "resume", "running", "status", "wrap", "yield",
                           "isyieldable"}},
    chorus = {fields = {
      name = {}, config = {other_fields = true},
      on = {}, after = {}, every = {}, cancel = {}, sleep = {}, now = {}, uuid = {},
      publish = {}, request = {}, reply = {}, workflow = {},
      log = {fields = {"debug", "info", "warn", "error"}},
      json = {fields = {"encode", "decode", "null", "array"}},
      store = {fields = {"append", "read", "snapshot", "load_snapshot"}},
      registry = {fields = {"discover", "select", "request", "register"}},
    }},
  },
  globals = {"_G"},
}

std = "chorus_sandbox"
max_line_length = 100

-- Functions that YAML names (handlers and filters) are the script's globals.
files["scripts/high_value.lua"] = {globals = {"high_value", "log_high_value"}}

-- `chorus test` files run in a plain LuaJIT state with `test(name, fn)`.
files["scripts/*_test.lua"] = {std = "luajit", read_globals = {"test"}}

-- The lua-language-server annotations are declarations, not a script.
exclude_files = {"scripts/types/*"}
