// JSON <-> Lua with RapidJSON: a SAX handler that builds tables on the Lua
// stack, and a recursive encoder that writes through RapidJSON's Writer.
#include "lua/lua_json.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include <fmt/core.h>
#include <lua.hpp>
#include <rapidjson/encodedstream.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace chorus::lua {
namespace {

// Registry key of the metatable that marks a table as a JSON array.
const char kArrayMetatableKey = 0;

// Largest integer a double holds exactly: written without a fraction below it.
constexpr double kExactIntegers = 9007199254740992.0;  // 2^53

void push_array_metatable(lua_State* L) {
  lua_pushlightuserdata(L, const_cast<char*>(&kArrayMetatableKey));
  lua_rawget(L, LUA_REGISTRYINDEX);
  if (!lua_isnil(L, -1)) return;
  lua_pop(L, 1);
  lua_createtable(L, 0, 1);
  lua_pushliteral(L, "array");
  lua_setfield(L, -2, "__jsontype");
  lua_pushlightuserdata(L, const_cast<char*>(&kArrayMetatableKey));
  lua_pushvalue(L, -2);
  lua_rawset(L, LUA_REGISTRYINDEX);
}

// Whether every byte of `s` is below 0x80 (eight at a time).
bool is_ascii(std::string_view s) {
  uint64_t seen = 0;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    seen |= w;
  }
  for (; i < s.size(); ++i)
    seen |= static_cast<unsigned char>(s[i]);
  return (seen & 0x8080808080808080ULL) == 0;
}

bool has_array_metatable(lua_State* L, int index) {
  if (!lua_getmetatable(L, index)) return false;
  push_array_metatable(L);
  const bool same = lua_rawequal(L, -1, -2);
  lua_pop(L, 2);
  return same;
}

// Builds the decoded value on the Lua stack, one table per open container.
class LuaBuilder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, LuaBuilder> {
 public:
  explicit LuaBuilder(lua_State* L) : L_(L) {}
  bool too_deep = false;

  bool Null() {
    lua_pushlightuserdata(L_, nullptr);
    return add();
  }
  bool Bool(bool b) {
    lua_pushboolean(L_, b);
    return add();
  }
  bool Int(int i) { return number(i); }
  bool Uint(unsigned u) { return number(u); }
  bool Int64(int64_t i) { return number(static_cast<double>(i)); }
  bool Uint64(uint64_t u) { return number(static_cast<double>(u)); }
  bool Double(double d) { return number(d); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    lua_pushlstring(L_, s, n);
    return add();
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    lua_pushlstring(L_, s, n);
    return true;
  }
  bool StartObject() { return open(false); }
  bool EndObject(rapidjson::SizeType) { return close(); }
  bool StartArray() { return open(true); }
  bool EndArray(rapidjson::SizeType) { return close(); }

 private:
  struct Level {
    bool array;
    int next;  // next array index
  };
  bool number(double d) {
    lua_pushnumber(L_, d);
    return add();
  }
  bool open(bool array) {
    if (levels_.size() >= static_cast<size_t>(kMaxJsonDepth)) {
      too_deep = true;
      return false;
    }
    luaL_checkstack(L_, 4, "JSON nesting");
    lua_newtable(L_);
    if (array) {
      push_array_metatable(L_);
      lua_setmetatable(L_, -2);
    }
    levels_.push_back({array, 1});
    return true;
  }
  bool close() {
    levels_.pop_back();
    return add();
  }
  // Stores the value on top into the container below it (the top-level
  // value stays on the stack).
  bool add() {
    if (levels_.empty()) return true;
    Level& l = levels_.back();
    if (l.array) {
      lua_rawseti(L_, -2, l.next++);
    } else {
      lua_rawset(L_, -3);
    }
    return true;
  }

  lua_State* L_;
  std::vector<Level> levels_;
};

// Records the SAX events of a parse (JsonTape), with LuaBuilder's depth limit.
class TapeRecorder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, TapeRecorder> {
 public:
  using Op = JsonTape::Op;
  using Step = JsonTape::Step;
  TapeRecorder(std::vector<Step>& steps, std::string& strings) : steps_(steps), strings_(strings) {}
  bool too_deep = false;

  bool Null() { return op(Op::kNull); }
  bool Bool(bool b) { return op(b ? Op::kTrue : Op::kFalse); }
  // The doubles LuaBuilder makes of each kind of number.
  bool Int(int i) { return number(i); }
  bool Uint(unsigned u) { return number(u); }
  bool Int64(int64_t i) { return number(static_cast<double>(i)); }
  bool Uint64(uint64_t u) { return number(static_cast<double>(u)); }
  bool Double(double d) { return number(d); }
  bool String(const char* s, rapidjson::SizeType n, bool) { return text(Op::kString, s, n); }
  bool Key(const char* s, rapidjson::SizeType n, bool) { return text(Op::kKey, s, n); }
  bool StartObject() { return open(Op::kObject); }
  bool EndObject(rapidjson::SizeType) { return close(Op::kEndObject); }
  bool StartArray() { return open(Op::kArray); }
  bool EndArray(rapidjson::SizeType) { return close(Op::kEndArray); }

 private:
  bool op(Op o) {
    steps_.push_back({o, 0, 0, 0});
    return true;
  }
  bool number(double d) {
    steps_.push_back({Op::kNumber, d, 0, 0});
    return true;
  }
  bool text(Op o, const char* s, rapidjson::SizeType n) {
    steps_.push_back({o, 0, static_cast<uint32_t>(strings_.size()), n});
    strings_.append(s, n);
    return true;
  }
  bool open(Op o) {
    if (depth_ >= kMaxJsonDepth) {
      too_deep = true;
      return false;
    }
    ++depth_;
    return op(o);
  }
  bool close(Op o) {
    --depth_;
    return op(o);
  }

  std::vector<Step>& steps_;
  std::string& strings_;
  int depth_ = 0;
};

// Runs `handler` over `text` with push_json's flags; "" or push_json's error.
template <typename Handler>
bool parse_json(std::string_view text, Handler& handler, std::string* error) {
  rapidjson::MemoryStream ms(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
  rapidjson::Reader reader;
  constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseFullPrecisionFlag;
  // ASCII text is valid UTF-8: RapidJSON's per-character validation (a
  // third of the parse of an event table, which workflows do per trigger and
  // per awaited event) only runs when some byte is not ASCII.
  const rapidjson::ParseResult r =
      is_ascii(text) ? reader.Parse<kFlags>(in, handler)
                     : reader.Parse<kFlags | rapidjson::kParseValidateEncodingFlag>(in, handler);
  if (r) return true;
  if (error) {
    *error = handler.too_deep
                 ? fmt::format("arrays and objects nested deeper than {}", kMaxJsonDepth)
                 : fmt::format("invalid JSON at offset {}: {}", r.Offset(),
                               rapidjson::GetParseError_En(r.Code()));
  }
  return false;
}

using JsonWriter =
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

class Encoder {
 public:
  Encoder(lua_State* L, JsonWriter& w) : L_(L), w_(w) {}
  std::string error;

  bool value(int index, int depth) {
    switch (lua_type(L_, index)) {
      case LUA_TNIL:
        return w_.Null();
      case LUA_TBOOLEAN:
        return w_.Bool(lua_toboolean(L_, index) != 0);
      case LUA_TNUMBER:
        return number(lua_tonumber(L_, index));
      case LUA_TSTRING: {
        size_t n = 0;
        const char* s = lua_tolstring(L_, index, &n);
        if (!w_.String(s, static_cast<rapidjson::SizeType>(n)))
          return fail("invalid UTF-8 in a string");
        return true;
      }
      case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L_, index) == nullptr) return w_.Null();
        return fail("cannot encode a light userdata");
      case LUA_TTABLE:
        return table(index, depth);
      default:
        return fail(fmt::format("cannot encode a {}", lua_typename(L_, lua_type(L_, index))));
    }
  }

 private:
  bool fail(std::string what) {
    if (error.empty()) error = path_.empty() ? what : fmt::format("{} (at {})", what, path_);
    return false;
  }

  bool number(double d) {
    if (!std::isfinite(d))
      return fail(std::isnan(d) ? "cannot encode NaN" : "cannot encode an infinity");
    if (d == std::floor(d) && std::fabs(d) < kExactIntegers)
      return w_.Int64(static_cast<int64_t>(d));
    return w_.Double(d);
  }

  bool table(int index, int depth) {
    if (depth >= kMaxJsonDepth)
      return fail(fmt::format("tables nested deeper than {} (does a table contain itself?)",
                              kMaxJsonDepth));
    if (index < 0) index = lua_gettop(L_) + index + 1;
    luaL_checkstack(L_, 4, "JSON encoding");
    // What kind of table: a sequence 1..n (array), or keys (object).
    size_t count = 0;
    bool all_positive_ints = true, any_string = false;
    double max_int = 0;
    lua_pushnil(L_);
    while (lua_next(L_, index) != 0) {
      lua_pop(L_, 1);
      ++count;
      if (lua_type(L_, -1) == LUA_TNUMBER) {
        const double k = lua_tonumber(L_, -1);
        if (k >= 1 && k == std::floor(k) && k < kExactIntegers) {
          max_int = std::max(max_int, k);
        } else {
          all_positive_ints = false;
        }
      } else if (lua_type(L_, -1) == LUA_TSTRING) {
        any_string = true;
        all_positive_ints = false;
      } else {
        const std::string kind = lua_typename(L_, lua_type(L_, -1));
        lua_pop(L_, 1);
        return fail(fmt::format("cannot encode a table with a {} key", kind));
      }
    }
    const bool marked_array = has_array_metatable(L_, index);
    if (marked_array || (count > 0 && all_positive_ints && max_int == static_cast<double>(count))) {
      if (any_string) return fail("an array (chorus.json.array) with string keys");
      return array(index, depth, static_cast<int>(lua_objlen(L_, index)));
    }
    return object(index, depth);
  }

  bool array(int index, int depth, int n) {
    if (!w_.StartArray()) return false;
    const size_t mark = path_.size();
    for (int i = 1; i <= n; ++i) {
      path_ += fmt::format("[{}]", i);
      lua_rawgeti(L_, index, i);
      const bool ok = value(-1, depth + 1);
      lua_pop(L_, 1);
      path_.resize(mark);
      if (!ok) return false;
    }
    return w_.EndArray();
  }

  bool object(int index, int depth) {
    if (!w_.StartObject()) return false;
    const size_t mark = path_.size();
    lua_pushnil(L_);
    while (lua_next(L_, index) != 0) {
      std::string key;
      if (lua_type(L_, -2) == LUA_TSTRING) {
        size_t n = 0;
        const char* s = lua_tolstring(L_, -2, &n);
        key.assign(s, n);
      } else {
        const double k = lua_tonumber(L_, -2);
        key = (k == std::floor(k) && std::fabs(k) < kExactIntegers)
                  ? fmt::format("{}", static_cast<int64_t>(k))
                  : fmt::format("{}", k);
      }
      if (!w_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()))) {
        lua_pop(L_, 2);
        return fail("invalid UTF-8 in a key");
      }
      path_ += "." + key;
      const bool ok = value(-1, depth + 1);
      path_.resize(mark);
      lua_pop(L_, 1);
      if (!ok) {
        lua_pop(L_, 1);
        return false;
      }
    }
    return w_.EndObject();
  }

  lua_State* L_;
  JsonWriter& w_;
  std::string path_;
};

int l_encode(lua_State* L) {
  luaL_checkany(L, 1);
  std::string out, error;
  if (!encode_json(L, 1, out, &error)) {
    lua_settop(L, 0);
    return luaL_error(L, "json.encode: %s", error.c_str());
  }
  lua_pushlstring(L, out.data(), out.size());
  return 1;
}

int l_decode(lua_State* L) {
  size_t n = 0;
  const char* s = luaL_checklstring(L, 1, &n);
  std::string error;
  if (!push_json(L, std::string_view(s, n), &error)) {
    return luaL_error(L, "json.decode: %s", error.c_str());
  }
  return 1;
}

int l_array(lua_State* L) {
  if (lua_isnoneornil(L, 1)) {
    lua_settop(L, 0);
    lua_newtable(L);
  } else {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
  }
  push_array_metatable(L);
  lua_setmetatable(L, 1);
  return 1;
}

}  // namespace

bool push_json(lua_State* L, std::string_view text, std::string* error) {
  const int top = lua_gettop(L);
  LuaBuilder builder(L);
  if (parse_json(text, builder, error)) return true;
  lua_settop(L, top);
  return false;
}

bool JsonTape::parse(std::string_view text, std::string* error) {
  steps_.clear();
  strings_.clear();
  TapeRecorder recorder(steps_, strings_);
  if (parse_json(text, recorder, error)) return true;
  steps_.clear();
  strings_.clear();
  return false;
}

void JsonTape::push(lua_State* L) const {
  LuaBuilder b(L);
  for (const Step& s : steps_) {
    switch (s.op) {
      case Op::kNull:
        b.Null();
        break;
      case Op::kFalse:
        b.Bool(false);
        break;
      case Op::kTrue:
        b.Bool(true);
        break;
      case Op::kNumber:
        b.Double(s.number);
        break;
      case Op::kString:
        b.String(strings_.data() + s.offset, s.size, false);
        break;
      case Op::kKey:
        b.Key(strings_.data() + s.offset, s.size, false);
        break;
      case Op::kObject:
        b.StartObject();
        break;
      case Op::kEndObject:
        b.EndObject(0);
        break;
      case Op::kArray:
        b.StartArray();
        break;
      case Op::kEndArray:
        b.EndArray(0);
        break;
    }
  }
}

bool encode_json(lua_State* L, int index, std::string& out, std::string* error) {
  if (index < 0) index = lua_gettop(L) + index + 1;
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  Encoder enc(L, w);
  if (!enc.value(index, 0)) {
    if (error) *error = enc.error.empty() ? "cannot encode the value" : enc.error;
    return false;
  }
  out.assign(buf.GetString(), buf.GetSize());
  return true;
}

void push_json_module(lua_State* L) {
  lua_createtable(L, 0, 4);
  lua_pushcfunction(L, l_encode);
  lua_setfield(L, -2, "encode");
  lua_pushcfunction(L, l_decode);
  lua_setfield(L, -2, "decode");
  lua_pushcfunction(L, l_array);
  lua_setfield(L, -2, "array");
  lua_pushlightuserdata(L, nullptr);
  lua_setfield(L, -2, "null");
}

}  // namespace chorus::lua
