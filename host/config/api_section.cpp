// Parsing of the `api:` section (keys in docs/config.md "api").
#include "config/api_section.h"

#include <algorithm>
#include <charconv>

#include <fmt/core.h>

#include "config/yaml_reader.h"
#include "core/text.h"

namespace chorus::config {
namespace {

using std::chrono::milliseconds;

std::string check_listen(const std::string& v) {
  std::string host;
  uint16_t port = 0;
  if (!split_listen_address(v, host, port) || host.empty())
    return fmt::format(
        "'{}' is not a listen address (expected host:port, e.g. 127.0.0.1:7070 or "
        "[::1]:7070)",
        printable(v));
  return {};
}

std::string check_token(const std::string& v) {
  if (v.empty()) return "a token is empty (expected 1 to 4096 visible ASCII characters)";
  if (v.size() > 4096) return "a token is longer than 4096 bytes";
  const bool visible = std::all_of(v.begin(), v.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (!visible) return "a token may hold only visible ASCII characters (no spaces)";
  return {};
}

bool is_ipv4_loopback(const std::string& h) {
  // Four decimal octets, the first 127.
  int octets = 0;
  size_t i = 0;
  int first = -1;
  while (i <= h.size()) {
    size_t dot = h.find('.', i);
    if (dot == std::string::npos) dot = h.size();
    int v = 0;
    auto [p, ec] = std::from_chars(h.data() + i, h.data() + dot, v);
    if (ec != std::errc() || p != h.data() + dot || dot == i || v > 255) return false;
    if (first < 0) first = v;
    ++octets;
    i = dot + 1;
  }
  return octets == 4 && first == 127;
}

}  // namespace

bool split_listen_address(const std::string& listen, std::string& host, uint16_t& port) {
  size_t colon;
  if (!listen.empty() && listen.front() == '[') {
    const size_t close = listen.find(']');
    if (close == std::string::npos || close + 1 >= listen.size() || listen[close + 1] != ':')
      return false;
    host = listen.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = listen.rfind(':');
    if (colon == std::string::npos) return false;
    host = listen.substr(0, colon);
    if (host.find(':') != std::string::npos) return false;  // IPv6 needs brackets
  }
  const std::string p = listen.substr(colon + 1);
  unsigned v = 0;
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
  if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "::1" || is_ipv4_loopback(host);
}

void parse_api_section(MapReader& r, ApiSection& out) {
  r.boolean("enabled", out.enabled);
  r.string("listen", out.listen, check_listen);
  r.string_list("tokens", out.tokens, check_token);
  if (auto req = r.map("requests")) {
    req->duration("default_timeout", out.request_default_timeout, milliseconds(1),
                  milliseconds(3'600'000));
    req->duration("max_timeout", out.request_max_timeout, milliseconds(1), milliseconds(3'600'000));
    if (out.request_max_timeout < out.request_default_timeout)
      req->bad_value("max_timeout", fmt::format("{}ms is below api.requests.default_timeout ({}ms)",
                                                out.request_max_timeout.count(),
                                                out.request_default_timeout.count()));
    req->finish();
  }
  if (auto lim = r.map("limits")) {
    lim->bytes("body", out.max_body, 1024, 1ull << 30);
    lim->bytes("header", out.max_header, 1024, 1ull << 20);
    lim->integer("connections", out.max_connections, 1, 1'000'000);
    lim->duration("idle_timeout", out.idle_timeout, milliseconds(100), milliseconds(86'400'000));
    lim->duration("read_timeout", out.read_timeout, milliseconds(100), milliseconds(3'600'000));
    lim->integer("requests_per_connection", out.requests_per_connection, 0, 1'000'000'000);
    lim->finish();
  }
  if (auto tail = r.map("tail")) {
    tail->integer("queue", out.tail_queue, 1, 100'000'000);
    tail->duration("close_timeout", out.tail_close_timeout, milliseconds(1), milliseconds(600'000));
    tail->finish();
  }
  std::string host;
  uint16_t port = 0;
  if (out.tokens.empty() && split_listen_address(out.listen, host, port) && !is_loopback_host(host))
    r.bad_value(r.has("tokens") ? "tokens" : "listen",
                fmt::format("api.listen '{}' is beyond loopback, so api.tokens must list at "
                            "least one bearer token (e.g. tokens: [\"${{CHORUS_API_TOKEN}}\"]), "
                            "or listen on 127.0.0.1",
                            printable(out.listen)));
  r.finish();
}

}  // namespace chorus::config
