// CloudEvents JSON codec built on RapidJSON's SAX reader and writer: no DOM,
// numbers are carried as their original text (never through a double), and
// the parser is iterative so nesting depth cannot overflow the stack. The
// byte-level rules of JSON text (UTF-8, no raw control character in a
// string) and string escaping are ours (core/text.h), not RapidJSON's: its
// SSE2 string scanners compare with 0x19 instead of 0x1F, so on their own
// they let U+001A..U+001F through wherever a string crosses a 16-byte block.
#include "core/cloudevents.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/core.h>
#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/base64.h"
#include "core/text.h"
#include "core/time_format.h"
#include "core/topic.h"

namespace chorus {
namespace {

namespace rj = rapidjson;

// UTF-8 and raw control characters are checked up front by check_json_text()
// (much faster than RapidJSON's per-character validation, and right where its
// SSE2 scanner is not); escapes and the grammar are checked by the parser.
constexpr unsigned kParseFlags = rj::kParseIterativeFlag | rj::kParseNumbersAsStringsFlag;
constexpr int kMaxDataDepth = 512;

// RapidJSON's Writer with two fixes of 1.1.0: RawNumber writes the digits as
// a number (not as a quoted string), and strings and keys are escaped by
// json_escape(), so every control character comes out escaped (its SSE2
// writer leaves U+001A..U+001F raw in strings of 16 bytes or more).
class JsonWriter : public rj::Writer<rj::StringBuffer> {
 public:
  using rj::Writer<rj::StringBuffer>::Writer;
  bool RawNumber(const char* s, rj::SizeType n, bool) { return RawValue(s, n, rj::kNumberType); }
  bool String(const char* s, rj::SizeType n, bool = false) {
    Prefix(rj::kStringType);
    write_string(std::string_view(s, n));
    return EndValue(true);
  }
  bool Key(const char* s, rj::SizeType n, bool = false) { return String(s, n); }

 private:
  void write_string(std::string_view s) {
    os_->Put('"');
    for (;;) {
      const size_t n = json_string_safe_prefix(s);
      if (n != 0) std::memcpy(os_->Push(n), s.data(), n);
      if (n == s.size()) break;
      const std::string_view esc = json_escape(s[n]);
      std::memcpy(os_->Push(esc.size()), esc.data(), esc.size());
      s.remove_prefix(n + 1);
    }
    os_->Put('"');
  }
};

// RapidJSON's SSE2 string scanner works on a NUL-terminated StringStream and
// loads whole aligned 16-byte blocks, so inputs are copied into a buffer
// padded with 16 NULs (no read past an allocation, even by a sanitizer's
// reckoning). A NUL inside the input stops the parser early, which Tell()
// then reveals.
std::string padded(std::string_view in) {
  std::string buf;
  buf.reserve(in.size() + 16);
  buf.append(in);
  buf.append(16, '\0');
  return buf;
}

// Copies JSON through Reader -> JsonWriter, compacting it. Empty optional when
// the input is not one valid JSON value.
std::optional<std::string> compact_json(std::string_view in) {
  rj::StringBuffer buf;
  JsonWriter w(buf);
  if (check_json_text(in).problem != JsonTextCheck::Problem::kNone) return std::nullopt;
  const std::string text = padded(in);
  rj::Reader reader;
  rj::StringStream is(text.c_str());
  if (!reader.Parse<kParseFlags>(is, w) || is.Tell() != in.size()) return std::nullopt;
  return std::string(buf.GetString(), buf.GetSize());
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
         });
}

bool is_text_content_type(std::string_view ct) {
  ct = trim(ct.substr(0, ct.find(';')));
  return ct.size() > 5 && iequals(ct.substr(0, 5), "text/");
}

bool valid_attribute_name(std::string_view n) {
  if (n.empty()) return false;
  return std::all_of(n.begin(), n.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

// SAX handler for one CloudEvent object. Attributes are collected as text;
// the `data` value is re-written compactly into its own buffer.
class CeHandler {
 public:
  struct Attr {
    std::string name;
    std::string value;  // string or number/bool text
    bool is_string = false;
    bool is_null = false;
  };

  std::vector<Attr> attrs;
  bool has_data = false;
  bool data_is_string = false;
  std::string data_string;  // when the data value is a JSON string: its content
  std::string data_json;    // the data value as compact JSON text
  std::string error;        // set when a callback returned false

  // Where the text read so far ended: outside the object, where an attribute
  // name goes, or in the value of attribute current() (`data` while inside
  // the data value).
  enum class Place { kOutside, kAttributeName, kValue };
  Place place() const {
    if (depth_ == 0) return Place::kOutside;
    return in_data() || expecting_value_ ? Place::kValue : Place::kAttributeName;
  }
  const std::string& current() const { return current_; }

  bool Null() { return scalar("null", false, true); }
  bool Bool(bool b) { return scalar(b ? "true" : "false", false, false); }
  bool Int(int) { return unexpected(); }
  bool Uint(unsigned) { return unexpected(); }
  bool Int64(int64_t) { return unexpected(); }
  bool Uint64(uint64_t) { return unexpected(); }
  bool Double(double) { return unexpected(); }
  bool RawNumber(const char* s, rj::SizeType n, bool) {
    if (in_data()) return data_writer_->RawNumber(s, n, false) && after_data_value();
    return scalar(std::string_view(s, n), false, false);
  }
  bool String(const char* s, rj::SizeType n, bool) {
    if (depth_ == 1 && current_ == "data") {
      data_is_string = true;
      data_string.assign(s, n);
    }
    if (in_data()) return data_writer_->String(s, n) && after_data_value();
    return scalar(std::string_view(s, n), true, false);
  }
  bool StartObject() {
    if (depth_ == 0) {
      depth_ = 1;
      return true;
    }
    if (in_data()) {
      ++depth_;
      if (depth_ - 1 > kMaxDataDepth)
        return fail(fmt::format("nested more than {} levels", kMaxDataDepth), "data");
      return data_writer_->StartObject();
    }
    return fail("must be a string, number or boolean, not an object", current_);
  }
  bool Key(const char* s, rj::SizeType n, bool) {
    if (in_data() && depth_ > 1) return data_writer_->Key(s, n);
    current_.assign(s, n);
    if (current_ != "data_base64" && !valid_attribute_name(current_))
      return fail("invalid attribute name: CloudEvents attribute names are a-z and 0-9 only",
                  current_);
    if (current_ == "data" ? has_data : std::any_of(attrs.begin(), attrs.end(), [&](const Attr& a) {
          return a.name == current_;
        }))
      return fail("appears more than once", current_);
    if (current_ == "data") {
      has_data = true;
      buf_.Clear();
      data_writer_.emplace(buf_);
    }
    expecting_value_ = true;
    return true;
  }
  bool EndObject(rj::SizeType) {
    if (in_data() && depth_ > 1) {
      --depth_;
      return data_writer_->EndObject() && after_data_value();
    }
    depth_ = 0;
    return true;
  }
  bool StartArray() {
    if (depth_ == 0) return fail("the input is a JSON array; expected one CloudEvent object", "");
    if (in_data()) {
      ++depth_;
      if (depth_ - 1 > kMaxDataDepth)
        return fail(fmt::format("nested more than {} levels", kMaxDataDepth), "data");
      return data_writer_->StartArray();
    }
    return fail("must be a string, number or boolean, not an array", current_);
  }
  bool EndArray(rj::SizeType) {
    --depth_;
    return data_writer_->EndArray() && after_data_value();
  }

 private:
  bool in_data() const { return data_writer_.has_value(); }

  // Called after each complete value inside data; finishes data when the
  // value at attribute level is complete.
  bool after_data_value() {
    if (depth_ == 1) {
      data_json.assign(buf_.GetString(), buf_.GetSize());
      data_writer_.reset();
      expecting_value_ = false;
    }
    return true;
  }

  bool scalar(std::string_view text, bool is_string, bool is_null) {
    if (depth_ == 0) return fail("the input is not a JSON object", "");
    if (in_data()) {
      bool ok = is_null ? data_writer_->Null() : data_writer_->Bool(text == "true");
      return ok && after_data_value();
    }
    attrs.push_back(Attr{current_, std::string(text), is_string, is_null});
    expecting_value_ = false;
    return true;
  }

  bool unexpected() { return fail("internal: number not delivered as text", current_); }

  bool fail(std::string why, std::string_view attr) {
    error = attr.empty() ? fmt::format("cloudevent: {}", why)
                         : fmt::format("cloudevent: attribute '{}': {}", printable(attr), why);
    return false;
  }

  int depth_ = 0;
  bool expecting_value_ = false;  // a key at depth 1 was read, its value not yet
  std::string current_;
  rj::StringBuffer buf_;
  std::optional<JsonWriter> data_writer_;
};

Status attr_error(std::string_view name, std::string why) {
  return Status::InvalidArgument(fmt::format("cloudevent: attribute '{}': {}", name, why));
}

Status syntax_error(size_t offset, std::string_view why) {
  return Status::InvalidArgument(
      fmt::format("cloudevent: JSON syntax error at byte {}: {}", offset, why));
}

// The error for a raw control character check_json_text() found. It names
// the attribute whose string holds it, found by parsing the text before that
// string; an error earlier in the text (syntax, or a rule the handler checks)
// wins, so the first error in the input is the one reported.
Status control_character_error(std::string_view json, const JsonTextCheck& c) {
  const std::string what =
      fmt::format("unescaped control character U+{:04X} at byte {}",
                  static_cast<unsigned>(static_cast<unsigned char>(json[c.offset])), c.offset);
  const std::string text = padded(json.substr(0, c.string_start));
  CeHandler h;
  rj::Reader reader;
  rj::StringStream is(text.c_str());
  if (!reader.Parse<kParseFlags>(is, h)) {
    if (!h.error.empty()) return Status::InvalidArgument(h.error);
    if (reader.GetErrorOffset() < c.string_start)
      return syntax_error(reader.GetErrorOffset(),
                          rj::GetParseError_En(reader.GetParseErrorCode()));
  }
  switch (h.place()) {
    case CeHandler::Place::kValue:
      return attr_error(h.current(), what);
    case CeHandler::Place::kAttributeName:
      return Status::InvalidArgument(
          fmt::format("cloudevent: attribute name at byte {}: {}", c.string_start, what));
    case CeHandler::Place::kOutside:
      break;
  }
  return Status::InvalidArgument(fmt::format("cloudevent: {}", what));
}

}  // namespace

bool is_json_content_type(std::string_view ct) noexcept {
  ct = trim(ct.substr(0, ct.find(';')));
  if (iequals(ct, "application/json") || iequals(ct, "text/json")) return true;
  return ct.size() >= 5 && iequals(ct.substr(ct.size() - 5), "+json");
}

void append_cloudevent_json(const Event& e, std::string& out,
                            std::span<const IntegerAttribute> extra) {
  rj::StringBuffer buf;
  JsonWriter w(buf);
  char idbuf[36];
  e.id().format_to(idbuf);
  const std::string time = format_rfc3339(e.time_ns());
  auto key = [&](std::string_view k) { w.Key(k.data(), static_cast<rj::SizeType>(k.size())); };
  auto member = [&](std::string_view k, std::string_view v) {
    key(k);
    w.String(v.data(), static_cast<rj::SizeType>(v.size()));
  };
  w.StartObject();
  member("specversion", "1.0");
  member("id", std::string_view(idbuf, 36));
  member("source", e.source());
  member("type", e.type());
  member("time", time);
  if (!e.content_type().empty()) member("datacontenttype", e.content_type());
  member("priority", priority_name(e.priority()));
  if (!e.correlation_id().empty()) member("correlationid", e.correlation_id());
  if (!e.causation_id().empty()) member("causationid", e.causation_id());
  if (!e.target().empty()) member("target", e.target());
  if (!e.stream().empty()) member("stream", e.stream());
  for (const auto& [k, v] : e.metadata())
    member(k, v);
  for (const IntegerAttribute& a : extra) {
    key(a.name);
    w.Uint64(a.value);
  }
  if (!e.data().empty()) {
    std::optional<std::string> json;
    if (is_json_content_type(e.content_type())) json = compact_json(e.data());
    // A JSON null would read back as "no data": keep those 4 bytes in base64.
    if (json && *json != "null") {
      key("data");
      w.RawValue(json->data(), json->size(), rj::kObjectType);
    } else if (is_text_content_type(e.content_type()) && is_valid_utf8(e.data())) {
      member("data", e.data());
    } else {
      member("data_base64", base64_encode(e.data()));
    }
  }
  w.EndObject();
  out.append(buf.GetString(), buf.GetSize());
}

Result<EventPtr> parse_cloudevent_json(std::string_view json,
                                       const CloudEventDecodeOptions& options) {
  const JsonTextCheck check = check_json_text(json);
  switch (check.problem) {
    case JsonTextCheck::Problem::kNone:
      break;
    case JsonTextCheck::Problem::kInvalidUtf8:
      return syntax_error(check.offset, "invalid UTF-8");
    case JsonTextCheck::Problem::kLoneSurrogate:
      return syntax_error(check.offset,
                          "a \\u escape of half a UTF-16 surrogate pair (not a character)");
    case JsonTextCheck::Problem::kControlCharacter:
      if (options.raw_control_characters == RawControlCharacters::kEscape) {
        CloudEventDecodeOptions strict = options;
        strict.raw_control_characters = RawControlCharacters::kRefuse;
        return parse_cloudevent_json(escape_raw_control_characters(json), strict);
      }
      return control_character_error(json, check);
  }
  const std::string text = padded(json);
  CeHandler h;
  rj::Reader reader;
  rj::StringStream is(text.c_str());
  if (!reader.Parse<kParseFlags>(is, h)) {
    if (!h.error.empty()) return Status::InvalidArgument(h.error);
    return syntax_error(reader.GetErrorOffset(), rj::GetParseError_En(reader.GetParseErrorCode()));
  }
  if (is.Tell() != json.size()) return syntax_error(is.Tell(), "unexpected NUL byte");

  EventBuilder b;
  const CeHandler::Attr* found[6] = {};  // specversion, id, source, type, time, datacontenttype
  static constexpr std::string_view kCore[] = {"specversion", "id",   "source",
                                               "type",        "time", "datacontenttype"};
  std::string content_type;
  bool has_data_base64 = false;
  std::string data_base64;
  for (const auto& a : h.attrs) {
    const auto core = std::find(std::begin(kCore), std::end(kCore), a.name);
    if (core != std::end(kCore)) {
      if (a.is_null) continue;
      if (!a.is_string) return attr_error(a.name, "must be a string");
      found[core - std::begin(kCore)] = &a;
      continue;
    }
    if (a.is_null) continue;  // null attribute = absent
    if (a.name == "data_base64") {
      if (!a.is_string) return attr_error(a.name, "must be a base64 string");
      has_data_base64 = true;
      data_base64 = a.value;
    } else if (a.name == "priority") {
      auto p = parse_priority(a.value);
      if (!p.ok()) return attr_error(a.name, p.error().message());
      b.priority(*p);
    } else if (a.name == "correlationid" || a.name == "causationid" || a.name == "target" ||
               a.name == "stream") {
      if (!a.is_string) return attr_error(a.name, "must be a string");
      if (a.name == "correlationid")
        b.correlation_id(a.value);
      else if (a.name == "causationid")
        b.causation_id(a.value);
      else if (a.name == "target")
        b.target(a.value);
      else
        b.stream(a.value);
    } else {
      b.metadata(a.name, a.value);
    }
  }
  if (!found[0]) return attr_error("specversion", "is required (expected \"1.0\")");
  if (found[0]->value != "1.0")
    return attr_error("specversion", fmt::format("'{}' is not supported (expected \"1.0\")",
                                                 printable(found[0]->value)));
  if (found[1]) {
    auto id = Uuid::parse(found[1]->value);
    if (!id.ok())
      return attr_error("id", fmt::format("'{}' is not a UUID (Chorus event ids are UUIDs)",
                                          printable(found[1]->value)));
    if (id->is_nil()) return attr_error("id", "the nil UUID is not a valid event id");
    b.id(*id);
  } else if (options.require_id) {
    return attr_error("id", "is required");
  }
  if (!found[2]) return attr_error("source", "is required");
  b.source(found[2]->value);
  if (!found[3]) return attr_error("type", "is required");
  CHORUS_RETURN_IF_ERROR(validate_topic(found[3]->value, "cloudevent: attribute 'type':"));
  b.type(found[3]->value);
  if (found[4]) {
    auto t = parse_rfc3339(found[4]->value);
    if (!t.ok()) return attr_error("time", t.error().message());
    if (*t == 0) return attr_error("time", "the Unix epoch itself is reserved for 'unset'");
    b.time_ns(*t);
  }
  if (found[5]) content_type = found[5]->value;

  if (h.has_data && has_data_base64)
    return attr_error("data", "'data' and 'data_base64' may not both be present");
  if (has_data_base64) {
    auto bytes = base64_decode(data_base64);
    if (!bytes.ok()) return attr_error("data_base64", bytes.error().message());
    if (content_type.empty()) content_type = "application/octet-stream";
    b.data(std::move(*bytes), content_type);
  } else if (h.has_data && h.data_json != "null") {
    if (content_type.empty() || is_json_content_type(content_type)) {
      b.data(std::move(h.data_json), content_type);
    } else if (h.data_is_string) {
      b.data(std::move(h.data_string), content_type);
    } else {
      return attr_error("data", fmt::format("content type '{}' is not JSON, so 'data' must be a "
                                            "string (or use data_base64)",
                                            printable(content_type)));
    }
  } else if (!content_type.empty()) {
    b.content_type(content_type);
  }
  auto ev = b.build();
  if (!ev.ok()) return Status::InvalidArgument(fmt::format("cloudevent: {}", ev.error().message()));
  return ev;
}

}  // namespace chorus
