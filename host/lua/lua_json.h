// JSON <-> Lua values for scripts (chorus.json, event data, publish data,
// config blocks, snapshots). docs/lua.md "chorus.json" states the mapping:
//
//   JSON object  <-> table with string keys (number keys are written as strings)
//   JSON array   <-> table with keys 1..n; decoded arrays carry the
//                    chorus.json array metatable so that an empty one stays
//                    `[]` when encoded again (chorus.json.array(t) marks one)
//   JSON null    <-> chorus.json.null (a light userdata NULL)
//   numbers      <-> numbers (integers up to 2^53 are written without a fraction)
//
// Encoding refuses NaN and infinities, functions, threads, userdata other
// than chorus.json.null, invalid UTF-8, nesting deeper than kMaxJsonDepth
// (a table that contains itself) and tables mixing key kinds, with a message
// naming the path (".items[2].price").
//
// Both directions run inside script code (protected calls), so LuaJIT
// errors (the memory limit) unwind through them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct lua_State;

namespace chorus::lua {

inline constexpr int kMaxJsonDepth = 128;

// Pushes the decoded value of `text`; on malformed JSON pushes nothing,
// sets `error` ("invalid JSON at offset 12: ...") and returns false.
bool push_json(lua_State* L, std::string_view text, std::string* error);

// A JSON text parsed once and pushed many times: each push() builds the
// value exactly as push_json(text) would (the same tables, filled in the
// same order, so that even pairs() visits them in the same order), without
// parsing the text again. For a text handed to many coroutines (the
// workflow engine offers one awaited event to every instance waiting on it).
// Not thread-safe; holds no Lua state (pushes into any).
class JsonTape {
 public:
  // Parses `text` (replacing what the tape held). On malformed JSON sets
  // `error` as push_json does, leaves the tape empty and returns false.
  bool parse(std::string_view text, std::string* error);
  // Pushes the parsed value. REQUIRES: parse() succeeded.
  void push(lua_State* L) const;

  enum class Op : uint8_t {
    kNull,
    kFalse,
    kTrue,
    kNumber,
    kString,
    kKey,
    kObject,
    kEndObject,
    kArray,
    kEndArray
  };
  struct Step {
    Op op;
    double number;          // kNumber
    uint32_t offset, size;  // kString, kKey: bytes in strings_
  };

 private:
  std::vector<Step> steps_;
  std::string strings_;
};

// Encodes the value at `index`; on failure sets `error` and returns false.
bool encode_json(lua_State* L, int index, std::string& out, std::string* error);

// Pushes the chorus.json table (encode, decode, null, array).
void push_json_module(lua_State* L);

}  // namespace chorus::lua
