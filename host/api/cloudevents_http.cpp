// The CloudEvents HTTP binding: mode detection, structured and batch bodies
// through core/cloudevents.h, and binary mode from ce-* headers.
#include "api/cloudevents_http.h"

#include <algorithm>

#include <fmt/core.h>
#include <rapidjson/reader.h>

#include "api/query.h"
#include "core/cloudevents.h"
#include "core/text.h"
#include "core/time_format.h"
#include "core/topic.h"
#include "core/uuid.h"

namespace chorus::api {
namespace {

constexpr std::string_view kStructured = "application/cloudevents+json";
constexpr std::string_view kBatch = "application/cloudevents-batch+json";
constexpr size_t kMaxBatch = 10'000;  // events in one batch request

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t skip_ws(std::string_view s, size_t i) {
  while (i < s.size() && is_ws(s[i]))
    ++i;
  return i;
}

Status header_error(std::string_view header, std::string why) {
  return Status::InvalidArgument(
      fmt::format("cloudevent (binary mode): header '{}': {}", header, why));
}

// True when `data` is one JSON value (any depth: the parser is iterative).
bool is_json(const std::string& data) {
  if (!is_valid_utf8(data)) return false;
  rapidjson::Reader reader;
  rapidjson::BaseReaderHandler<> h;
  rapidjson::StringStream is(data.c_str());
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
  if (!reader.Parse<kFlags>(is, h)) return false;
  return is.Tell() == data.size();
}

}  // namespace

std::string media_type(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  while (!ct.empty() && is_ws(ct.front()))
    ct.remove_prefix(1);
  while (!ct.empty() && is_ws(ct.back()))
    ct.remove_suffix(1);
  std::string out(ct);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; });
  return out;
}

Result<CloudEventsMode> cloudevents_mode(const Request& req) {
  const std::string mt = media_type(req.header("content-type"));
  if (mt == kStructured) return CloudEventsMode::kStructured;
  if (mt == kBatch) return CloudEventsMode::kBatch;
  if (req.has_header("ce-specversion")) return CloudEventsMode::kBinary;
  return Status::NotSupported(fmt::format(
      "the request is not a CloudEvent: Content-Type '{}' without a ce-specversion header (use "
      "Content-Type application/cloudevents+json for one event as JSON, "
      "application/cloudevents-batch+json for a JSON array of them, or ce-specversion, ce-type "
      "and ce-source headers with the data as the body)",
      printable(req.header("content-type"))));
}

Result<std::vector<std::string_view>> split_json_array(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = skip_ws(s, 0);
  if (i >= s.size() || s[i] != '[')
    return Status::InvalidArgument(
        fmt::format("batch: expected a JSON array of CloudEvents at byte {}", i));
  i = skip_ws(s, i + 1);
  if (i < s.size() && s[i] == ']') {
    i = skip_ws(s, i + 1);
  } else {
    for (;;) {
      const size_t start = i;
      size_t depth = 0;
      while (i < s.size()) {
        const char c = s[i];
        if (c == '"') {  // a string: skip to its closing quote
          for (++i; i < s.size() && s[i] != '"'; ++i)
            if (s[i] == '\\') ++i;
        } else if (c == '{' || c == '[') {
          ++depth;
        } else if (c == '}' || c == ']') {
          if (depth == 0) break;
          --depth;
        } else if (c == ',' && depth == 0) {
          break;
        }
        ++i;
      }
      // A string cut by the end of the body (a lone quote, or a backslash
      // as the last byte) leaves i past the end: the element ends there.
      i = std::min(i, s.size());
      size_t end = i;
      while (end > start && is_ws(s[end - 1]))
        --end;
      if (end == start)
        return Status::InvalidArgument(
            fmt::format("batch: element [{}] is empty (byte {})", out.size(), start));
      if (i >= s.size())
        return Status::InvalidArgument(
            fmt::format("batch: the array is not closed (expected ']' at byte {})", s.size()));
      if (s[i] == '}')
        return Status::InvalidArgument(fmt::format("batch: unexpected '}}' at byte {}", i));
      out.push_back(s.substr(start, end - start));
      if (out.size() > kMaxBatch)
        return Status::InvalidArgument(
            fmt::format("batch: more than {} events in one request", kMaxBatch));
      const bool last = s[i] == ']';
      i = skip_ws(s, i + 1);
      if (last) break;
    }
  }
  if (i != s.size())
    return Status::InvalidArgument(
        fmt::format("batch: unexpected text after the array at byte {}", i));
  return out;
}

Result<EventPtr> decode_binary_cloudevent(const Request& req) {
  EventBuilder b;
  bool has[4] = {};  // specversion, id, source, type
  std::vector<std::string_view> seen;
  for (const Header& h : req.headers) {
    if (!h.name.starts_with("ce-")) continue;
    const std::string_view attr = std::string_view(h.name).substr(3);
    if (std::find(seen.begin(), seen.end(), attr) != seen.end())
      return header_error(h.name, "appears more than once");
    seen.push_back(attr);
    auto decoded = percent_decode(h.value, false);
    if (!decoded.ok()) return header_error(h.name, decoded.error().message());
    const std::string& v = *decoded;
    if (attr == "specversion") {
      if (v != "1.0")
        return header_error(h.name,
                            fmt::format("'{}' is not supported (expected 1.0)", printable(v)));
      has[0] = true;
    } else if (attr == "id") {
      auto id = Uuid::parse(v);
      if (!id.ok() || id->is_nil())
        return header_error(
            h.name, fmt::format("'{}' is not a UUID (Chorus event ids are UUIDs)", printable(v)));
      b.id(*id);
      has[1] = true;
    } else if (attr == "source") {
      b.source(v);
      has[2] = true;
    } else if (attr == "type") {
      if (Status s =
              validate_topic(v, fmt::format("cloudevent (binary mode): header '{}':", h.name));
          !s.ok())
        return s;
      b.type(v);
      has[3] = true;
    } else if (attr == "time") {
      auto t = parse_rfc3339(v);
      if (!t.ok()) return header_error(h.name, t.error().message());
      if (*t == 0) return header_error(h.name, "the Unix epoch itself is reserved for 'unset'");
      b.time_ns(*t);
    } else if (attr == "datacontenttype") {
      return header_error(h.name,
                          "in binary mode the data's media type is the Content-Type "
                          "header (ce-datacontenttype is not used)");
    } else if (attr == "data" || attr == "data_base64") {
      return header_error(h.name, "in binary mode the data is the body");
    } else if (attr == "priority") {
      auto p = parse_priority(v);
      if (!p.ok()) return header_error(h.name, p.error().message());
      b.priority(*p);
    } else if (attr == "correlationid") {
      b.correlation_id(v);
    } else if (attr == "causationid") {
      b.causation_id(v);
    } else if (attr == "target") {
      b.target(v);
    } else if (attr == "stream") {
      b.stream(v);
    } else {
      b.metadata(attr, v);
    }
  }
  if (!has[0]) return header_error("ce-specversion", "is required (expected 1.0)");
  if (!has[2]) return header_error("ce-source", "is required");
  if (!has[3]) return header_error("ce-type", "is required");
  const std::string_view ct = req.header("content-type");
  if (!req.body.empty()) {
    if ((ct.empty() || is_json_content_type(ct)) && !is_json(req.body))
      return Status::InvalidArgument(fmt::format(
          "cloudevent (binary mode): the body is not valid JSON, but Content-Type is '{}' (send "
          "another Content-Type for other data)",
          ct.empty() ? std::string("absent, which means application/json") : printable(ct)));
    b.data(req.body, ct);
  } else if (!ct.empty()) {
    b.content_type(ct);
  }
  auto ev = b.build();
  if (!ev.ok())
    return Status::InvalidArgument(
        fmt::format("cloudevent (binary mode): {}", ev.error().message()));
  return ev;
}

Result<std::vector<EventPtr>> decode_cloudevents(const Request& req, CloudEventsMode mode) {
  std::vector<EventPtr> out;
  CloudEventDecodeOptions opts;
  opts.require_id = false;
  switch (mode) {
    case CloudEventsMode::kStructured: {
      CHORUS_ASSIGN_OR_RETURN(EventPtr e, parse_cloudevent_json(req.body, opts));
      out.push_back(std::move(e));
      break;
    }
    case CloudEventsMode::kBatch: {
      CHORUS_ASSIGN_OR_RETURN(std::vector<std::string_view> items, split_json_array(req.body));
      if (items.empty()) return Status::InvalidArgument("batch: the array is empty");
      out.reserve(items.size());
      for (size_t i = 0; i < items.size(); ++i) {
        auto e = parse_cloudevent_json(items[i], opts);
        if (!e.ok()) return e.error().with_context(fmt::format("batch: event [{}]", i));
        out.push_back(std::move(*e));
      }
      break;
    }
    case CloudEventsMode::kBinary: {
      CHORUS_ASSIGN_OR_RETURN(EventPtr e, decode_binary_cloudevent(req));
      out.push_back(std::move(e));
      break;
    }
  }
  return out;
}

}  // namespace chorus::api
