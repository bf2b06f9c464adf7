// Helpers of the live commands (live_common.h).
#include "cli/live_common.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <unistd.h>

#include <fmt/core.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "cli/commands.h"
#include "cli/load_config.h"
#include "config/api_section.h"
#include "core/cloudevents.h"
#include "core/text.h"
#include "core/time_format.h"
#include "core/topic.h"
#include "core/uuid.h"

namespace chorus::cli {
namespace {

Status parse_addr(std::string text, ApiEndpoint& e) {
  if (text.starts_with("http://")) text = text.substr(7);
  while (!text.empty() && text.back() == '/')
    text.pop_back();
  std::string host;
  uint16_t port = 0;
  if (!config::split_listen_address(text, host, port) || host.empty() || port == 0)
    return Status::InvalidArgument(fmt::format(
        "address '{}' from {} is not host:port (e.g. 127.0.0.1:7070)", printable(text), e.source));
  // A listener on every address is reached on loopback.
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  e.host = host;
  e.port = port;
  return Status::OK();
}

bool is_json_valid(const std::string& s) {
  rapidjson::Reader reader;
  rapidjson::BaseReaderHandler<> h;
  rapidjson::StringStream is(s.c_str());
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
  return reader.Parse<kFlags>(is, h) && is.Tell() == s.size();
}

}  // namespace

Result<ApiEndpoint> resolve_endpoint(const Connect& c) {
  ApiEndpoint e;
  std::optional<config::Config> cfg;
  if (!c.config_path.empty()) {
    cfg = load_config_or_report(c.config_path, "cannot find the host");
    if (!cfg) return Status::InvalidArgument("");
  }
  const char* env_addr = std::getenv("CHORUS_ADDR");
  const char* env_token = std::getenv("CHORUS_TOKEN");
  if (!c.addr.empty()) {
    e.source = "--addr";
    CHORUS_RETURN_IF_ERROR(parse_addr(c.addr, e));
  } else if (env_addr && *env_addr) {
    e.source = "CHORUS_ADDR";
    CHORUS_RETURN_IF_ERROR(parse_addr(env_addr, e));
  } else if (cfg) {
    e.source = "api.listen in " + c.config_path;
    CHORUS_RETURN_IF_ERROR(parse_addr(cfg->api.listen, e));
  }
  if (!c.token.empty())
    e.token = c.token;
  else if (env_token && *env_token)
    e.token = env_token;
  else if (cfg && !cfg->api.tokens.empty())
    e.token = cfg->api.tokens.front();
  return e;
}

int report(const Status& s) {
  if (!s.message().empty()) fmt::print(stderr, "chorus: {}\n", s.message());
  switch (s.code()) {
    case StatusCode::kUnavailable:
      return kExitUnavailable;
    case StatusCode::kNotFound:
      return kExitNotFound;
    case StatusCode::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

Result<rapidjson::Document> parse_body(const HttpResult& r) {
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  if (d.HasParseError() || !d.IsObject())
    return Status::Internal(
        fmt::format("the host's answer is not a JSON object: {}", printable(r.body, 200)));
  return d;
}

std::optional<int> take_answer(const Result<HttpResult>& r, const ApiEndpoint& e, bool print_json,
                               rapidjson::Document& body, std::initializer_list<int> ok) {
  if (!r.ok()) return report(r.error());
  if (std::find(ok.begin(), ok.end(), r->status) == ok.end()) return report_http(*r, e);
  if (print_json) {
    fmt::print("{}\n", r->body);
    return kExitOk;
  }
  auto d = parse_body(*r);
  if (!d.ok()) return report(d.error());
  body = std::move(*d);
  return std::nullopt;
}

int report_http(const HttpResult& r, const ApiEndpoint& e) {
  std::string message = r.body;
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  if (!d.HasParseError() && d.IsObject() && d.HasMember("error") && d["error"].IsObject() &&
      d["error"].HasMember("message") && d["error"]["message"].IsString())
    message = d["error"]["message"].GetString();
  return report_http(r.status, message, e);
}

int report_http(int status, std::string_view message, const ApiEndpoint& e) {
  fmt::print(stderr, "chorus: {} (HTTP {} from {})\n", message, status, e.address());
  if (status == 401)
    fmt::print(stderr, "chorus: give the token with --token, CHORUS_TOKEN or --config\n");
  if (status == 404) return kExitNotFound;
  if (status == 503) return kExitUnavailable;
  return kExitFailure;
}

Result<EventPtr> event_from_flags(const EventFlags& f) {
  if (Status s = validate_topic(f.type, "TYPE"); !s.ok()) return s;
  EventBuilder b(f.type);
  b.source(f.source);
  if (!f.id.empty()) {
    auto id = Uuid::parse(f.id);
    if (!id.ok())
      return Status::InvalidArgument(fmt::format("--id '{}' is not a UUID", printable(f.id)));
    b.id(*id);
  }
  if (!f.target.empty()) b.target(f.target);
  if (!f.stream.empty()) b.stream(f.stream);
  if (!f.correlation.empty()) b.correlation_id(f.correlation);
  if (!f.causation.empty()) b.causation_id(f.causation);
  if (!f.priority.empty()) {
    auto p = parse_priority(f.priority);
    if (!p.ok()) return Status::InvalidArgument(fmt::format("--priority: {}", p.error().message()));
    b.priority(*p);
  }
  for (const std::string& kv : f.meta) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return Status::InvalidArgument(fmt::format("--meta '{}' is not key=value", printable(kv)));
    b.metadata(kv.substr(0, eq), kv.substr(eq + 1));
  }
  std::string data = f.data;
  if (!f.data_file.empty()) {
    if (!f.data.empty())
      return Status::InvalidArgument("--data and --data-file may not both be given");
    std::ostringstream buf;
    if (f.data_file == "-") {
      buf << std::cin.rdbuf();
    } else {
      std::ifstream in(f.data_file, std::ios::binary);
      if (!in)
        return Status::InvalidArgument(
            fmt::format("--data-file {}: cannot be read", printable(f.data_file)));
      buf << in.rdbuf();
    }
    data = buf.str();
  }
  if (!data.empty()) {
    if ((f.content_type.empty() || is_json_content_type(f.content_type)) && !is_json_valid(data))
      return Status::InvalidArgument(fmt::format(
          "--data is not valid JSON: '{}' (quote strings: '\"text\"', or give --content-type "
          "text/plain)",
          printable(data, 60)));
    b.data(data, f.content_type);
  } else if (!f.content_type.empty()) {
    b.content_type(f.content_type);
  }
  auto ev = b.build();
  if (!ev.ok()) return Status::InvalidArgument(ev.error().message());
  return ev;
}

bool stdout_is_tty() {
  return ::isatty(STDOUT_FILENO) == 1;
}

std::string event_line(const Event& e, bool colour) {
  const std::string time = format_rfc3339(e.time_ns());
  std::string data = std::string(e.data());
  for (char& c : data)
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  if (!data.empty() && !is_json_content_type(e.content_type()) &&
      !e.content_type().starts_with("text/"))
    data = fmt::format("({} bytes of {})", e.data().size(), e.content_type());
  data = printable(data, 120);
  const std::string where =
      e.stream().empty() ? std::string() : fmt::format(" [{}]", printable(e.stream()));
  // Critical and high priority stand out; the type is the thing to see.
  const char* type_colour = e.priority() == Priority::kCritical ? "\033[1;31m"
                            : e.priority() == Priority::kHigh   ? "\033[1;33m"
                                                                : "\033[1;36m";
  if (!colour)
    return fmt::format("{} {} {}{} {}", time, e.type(), printable(e.source()), where, data);
  return fmt::format("\033[2m{}\033[0m {}{}\033[0m \033[32m{}\033[0m{} {}", time, type_colour,
                     e.type(), printable(e.source()), where, data);
}

std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer b;
  rapidjson::Writer<rapidjson::StringBuffer> w(b);
  v.Accept(w);
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace chorus::cli
