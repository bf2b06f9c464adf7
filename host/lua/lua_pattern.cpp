// A Lua 5.1 pattern matcher that checks the CPU budget while it backtracks.
// The language and messages follow LuaJIT's string library (docs: the Lua
// 5.1 manual, section 5.4.1); the implementation is this project's own.
#include "lua/lua_pattern.h"

#include <cstddef>
#include <cstring>
#include <string>

#include <fmt/core.h>
#include <lua.hpp>

#include "lua/lua_vm.h"

namespace chorus::lua {
namespace {

constexpr char kEsc = '%';
constexpr int kMaxCaptures = LUA_MAXCAPTURES;
constexpr int kMaxDepth = 200;       // nested match calls (LuaJIT: LJ_MAX_XLEVEL)
constexpr ptrdiff_t kOpen = -1;      // a capture not closed yet
constexpr ptrdiff_t kPosition = -2;  // a position capture "()"

// Character classes, ASCII only (as LuaJIT, whatever the C locale says).
bool is_lower(unsigned c) {
  return c >= 'a' && c <= 'z';
}
bool is_upper(unsigned c) {
  return c >= 'A' && c <= 'Z';
}
bool is_alpha(unsigned c) {
  return is_lower(c) || is_upper(c);
}
bool is_digit(unsigned c) {
  return c >= '0' && c <= '9';
}
bool is_space(unsigned c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
bool is_cntrl(unsigned c) {
  return c < 32 || c == 127;
}
bool is_graph(unsigned c) {
  return c > 32 && c < 127;
}
bool is_punct(unsigned c) {
  return is_graph(c) && !is_alpha(c) && !is_digit(c);
}
bool is_xdigit(unsigned c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// True when `c` belongs to class letter `cls` (%a, %D, ...) or, for any
// other letter, equals it.
bool class_matches(unsigned c, unsigned cls) {
  bool in;
  switch (cls | 0x20) {  // lower case
    case 'a':
      in = is_alpha(c);
      break;
    case 'c':
      in = is_cntrl(c);
      break;
    case 'd':
      in = is_digit(c);
      break;
    case 'g':
      in = is_graph(c);
      break;
    case 'l':
      in = is_lower(c);
      break;
    case 'p':
      in = is_punct(c);
      break;
    case 's':
      in = is_space(c);
      break;
    case 'u':
      in = is_upper(c);
      break;
    case 'w':
      in = is_alpha(c) || is_digit(c);
      break;
    case 'x':
      in = is_xdigit(c);
      break;
    case 'z':
      in = c == 0;
      break;
    default:
      return cls == c;
  }
  if (!is_alpha(cls)) return cls == c;
  return is_upper(cls) ? !in : in;
}

bool has_specials(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != '\0' && std::strchr("^$*+?.([%-", p[i]) != nullptr) return true;
  }
  return false;
}

class Matcher {
 public:
  Matcher(lua_State* L, const char* subject, size_t n)
      : L_(L), vm_(LuaVm::of(L)), begin_(subject), end_(subject + n) {}

  // The end of a match of `p` starting at `s`, or null.
  const char* match_at(const char* s, const char* p) {
    level_ = 0;
    depth_ = 0;
    return match(s, p);
  }

  // Pushes the captures (or the whole match s..e when there are none and
  // `whole` is set); returns how many.
  int push_captures(const char* s, const char* e, bool whole) {
    const int n = (level_ == 0 && whole) ? 1 : level_;
    luaL_checkstack(L_, n, "too many captures");
    for (int i = 0; i < n; ++i)
      push_capture(i, s, e);
    return n;
  }

  void push_capture(int i, const char* s, const char* e) {
    if (i >= level_) {
      if (i != 0) luaL_error(L_, "invalid capture index");
      lua_pushlstring(L_, s, static_cast<size_t>(e - s));
      return;
    }
    const ptrdiff_t len = caps_[i].len;
    if (len == kOpen) luaL_error(L_, "unfinished capture");
    if (len == kPosition) {
      lua_pushinteger(L_, caps_[i].init - begin_ + 1);
    } else {
      lua_pushlstring(L_, caps_[i].init, static_cast<size_t>(len));
    }
  }

  const char* begin() const { return begin_; }
  const char* end() const { return end_; }
  int level() const { return level_; }

  void tick(unsigned n = 1) {
    steps_ += n;
    if (steps_ >= kPatternCheckSteps) {
      steps_ = 0;
      vm_.check_deadline(L_);
    }
  }

 private:
  struct Capture {
    const char* init;
    ptrdiff_t len;
  };

  // The end of the single-character class starting at p.
  const char* class_end(const char* p) {
    const char c = *p++;
    if (c == kEsc) {
      if (*p == '\0') luaL_error(L_, "malformed pattern (ends with '%%')");
      return p + 1;
    }
    if (c == '[') {
      if (*p == '^') ++p;
      do {
        if (*p == '\0') luaL_error(L_, "malformed pattern (missing ']')");
        if (*p++ == kEsc && *p != '\0') ++p;
      } while (*p != ']');
      return p + 1;
    }
    return p;
  }

  // `p` points at '[', `last` at the closing ']'.
  static bool in_set(unsigned c, const char* p, const char* last) {
    bool want = true;
    if (p[1] == '^') {
      want = false;
      ++p;
    }
    while (++p < last) {
      if (*p == kEsc) {
        ++p;
        if (class_matches(c, static_cast<unsigned char>(*p))) return want;
      } else if (p[1] == '-' && p + 2 < last) {
        if (static_cast<unsigned char>(p[0]) <= c && c <= static_cast<unsigned char>(p[2]))
          return want;
        p += 2;
      } else if (static_cast<unsigned char>(*p) == c) {
        return want;
      }
    }
    return !want;
  }

  static bool single(unsigned c, const char* p, const char* ep) {
    switch (*p) {
      case '.':
        return true;
      case kEsc:
        return class_matches(c, static_cast<unsigned char>(p[1]));
      case '[':
        return in_set(c, p, ep - 1);
      default:
        return static_cast<unsigned char>(*p) == c;
    }
  }

  bool single_at(const char* s, const char* p, const char* ep) {
    return s < end_ && single(static_cast<unsigned char>(*s), p, ep);
  }

  const char* balance(const char* s, const char* p) {
    if (p[0] == '\0' || p[1] == '\0') luaL_error(L_, "unbalanced pattern");
    if (s >= end_ || *s != p[0]) return nullptr;
    int open = 1;
    while (++s < end_) {
      tick();
      if (*s == p[1]) {
        if (--open == 0) return s + 1;
      } else if (*s == p[0]) {
        ++open;
      }
    }
    return nullptr;
  }

  // Greedy repetition: take as many as possible, then give back one at a time.
  const char* greedy(const char* s, const char* p, const char* ep) {
    ptrdiff_t n = 0;
    while (single_at(s + n, p, ep)) {
      ++n;
      tick();
    }
    for (; n >= 0; --n) {
      if (const char* r = match(s + n, ep + 1)) return r;
    }
    return nullptr;
  }

  // Lazy repetition: try the rest first, then take one more.
  const char* lazy(const char* s, const char* p, const char* ep) {
    for (;;) {
      if (const char* r = match(s, ep + 1)) return r;
      if (!single_at(s, p, ep)) return nullptr;
      ++s;
    }
  }

  const char* open_capture(const char* s, const char* p, ptrdiff_t what) {
    if (level_ >= kMaxCaptures) luaL_error(L_, "too many captures");
    caps_[level_] = {s, what};
    ++level_;
    const char* r = match(s, p);
    if (r == nullptr) --level_;
    return r;
  }

  const char* close_capture(const char* s, const char* p) {
    int l = level_ - 1;
    while (l >= 0 && caps_[l].len != kOpen)
      --l;
    if (l < 0) luaL_error(L_, "invalid pattern capture");
    caps_[l].len = s - caps_[l].init;
    const char* r = match(s, p);
    if (r == nullptr) caps_[l].len = kOpen;
    return r;
  }

  const char* back_reference(const char* s, int digit) {
    const int l = digit - '1';
    if (l < 0 || l >= level_ || caps_[l].len == kOpen) luaL_error(L_, "invalid capture index");
    const auto len = static_cast<size_t>(caps_[l].len);
    tick(static_cast<unsigned>(len / 64) + 1);
    if (static_cast<size_t>(end_ - s) >= len && std::memcmp(caps_[l].init, s, len) == 0)
      return s + len;
    return nullptr;
  }

  const char* match(const char* s, const char* p) {
    if (++depth_ > kMaxDepth) luaL_error(L_, "pattern too complex");
    tick();
    const char* r = match_body(s, p);
    --depth_;
    return r;
  }

  // One pattern item at p, then (by looping instead of recursing where the
  // item cannot backtrack) the rest.
  const char* match_body(const char* s, const char* p) {
    for (;;) {
      switch (*p) {
        case '\0':
          return s;
        case '(':
          if (p[1] == ')') return open_capture(s, p + 2, kPosition);
          return open_capture(s, p + 1, kOpen);
        case ')':
          return close_capture(s, p + 1);
        case '$':
          if (p[1] == '\0') return s == end_ ? s : nullptr;
          break;  // a literal '$'
        case kEsc:
          if (p[1] == 'b') {
            s = balance(s, p + 2);
            if (s == nullptr) return nullptr;
            p += 4;
            continue;
          }
          if (p[1] == 'f') {
            p += 2;
            if (*p != '[') luaL_error(L_, "missing '[' after '%%f' in pattern");
            const char* ep = class_end(p);
            const unsigned prev = s == begin_ ? 0u : static_cast<unsigned char>(s[-1]);
            const unsigned cur = s < end_ ? static_cast<unsigned char>(*s) : 0u;
            if (in_set(prev, p, ep - 1) || !in_set(cur, p, ep - 1)) return nullptr;
            p = ep;
            continue;
          }
          if (is_digit(static_cast<unsigned char>(p[1]))) {
            s = back_reference(s, static_cast<unsigned char>(p[1]));
            if (s == nullptr) return nullptr;
            p += 2;
            continue;
          }
          break;  // a class like %a: a single-character item
        default:
          break;
      }
      const char* ep = class_end(p);
      const bool one = single_at(s, p, ep);
      switch (*ep) {
        case '?':
          if (one) {
            if (const char* r = match(s + 1, ep + 1)) return r;
          }
          p = ep + 1;
          continue;
        case '*':
          return greedy(s, p, ep);
        case '+':
          return one ? greedy(s + 1, p, ep) : nullptr;
        case '-':
          return lazy(s, p, ep);
        default:
          if (!one) return nullptr;
          ++s;
          p = ep;
          tick();
          continue;
      }
    }
  }

  lua_State* L_;
  LuaVm& vm_;
  const char* begin_;
  const char* end_;
  int level_ = 0;
  int depth_ = 0;
  unsigned steps_ = 0;
  Capture caps_[kMaxCaptures];
};

// The 0-based start of a search from a 1-based (possibly negative) init.
size_t start_of(lua_State* L, int arg, size_t len) {
  lua_Integer init = luaL_optinteger(L, arg, 1);
  if (init < 0) {
    init += static_cast<lua_Integer>(len);
  } else {
    --init;
  }
  if (init < 0) init = 0;
  if (static_cast<size_t>(init) > len) init = static_cast<lua_Integer>(len);
  return static_cast<size_t>(init);
}

int find_or_match(lua_State* L, bool find) {
  size_t ls = 0, lp = 0;
  const char* s = luaL_checklstring(L, 1, &ls);
  const char* p = luaL_checklstring(L, 2, &lp);
  const size_t start = start_of(L, 3, ls);
  if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
    const void* hit = lp == 0 ? s + start : memmem(s + start, ls - start, p, lp);
    if (hit == nullptr) {
      lua_pushnil(L);
      return 1;
    }
    const auto at = static_cast<const char*>(hit) - s;
    lua_pushinteger(L, at + 1);
    lua_pushinteger(L, at + static_cast<lua_Integer>(lp));
    return 2;
  }
  Matcher m(L, s, ls);
  const bool anchored = *p == '^';
  if (anchored) ++p;
  const char* at = s + start;
  do {
    if (const char* e = m.match_at(at, p)) {
      if (find) {
        lua_pushinteger(L, at - s + 1);
        lua_pushinteger(L, e - s);
        return m.push_captures(nullptr, nullptr, false) + 2;
      }
      return m.push_captures(at, e, true);
    }
    m.tick();
  } while (at++ < m.end() && !anchored);
  lua_pushnil(L);
  return 1;
}

int l_find(lua_State* L) {
  return find_or_match(L, true);
}

int l_match(lua_State* L) {
  return find_or_match(L, false);
}

// Upvalues: the subject, the pattern, the position to continue from.
int gmatch_next(lua_State* L) {
  size_t ls = 0;
  const char* s = lua_tolstring(L, lua_upvalueindex(1), &ls);
  const char* p = lua_tostring(L, lua_upvalueindex(2));
  auto pos = static_cast<size_t>(lua_tointeger(L, lua_upvalueindex(3)));
  Matcher m(L, s, ls);
  for (const char* at = s + pos; at <= m.end(); ++at) {
    if (const char* e = m.match_at(at, p)) {
      size_t next = static_cast<size_t>(e - s);
      if (e == at) ++next;  // an empty match: move on
      lua_pushinteger(L, static_cast<lua_Integer>(next));
      lua_replace(L, lua_upvalueindex(3));
      return m.push_captures(at, e, true);
    }
    m.tick();
  }
  return 0;
}

int l_gmatch(lua_State* L) {
  luaL_checkstring(L, 1);
  luaL_checkstring(L, 2);
  lua_settop(L, 2);
  lua_pushinteger(L, 0);
  lua_pushcclosure(L, gmatch_next, 3);
  return 1;
}

void add_replacement_string(Matcher& m, lua_State* L, luaL_Buffer& b, const char* s,
                            const char* e) {
  size_t n = 0;
  const char* r = lua_tolstring(L, 3, &n);
  for (size_t i = 0; i < n; ++i) {
    if (r[i] != kEsc) {
      luaL_addchar(&b, r[i]);
      continue;
    }
    ++i;  // the character after '%'
    const auto c = static_cast<unsigned char>(i < n ? r[i] : '\0');
    if (!is_digit(c)) {
      luaL_addchar(&b, static_cast<char>(c));
    } else if (c == '0') {
      luaL_addlstring(&b, s, static_cast<size_t>(e - s));
    } else {
      m.push_capture(c - '1', s, e);
      luaL_addvalue(&b);
    }
  }
}

void add_replacement(Matcher& m, lua_State* L, luaL_Buffer& b, const char* s, const char* e) {
  switch (lua_type(L, 3)) {
    case LUA_TNUMBER:
    case LUA_TSTRING:
      add_replacement_string(m, L, b, s, e);
      return;
    case LUA_TFUNCTION: {
      lua_pushvalue(L, 3);
      const int n = m.push_captures(s, e, true);
      lua_call(L, n, 1);
      break;
    }
    default:  // a table
      m.push_capture(0, s, e);
      lua_gettable(L, 3);
      break;
  }
  if (!lua_toboolean(L, -1)) {
    lua_pop(L, 1);
    lua_pushlstring(L, s, static_cast<size_t>(e - s));  // keep the original
  } else if (!lua_isstring(L, -1)) {
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  }
  luaL_addvalue(&b);
}

int l_gsub(lua_State* L) {
  size_t ls = 0;
  const char* src = luaL_checklstring(L, 1, &ls);
  const char* p = luaL_checkstring(L, 2);
  const int tr = lua_type(L, 3);
  if (tr != LUA_TNUMBER && tr != LUA_TSTRING && tr != LUA_TFUNCTION && tr != LUA_TTABLE)
    luaL_argerror(L, 3, "string/function/table expected");
  const lua_Integer max = luaL_optinteger(L, 4, static_cast<lua_Integer>(ls) + 1);
  const bool anchored = *p == '^';
  if (anchored) ++p;
  Matcher m(L, src, ls);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  lua_Integer count = 0;
  while (count < max) {
    const char* e = m.match_at(src, p);
    if (e != nullptr) {
      ++count;
      add_replacement(m, L, b, src, e);
    }
    m.tick();
    if (e != nullptr && e > src) {
      src = e;
    } else if (src < m.end()) {
      luaL_addchar(&b, *src++);
    } else {
      break;
    }
    if (anchored) break;
  }
  luaL_addlstring(&b, src, static_cast<size_t>(m.end() - src));
  luaL_pushresult(&b);
  lua_pushinteger(L, count);
  return 2;
}

// Upvalue 1: LuaJIT's string.rep.
int l_rep(lua_State* L) {
  size_t ls = 0, lsep = 0;
  luaL_checklstring(L, 1, &ls);
  const lua_Number n = luaL_checknumber(L, 2);
  luaL_optlstring(L, 3, "", &lsep);
  if (n >= 1) {
    const double bytes = static_cast<double>(ls) * n + static_cast<double>(lsep) * (n - 1);
    LuaVm& vm = LuaVm::of(L);
    const uint64_t limit = vm.limits().memory_bytes;
    if (limit != 0 && bytes > static_cast<double>(limit)) {
      const std::string msg = fmt::format(
          "string.rep: the result would be {:.0f} bytes, over the script's memory "
          "limit of {}",
          bytes, format_bytes(limit));
      return luaL_error(L, "%s", msg.c_str());
    }
  }
  const int top = lua_gettop(L);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, top, 1);
  return 1;
}

}  // namespace

void install_budgeted_string_functions(lua_State* L, int string_table) {
  if (string_table < 0) string_table = lua_gettop(L) + string_table + 1;
  lua_pushcfunction(L, l_find);
  lua_setfield(L, string_table, "find");
  lua_pushcfunction(L, l_match);
  lua_setfield(L, string_table, "match");
  lua_pushcfunction(L, l_gmatch);
  lua_setfield(L, string_table, "gmatch");
  lua_pushcfunction(L, l_gsub);
  lua_setfield(L, string_table, "gsub");
  lua_getfield(L, string_table, "rep");
  lua_pushcclosure(L, l_rep, 1);
  lua_setfield(L, string_table, "rep");
}

}  // namespace chorus::lua
