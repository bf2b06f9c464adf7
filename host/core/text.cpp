// UTF-8 validation (a straight state machine; inputs are short), the JSON
// text check and string escaping (16 bytes at a time with SSE2, byte by byte
// elsewhere), and message-safe quoting.
#include "core/text.h"

#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace chorus {
namespace {

// Length of the well-formed UTF-8 sequence starting with the non-ASCII byte
// at p (2 to 4), or 0 when it is ill-formed or cut by `end`.
size_t utf8_sequence(const uint8_t* p, const uint8_t* end) noexcept {
  const uint8_t c = *p;
  size_t n;
  uint32_t cp;
  if ((c & 0xe0) == 0xc0) {
    n = 1;
    cp = c & 0x1f;
  } else if ((c & 0xf0) == 0xe0) {
    n = 2;
    cp = c & 0x0f;
  } else if ((c & 0xf8) == 0xf0) {
    n = 3;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < n + 1) return 0;
  for (size_t i = 1; i <= n; ++i) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)) return 0;
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n + 1;
}

// Bytes a JSON string cannot hold as they are.
constexpr bool needs_escape(uint8_t c) noexcept {
  return c < 0x20 || c == '"' || c == '\\';
}

#if defined(__SSE2__)
// One bit per byte of the 16 at p that is '"', '\', below 0x20 and, when
// `with_non_ascii`, 0x80 or above. The comparison with 0x20 is signed, so it
// holds for both 0x00..0x1F and 0x80..0xFF; the non-ASCII bits are taken out
// again when they are not wanted.
inline unsigned special_bytes(const uint8_t* p, bool with_non_ascii) noexcept {
  const __m128i s = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i low_or_high = _mm_cmplt_epi8(s, _mm_set1_epi8(0x20));
  const __m128i quote = _mm_cmpeq_epi8(s, _mm_set1_epi8('"'));
  const __m128i backslash = _mm_cmpeq_epi8(s, _mm_set1_epi8('\\'));
  auto bits = static_cast<unsigned>(
      _mm_movemask_epi8(_mm_or_si128(low_or_high, _mm_or_si128(quote, backslash))));
  if (!with_non_ascii) bits &= ~static_cast<unsigned>(_mm_movemask_epi8(s));
  return bits;
}
#endif

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // ASCII runs eight bytes at a time.
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p == end) break;
    if (*p < 0x80) {
      ++p;
      continue;
    }
    const size_t n = utf8_sequence(p, end);
    if (n == 0) return false;
    p += n;
  }
  return true;
}

namespace {

// The lexer state of check_json_text().
class JsonTextLexer {
 public:
  explicit JsonTextLexer(std::string_view json)
      : begin_(reinterpret_cast<const uint8_t*>(json.data())), end_(begin_ + json.size()) {}

  const uint8_t* begin() const { return begin_; }
  const uint8_t* end() const { return end_; }
  const JsonTextCheck& result() const { return result_; }

  // Looks at the byte at q and returns the first byte after what it took
  // (more than one byte for an escape or a UTF-8 sequence), or nullptr when
  // it found a problem (then in result()).
  const uint8_t* step(const uint8_t* q) {
    const uint8_t c = *q;
    if (c == '"') {
      string_start_ = string_start_ ? nullptr : q;
      return q + 1;
    }
    if (c == '\\') {
      // An escaped quote or backslash ends or escapes nothing; any other
      // escaped byte is looked at on its own (a raw control character after
      // '\' is still unescaped; a bad escape is the parser's to report).
      if (string_start_ && q + 1 < end_ && (q[1] == '"' || q[1] == '\\')) return q + 2;
      if (string_start_) return unicode_escape(q);
      return q + 1;
    }
    if (c < 0x20) {
      if (!string_start_) return q + 1;  // whitespace, or a syntax error for the parser
      result_ = {JsonTextCheck::Problem::kControlCharacter, static_cast<size_t>(q - begin_),
                 static_cast<size_t>(string_start_ - begin_)};
      return nullptr;
    }
    if (c < 0x80) return q + 1;
    const size_t n = utf8_sequence(q, end_);
    if (n != 0) return q + n;
    result_ = {JsonTextCheck::Problem::kInvalidUtf8, static_cast<size_t>(q - begin_), 0};
    return nullptr;
  }

 private:
  // The 4 hex digits after "\u" at p as a code unit, or -1.
  int hex4(const uint8_t* p) const {
    if (end_ - p < 6 || p[0] != '\\' || p[1] != 'u') return -1;
    int v = 0;
    for (int i = 2; i < 6; ++i) {
      const uint8_t h = p[i];
      const int d = h >= '0' && h <= '9'   ? h - '0'
                    : h >= 'a' && h <= 'f' ? h - 'a' + 10
                    : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                           : -1;
      if (d < 0) return -1;
      v = v * 16 + d;
    }
    return v;
  }
  // An escape inside a string at q ('\'): a UTF-16 surrogate escape must be a
  // high one followed at once by a low one (RapidJSON refuses a lone high one
  // but decodes a lone low one into ill-formed UTF-8). Other escapes are
  // the parser's to check; their bytes are ASCII.
  const uint8_t* unicode_escape(const uint8_t* q) {
    const int u = hex4(q);
    if (u < 0xD800 || u > 0xDFFF) return u < 0 ? q + 1 : q + 6;
    if (u <= 0xDBFF) {
      const int low = hex4(q + 6);
      if (low >= 0xDC00 && low <= 0xDFFF) return q + 12;
    }
    result_ = {JsonTextCheck::Problem::kLoneSurrogate, static_cast<size_t>(q - begin_),
               static_cast<size_t>(string_start_ - begin_)};
    return nullptr;
  }

  const uint8_t* const begin_;
  const uint8_t* const end_;
  const uint8_t* string_start_ = nullptr;  // inside a string when set
  JsonTextCheck result_;
};

}  // namespace

JsonTextCheck check_json_text(std::string_view json) noexcept {
  JsonTextLexer lex(json);
  const uint8_t* p = lex.begin();
  const uint8_t* const end = lex.end();
#if defined(__SSE2__)
  // Blocks of 16 bytes: only the bytes that matter are looked at, in order.
  // `p` is the first byte not yet taken; an escape or a UTF-8 sequence may
  // reach past the block, and the next block starts after it.
  while (end - p >= 16) {
    const uint8_t* const block = p;
    for (unsigned bits = special_bytes(block, /*with_non_ascii=*/true); bits != 0;
         bits &= bits - 1) {
      const uint8_t* q = block + __builtin_ctz(bits);
      if (q < p) continue;
      p = lex.step(q);
      if (!p) return lex.result();
    }
    if (p < block + 16) p = block + 16;
  }
#endif
  while (p < end) {
    p = lex.step(p);
    if (!p) return lex.result();
  }
  return {};
}

std::string escape_raw_control_characters(std::string_view json) {
  std::string out;
  out.reserve(json.size() + 16);
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string && c == '\\' && i + 1 < json.size() &&
        (json[i + 1] == '"' || json[i + 1] == '\\')) {
      out += c;
      out += json[++i];
      continue;
    }
    if (c == '"') in_string = !in_string;
    if (in_string && static_cast<uint8_t>(c) < 0x20)
      out += json_escape(c);
    else
      out += c;
  }
  return out;
}

size_t json_string_safe_prefix(std::string_view s) noexcept {
  const auto* const begin = reinterpret_cast<const uint8_t*>(s.data());
  const auto* const end = begin + s.size();
  const uint8_t* p = begin;
#if defined(__SSE2__)
  for (; end - p >= 16; p += 16) {
    const unsigned bits = special_bytes(p, /*with_non_ascii=*/false);
    if (bits != 0) return static_cast<size_t>(p - begin) + __builtin_ctz(bits);
  }
#endif
  // Eight bytes at a time: the lowest flagged byte of each test is exact
  // (a borrow only flags bytes above a true hit).
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  for (; end - p >= 8; p += 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    const uint64_t quote = x ^ (kOnes * '"'), backslash = x ^ (kOnes * '\\');
    const uint64_t hits = ((x - kOnes * 0x20) | (quote - kOnes) | (backslash - kOnes)) & ~x & kHigh;
    if (hits != 0) {  // little-endian: the first byte is the lowest
      p += __builtin_ctzll(hits) / 8;
      break;
    }
  }
  while (p < end && !needs_escape(*p))
    ++p;
  return static_cast<size_t>(p - begin);
}

std::string_view json_escape(char ch) noexcept {
  // Six bytes per entry; the short escapes use the first two.
  static constexpr char kControl[32][7] = {
      "\\u0000", "\\u0001", "\\u0002", "\\u0003", "\\u0004", "\\u0005", "\\u0006", "\\u0007",
      "\\b",     "\\t",     "\\n",     "\\u000b", "\\f",     "\\r",     "\\u000e", "\\u000f",
      "\\u0010", "\\u0011", "\\u0012", "\\u0013", "\\u0014", "\\u0015", "\\u0016", "\\u0017",
      "\\u0018", "\\u0019", "\\u001a", "\\u001b", "\\u001c", "\\u001d", "\\u001e", "\\u001f"};
  const auto c = static_cast<uint8_t>(ch);
  if (c == '"') return "\\\"";
  if (c == '\\') return "\\\\";
  if (c < 0x20) return kControl[c];
  return {};
}

std::string printable(std::string_view s, size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  const bool cut = s.size() > max_bytes;
  if (cut) s = s.substr(0, max_bytes);
  out.reserve(s.size() + 8);
  for (char ch : s) {
    auto c = static_cast<uint8_t>(ch);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(ch);
    } else if (c == '\\') {
      out += "\\\\";
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace chorus
