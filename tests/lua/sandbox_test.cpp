// The sandbox: every escape the issue lists fails with a clear error naming
// the script line, scripts cannot reach each other's globals, require stays
// inside the scripts folder, and a trusted script gets the full library.
#include <filesystem>

#include <catch2/catch.hpp>

#include "lua_test_util.h"

using namespace chorus;
using namespace chorus::test;

namespace {

// Runs `body` (Lua statements that may fail) at the top level of a script
// and returns the error text (or "ok").
std::string attempt(const std::string& body, const std::string& extra_files = "") {
  ScriptFixture f;
  if (!extra_files.empty()) f.write("lib/helper.lua", extra_files);
  f.write("probe.lua",
          "local ok, err = pcall(function()\n" + body +
              "\nend)\nchorus.publish('result', {err = ok and 'ok' or tostring(err)})\n");
  Recorder& r = f.record("result");
  f.start({ScriptFixture::spec("probe")});
  if (!r.wait_count(1)) return "(no result)";
  return str(data_of(r.entries()[0].event)["err"]);
}

}  // namespace

TEST_CASE("sandbox: io, os.execute, debug, ffi, jit are out of reach with a clear error") {
  CHECK_THAT(attempt("io.open('/etc/passwd')"),
             Catch::Contains("probe.lua:2: io is not available in the Chorus sandbox (mark the "
                             "script `trusted: true` in YAML for the full standard library)"));
  CHECK_THAT(attempt("os.execute('true')"),
             Catch::Contains("probe.lua:2: os.execute is not available in the Chorus sandbox"));
  CHECK_THAT(attempt("os.getenv('HOME')"),
             Catch::Contains("probe.lua:2: os.getenv is not available"));
  CHECK_THAT(attempt("debug.sethook(function() end, 'l')"),
             Catch::Contains("probe.lua:2: debug is not available in the Chorus sandbox"));
  CHECK_THAT(attempt("local ffi = require('ffi')"),
             Catch::Contains("probe.lua:2: require: 'ffi' is not available in the Chorus sandbox"));
  CHECK_THAT(attempt("jit.on()"), Catch::Contains("probe.lua:2: jit is not available"));
  CHECK_THAT(attempt("package.loadlib('x', 'y')"),
             Catch::Contains("probe.lua:2: package is not available"));
  CHECK_THAT(attempt("dofile('/etc/passwd')"),
             Catch::Contains("probe.lua:2: dofile is not available in the Chorus sandbox (use "
                             "require for modules in the scripts folder)"));
  CHECK_THAT(attempt("loadfile('/etc/passwd')"), Catch::Contains("loadfile is not available"));
  CHECK_THAT(attempt("collectgarbage()"), Catch::Contains("collectgarbage is not available"));
  // What is allowed of os.
  CHECK(attempt("assert(os.time() > 0 and os.clock() >= 0 and os.date('!%Y') ~= nil)") == "ok");
}

TEST_CASE("sandbox: no bytecode: string.dump is gone, binary chunks are refused") {
  CHECK_THAT(attempt("string.dump(function() end)"),
             Catch::Contains("probe.lua:2: string.dump is not available in the Chorus sandbox "
                             "(bytecode is not allowed)"));
  // Through the string metatable too.
  CHECK_THAT(attempt("('').dump(function() end)"), Catch::Contains("string.dump is not available"));
  CHECK(attempt("assert(getmetatable('') == false)") == "ok");
  // Hand-made LuaJIT bytecode header.
  CHECK_THAT(
      attempt("local f, e = load('\\27LJ\\2\\8\\0\\0') assert(f, e)"),
      Catch::Contains("load: binary (bytecode) chunks are not allowed in the Chorus sandbox"));
  CHECK_THAT(attempt("local f, e = load('return 1', 'x', 'b') assert(f, e)"),
             Catch::Contains("binary (bytecode) chunks are not allowed"));
  CHECK(attempt("local f = assert(load('return 1 + 1')) assert(f() == 2)") == "ok");
  // A loaded chunk runs in the script's environment, so it is sandboxed too.
  CHECK_THAT(attempt("assert(load('return io.open'))()"), Catch::Contains("io is not available"));
  // And cannot pose as a file: its name keeps the '@' visible.
  CHECK_THAT(attempt("assert(load('error(\"x\")', '@/etc/passwd'))()"),
             Catch::Contains("@/etc/passwd:1: x"));
}

TEST_CASE("sandbox: getfenv/setfenv games and the real global table are out of reach") {
  CHECK_THAT(attempt("local g = getfenv(0)"),
             Catch::Contains("probe.lua:2: getfenv is not available"));
  CHECK_THAT(attempt("setfenv(1, {})"), Catch::Contains("probe.lua:2: setfenv is not available"));
  CHECK_THAT(attempt("local p = newproxy(true)"), Catch::Contains("newproxy is not available"));
  CHECK_THAT(attempt("module('x')"), Catch::Contains("module is not available"));
  // _G is the script's own environment, and its metatable is protected.
  CHECK(attempt("assert(_G.chorus == chorus and rawget(_G, 'io') == nil)") == "ok");
  CHECK_THAT(attempt("setmetatable(_G, nil)"),
             Catch::Contains("cannot change a protected metatable"));
  // An event's metatable (with its __gc) is hidden.
  CHECK(attempt("assert(getmetatable(chorus.json.null) == nil)") == "ok");
  // Coroutines do not lead anywhere either.
  CHECK_THAT(attempt("coroutine.wrap(function() return io.open end)()"),
             Catch::Contains("io is not available"));
}

TEST_CASE("sandbox: require resolves only inside the scripts folder") {
  CHECK(attempt("local h = require('lib.helper') assert(h.twice(21) == 42)",
                "return {twice = function(x) return 2 * x end}") == "ok");
  CHECK_THAT(attempt("require('../../etc/passwd')"),
             Catch::Contains("probe.lua:2: require: '../../etc/passwd' is not a module name"));
  CHECK_THAT(attempt("require('/etc/passwd')"), Catch::Contains("is not a module name"));
  CHECK_THAT(attempt("require('lib.missing')"),
             Catch::Contains("require: module 'lib.missing' not found (no file"));
  // A link inside the folder to a file outside it.
  ScriptFixture f;
  f.write("probe.lua", R"(
local ok, err = pcall(function() require("escape") end)
chorus.publish("result", {err = tostring(err)})
)");
  std::filesystem::create_symlink("/etc/hostname", f.folder() + "/escape.lua");
  Recorder& r = f.record("result");
  f.start({ScriptFixture::spec("probe")});
  REQUIRE(r.wait_count(1));
  CHECK_THAT(str(data_of(r.entries()[0].event)["err"]),
             Catch::Contains("require: module 'escape' resolves outside the scripts folder"));
}

TEST_CASE("sandbox: a require loop and a module error are named") {
  CHECK_THAT(attempt("require('lib.helper')", "require('lib.helper') return {}"),
             Catch::Contains("require: module 'lib.helper' requires itself (a loop)"));
  CHECK_THAT(attempt("require('lib.helper')", "local x = nil\nreturn x.y"),
             Catch::Contains("lib/helper.lua:2: attempt to index local 'x' (a nil value)"));
}

TEST_CASE("sandbox: a script cannot reach another script's globals") {
  ScriptFixture f;
  f.write("a.lua", R"(
secret = 42
_G.shared = "from a"
string.leak = "a's string"
chorus.on("ask", function() chorus.publish("a.sees", {secret = secret}) end)
)");
  f.write("b.lua", R"(
chorus.on("ask", function()
  chorus.publish("b.sees", {secret = tostring(rawget(_G, "secret")), shared = tostring(shared),
                            leak = tostring(string.leak)})
end)
)");
  Recorder& a = f.record("a.sees");
  Recorder& b = f.record("b.sees");
  f.start({ScriptFixture::spec("a"), ScriptFixture::spec("b")});
  f.publish("ask");
  REQUIRE(a.wait_count(1));
  REQUIRE(b.wait_count(1));
  CHECK(data_of(a.entries()[0].event)["secret"].GetInt() == 42);
  auto d = data_of(b.entries()[0].event);
  CHECK(str(d["secret"]) == "nil");
  CHECK(str(d["shared"]) == "nil");
  CHECK(str(d["leak"]) == "nil");
}

TEST_CASE("sandbox: a trusted script gets the full standard library and the JIT") {
  ScriptFixture f;
  f.write("t.lua", R"(
local ffi = require("ffi")
chorus.publish("result", {io = io ~= nil, jit = jit.status(), ffi = ffi ~= nil,
                          dump = string.dump ~= nil, debug = debug ~= nil})
)");
  Recorder& r = f.record("result");
  auto spec = ScriptFixture::spec("t");
  spec.trust = lua::Trust::kTrusted;
  f.start({spec});
  REQUIRE(r.wait_count(1));
  auto d = data_of(r.entries()[0].event);
  CHECK(d["io"].GetBool());
  CHECK(d["jit"].GetBool());
  CHECK(d["ffi"].GetBool());
  CHECK(d["dump"].GetBool());
  CHECK(d["debug"].GetBool());
}
