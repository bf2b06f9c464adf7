// lua_json on a plain LuaJIT state: JsonTape builds what push_json builds
// (same values, same pairs() order, fresh tables per push, same errors),
// and the ASCII shortcut of push_json keeps refusing invalid UTF-8.
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <lua.hpp>

#include "lua/lua_json.h"

using namespace chorus::lua;

namespace {

struct State {
  lua_State* L = luaL_newstate();
  ~State() { lua_close(L); }
};

// The pairs() traversal of the value on top, recursively: "key=value;..."
// with tables in braces; the value stays on the stack.
std::string walk(lua_State* L, int index) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  if (!lua_istable(L, index)) {
    if (lua_type(L, index) == LUA_TSTRING || lua_type(L, index) == LUA_TNUMBER) {
      lua_pushvalue(L, index);
      std::string s = lua_tostring(L, -1);
      lua_pop(L, 1);
      return s;
    }
    return lua_typename(L, lua_type(L, index));
  }
  std::string out = lua_getmetatable(L, index) ? "array{" : "{";
  if (out == "array{") lua_pop(L, 1);
  lua_pushnil(L);
  while (lua_next(L, index)) {
    out += walk(L, -2) + "=" + walk(L, -1) + ";";
    lua_pop(L, 1);
  }
  return out + "}";
}

const std::vector<std::string> kTexts = {
    R"({"id":"0193a1","type":"approval.granted","source":"cli","time":1764500020000000000,)"
    R"("correlation_id":"","causation_id":"","data":{"request_id":"r-1","by":"ana"}})",
    R"({"a":[1,2.5,-3,true,false,null,"x"],"b":{"c":{"d":[[],{}]}},"e":"\u00e9\n\"","f":1e300})",
    "{\"k\":\"caf\xc3\xa9\",\"z\":[{\"y\":1},{\"y\":2}],\"m\":18446744073709551615}",
    R"("just a string")",
    R"(42)",
};

}  // namespace

TEST_CASE("lua json: a JsonTape pushes what push_json pushes, in the same pairs() order") {
  State s;
  for (const std::string& text : kTexts) {
    INFO(text);
    REQUIRE(push_json(s.L, text, nullptr));
    const std::string parsed = walk(s.L, -1);
    JsonTape tape;
    std::string error;
    REQUIRE(tape.parse(text, &error));
    tape.push(s.L);
    CHECK(walk(s.L, -1) == parsed);
    tape.push(s.L);
    CHECK(walk(s.L, -1) == parsed);
    std::string a, b;
    REQUIRE(encode_json(s.L, -1, a, nullptr));
    REQUIRE(encode_json(s.L, -3, b, nullptr));
    CHECK(a == b);
    lua_settop(s.L, 0);
  }
}

TEST_CASE("lua json: each JsonTape push is a table of its own") {
  State s;
  JsonTape tape;
  REQUIRE(tape.parse(R"({"data":{"n":1}})", nullptr));
  tape.push(s.L);
  tape.push(s.L);
  CHECK_FALSE(lua_rawequal(s.L, -1, -2));
  lua_getfield(s.L, -2, "data");
  lua_pushinteger(s.L, 7);
  lua_setfield(s.L, -2, "n");  // changes the first copy only
  lua_pop(s.L, 1);
  lua_getfield(s.L, -1, "data");
  lua_getfield(s.L, -1, "n");
  CHECK(lua_tointeger(s.L, -1) == 1);
}

TEST_CASE("lua json: invalid UTF-8 and too deep nesting are refused by both, with the same error") {
  State s;
  const std::string deep =
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']');
  for (const std::string& text :
       {std::string("\"\xff\""), std::string("{\"a\":\"\xc3\"}"), std::string("{bad"), deep}) {
    INFO(text);
    std::string e1, e2;
    CHECK_FALSE(push_json(s.L, text, &e1));
    CHECK(lua_gettop(s.L) == 0);
    JsonTape tape;
    CHECK_FALSE(tape.parse(text, &e2));
    CHECK_FALSE(e1.empty());
    CHECK(e1 == e2);
  }
  // Valid non-ASCII text still decodes (the validating path).
  REQUIRE(push_json(s.L, "\"caf\xc3\xa9\"", nullptr));
  CHECK(std::string(lua_tostring(s.L, -1)) == "caf\xc3\xa9");
}
