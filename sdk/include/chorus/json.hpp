// chorus/json.hpp: a small, dependency-free JSON value for plugins (C++17,
// header-only). Enough to read an event's data and a plugin's config and to
// build the data of the events a plugin publishes; a plugin that needs more
// (streaming, schemas, speed) brings its own JSON library: the SDK hands
// out raw bytes too (chorus::sdk::Event::data()).
//
//   auto v = chorus::json::Value::parse(R"({"sensor":"s1","value":21.5})");
//   double x = (*v)["value"].number();
//   chorus::json::Value out = chorus::json::Value::object();
//   out.set("sensor", "s1").set("value", 83.1);
//   std::string text = out.dump();   // {"sensor":"s1","value":83.1}
//
// Parsing is strict RFC 8259 (UTF-8 in, \uXXXX escapes and surrogate pairs
// decoded), nests at most 64 deep, and never throws: parse() returns
// std::nullopt with the reason and byte offset in *error. Reading a missing
// key or index gives a null Value, so lookups chain safely. Numbers are
// doubles; dump() writes integral values without a fraction and the
// shortest text that reads back the same double otherwise (NaN and
// infinities as null). Object members keep their insertion order; set()
// replaces an existing key.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chorus::json {

class Value {
 public:
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Value() = default;
  Value(std::nullptr_t) {}                                                      // NOLINT: implicit
  Value(bool b) : kind_(Kind::kBool), bool_(b) {}                               // NOLINT
  Value(double d) : kind_(Kind::kNumber), number_(d) {}                         // NOLINT
  Value(int i) : kind_(Kind::kNumber), number_(i) {}                            // NOLINT
  Value(int64_t i) : kind_(Kind::kNumber), number_(static_cast<double>(i)) {}   // NOLINT
  Value(uint64_t i) : kind_(Kind::kNumber), number_(static_cast<double>(i)) {}  // NOLINT
  Value(std::string s) : kind_(Kind::kString), string_(std::move(s)) {}         // NOLINT
  Value(std::string_view s) : kind_(Kind::kString), string_(s) {}               // NOLINT
  Value(const char* s) : kind_(Kind::kString), string_(s ? s : "") {}           // NOLINT
  static Value array() { return Value(Kind::kArray); }
  static Value object() { return Value(Kind::kObject); }

  Kind kind() const noexcept { return kind_; }
  bool is_null() const noexcept { return kind_ == Kind::kNull; }
  bool is_bool() const noexcept { return kind_ == Kind::kBool; }
  bool is_number() const noexcept { return kind_ == Kind::kNumber; }
  bool is_string() const noexcept { return kind_ == Kind::kString; }
  bool is_array() const noexcept { return kind_ == Kind::kArray; }
  bool is_object() const noexcept { return kind_ == Kind::kObject; }

  // The value, or `fallback` when it is of another kind.
  double number(double fallback = 0) const noexcept { return is_number() ? number_ : fallback; }
  bool boolean(bool fallback = false) const noexcept { return is_bool() ? bool_ : fallback; }
  std::string_view string(std::string_view fallback = {}) const noexcept {
    return is_string() ? std::string_view(string_) : fallback;
  }

  // Arrays: elements; objects: members. 0 for other kinds.
  size_t size() const noexcept {
    return is_array() ? items_.size() : is_object() ? keys_.size() : 0;
  }
  // Element `i` of an array (null when out of range or not an array).
  const Value& operator[](size_t i) const noexcept {
    return is_array() && i < items_.size() ? items_[i] : null_value();
  }
  const Value& operator[](int i) const noexcept {
    return i < 0 ? null_value() : (*this)[static_cast<size_t>(i)];
  }
  // Member `key` of an object (null when absent or not an object).
  const Value& operator[](std::string_view key) const noexcept {
    if (is_object())
      for (size_t i = 0; i < keys_.size(); ++i)
        if (keys_[i] == key) return items_[i];
    return null_value();
  }
  const Value& operator[](const char* key) const noexcept { return (*this)[std::string_view(key)]; }
  bool has(std::string_view key) const noexcept {
    if (is_object())
      for (const std::string& k : keys_)
        if (k == key) return true;
    return false;
  }
  // Object members in order (keys(i) with items(i)); array elements.
  const std::vector<std::string>& keys() const noexcept { return keys_; }
  const std::vector<Value>& items() const noexcept { return items_; }

  // Building. push() makes a null value an array; set() makes it an object.
  Value& push(Value v) {
    if (is_null()) kind_ = Kind::kArray;
    if (is_array()) items_.push_back(std::move(v));
    return *this;
  }
  Value& set(std::string key, Value v) {
    if (is_null()) kind_ = Kind::kObject;
    if (!is_object()) return *this;
    for (size_t i = 0; i < keys_.size(); ++i)
      if (keys_[i] == key) {
        items_[i] = std::move(v);
        return *this;
      }
    keys_.push_back(std::move(key));
    items_.push_back(std::move(v));
    return *this;
  }

  // Compact JSON text.
  std::string dump() const {
    std::string out;
    write(out);
    return out;
  }
  void write(std::string& out) const;

  static std::optional<Value> parse(std::string_view text, std::string* error = nullptr);

 private:
  explicit Value(Kind k) : kind_(k) {}
  static const Value& null_value() noexcept {
    static const Value v;
    return v;
  }
  friend class Parser;

  Kind kind_ = Kind::kNull;
  bool bool_ = false;
  double number_ = 0;
  std::string string_;
  std::vector<std::string> keys_;  // objects
  std::vector<Value> items_;       // array elements, or object values (parallel to keys_)
};

// A number as dump() writes it: "19", "21.5", "0.1", "1e+300", "null".
inline std::string format_number(double d) {
  if (!std::isfinite(d)) return "null";
  if (d == std::floor(d) && std::fabs(d) < 9007199254740992.0) {  // 2^53: exact integers
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(d));
    return buf;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), d);
  return std::string(buf, r.ptr);
}

// `s` as a JSON string literal, quotes included.
inline void write_string(std::string_view s, std::string& out) {
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

inline void Value::write(std::string& out) const {
  switch (kind_) {
    case Kind::kNull:
      out += "null";
      break;
    case Kind::kBool:
      out += bool_ ? "true" : "false";
      break;
    case Kind::kNumber:
      out += format_number(number_);
      break;
    case Kind::kString:
      write_string(string_, out);
      break;
    case Kind::kArray:
      out += '[';
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i) out += ',';
        items_[i].write(out);
      }
      out += ']';
      break;
    case Kind::kObject:
      out += '{';
      for (size_t i = 0; i < keys_.size(); ++i) {
        if (i) out += ',';
        write_string(keys_[i], out);
        out += ':';
        items_[i].write(out);
      }
      out += '}';
      break;
  }
}

// The parser behind Value::parse (a recursive descent over the text).
class Parser {
 public:
  explicit Parser(std::string_view t) : t_(t) {}

  std::optional<Value> document(std::string* error) {
    Value v;
    ws();
    if (value(v, 0)) {
      ws();
      if (p_ == t_.size()) return v;
      why_ = "unexpected text after the value";
    }
    if (error) *error = why_ + " at byte " + std::to_string(p_);
    return std::nullopt;
  }

 private:
  static constexpr int kMaxDepth = 64;

  bool fail(const char* why) {
    why_ = why;
    return false;
  }
  void ws() {
    while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\t' || t_[p_] == '\n' || t_[p_] == '\r'))
      ++p_;
  }
  bool literal(std::string_view word) {
    if (t_.substr(p_, word.size()) != word) return fail("invalid literal");
    p_ += word.size();
    return true;
  }
  bool value(Value& out, int depth) {
    if (depth > kMaxDepth) return fail("nested deeper than 64 levels");
    if (p_ >= t_.size()) return fail("unexpected end of text");
    const char c = t_[p_];
    if (c == '{') return object(out, depth);
    if (c == '[') return array(out, depth);
    if (c == '"') {
      out = Value(std::string());
      return string(out.string_);
    }
    if (c == 't') return literal("true") && (out = Value(true), true);
    if (c == 'f') return literal("false") && (out = Value(false), true);
    if (c == 'n') return literal("null") && (out = Value(), true);
    return number(out);
  }
  bool number(Value& out) {
    const size_t start = p_;
    if (p_ < t_.size() && t_[p_] == '-') ++p_;
    if (p_ >= t_.size() || !isdigit(t_[p_])) return fail("invalid value");
    if (t_[p_] == '0') {
      ++p_;
    } else {
      while (p_ < t_.size() && isdigit(t_[p_]))
        ++p_;
    }
    if (p_ < t_.size() && t_[p_] == '.') {
      ++p_;
      if (p_ >= t_.size() || !isdigit(t_[p_])) return fail("invalid number");
      while (p_ < t_.size() && isdigit(t_[p_]))
        ++p_;
    }
    if (p_ < t_.size() && (t_[p_] == 'e' || t_[p_] == 'E')) {
      ++p_;
      if (p_ < t_.size() && (t_[p_] == '+' || t_[p_] == '-')) ++p_;
      if (p_ >= t_.size() || !isdigit(t_[p_])) return fail("invalid number");
      while (p_ < t_.size() && isdigit(t_[p_]))
        ++p_;
    }
    double d = 0;
    auto r = std::from_chars(t_.data() + start, t_.data() + p_, d);
    if (r.ec == std::errc::result_out_of_range) return fail("number out of range");
    if (r.ec != std::errc()) return fail("invalid number");
    out = Value(d);
    return true;
  }
  static bool isdigit(char c) { return c >= '0' && c <= '9'; }
  bool hex4(uint32_t& cp) {
    if (t_.size() - p_ < 4) return fail("truncated \\u escape");
    cp = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = t_[p_++];
      cp <<= 4;
      if (c >= '0' && c <= '9')
        cp |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        cp |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        cp |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return fail("invalid \\u escape");
    }
    return true;
  }
  static void utf8(uint32_t cp, std::string& out) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xc0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xe0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      out += static_cast<char>(0xf0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
      out += static_cast<char>(0x80 | (cp & 0x3f));
    }
  }
  bool string(std::string& out) {
    ++p_;  // the opening quote
    for (;;) {
      if (p_ >= t_.size()) return fail("unterminated string");
      const char c = t_[p_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (p_ >= t_.size()) return fail("unterminated string");
      switch (t_[p_++]) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!hex4(cp)) return false;
          if (cp >= 0xd800 && cp < 0xdc00) {  // a high surrogate: its low half must follow
            uint32_t lo;
            if (t_.substr(p_, 2) != "\\u") return fail("unpaired surrogate");
            p_ += 2;
            if (!hex4(lo)) return false;
            if (lo < 0xdc00 || lo >= 0xe000) return fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          } else if (cp >= 0xdc00 && cp < 0xe000) {
            return fail("unpaired surrogate");
          }
          utf8(cp, out);
          break;
        }
        default:
          return fail("invalid escape");
      }
    }
  }
  bool array(Value& out, int depth) {
    ++p_;
    out = Value::array();
    ws();
    if (p_ < t_.size() && t_[p_] == ']') {
      ++p_;
      return true;
    }
    for (;;) {
      Value item;
      ws();
      if (!value(item, depth + 1)) return false;
      out.items_.push_back(std::move(item));
      ws();
      if (p_ >= t_.size()) return fail("unterminated array");
      if (t_[p_] == ',') {
        ++p_;
        continue;
      }
      if (t_[p_] == ']') {
        ++p_;
        return true;
      }
      return fail("expected ',' or ']'");
    }
  }
  bool object(Value& out, int depth) {
    ++p_;
    out = Value::object();
    ws();
    if (p_ < t_.size() && t_[p_] == '}') {
      ++p_;
      return true;
    }
    for (;;) {
      ws();
      if (p_ >= t_.size() || t_[p_] != '"') return fail("expected a string key");
      std::string key;
      if (!string(key)) return false;
      ws();
      if (p_ >= t_.size() || t_[p_] != ':') return fail("expected ':'");
      ++p_;
      ws();
      Value v;
      if (!value(v, depth + 1)) return false;
      out.set(std::move(key), std::move(v));
      ws();
      if (p_ >= t_.size()) return fail("unterminated object");
      if (t_[p_] == ',') {
        ++p_;
        continue;
      }
      if (t_[p_] == '}') {
        ++p_;
        return true;
      }
      return fail("expected ',' or '}'");
    }
  }

  std::string_view t_;
  size_t p_ = 0;
  std::string why_;
};

inline std::optional<Value> Value::parse(std::string_view text, std::string* error) {
  return Parser(text).document(error);
}

}  // namespace chorus::json
