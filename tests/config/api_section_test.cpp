// The `api:` configuration section: defaults, every key, the loopback and
// token rule, and errors with file:line:col. (Its mapping onto ApiOptions:
// tests/runtime.)
#include <catch2/catch.hpp>

#include "config/config.h"

using namespace chorus;
using namespace chorus::config;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> errors_of(const std::string& yaml) {
  ConfigErrors errors;
  auto r = parse_config(yaml, "test.yaml", {}, &errors);
  std::vector<std::string> out;
  for (const auto& e : errors.errors)
    out.push_back(e.to_string());
  return out;
}

}  // namespace

TEST_CASE("api config: defaults") {
  ApiSection a;
  CHECK(a.enabled);
  CHECK(a.listen == "127.0.0.1:7070");
  CHECK(a.tokens.empty());
  auto r = parse_config("api: {}\n", "t.yaml");
  REQUIRE(r.ok());
  CHECK(r->api == ApiSection{});
  CHECK(default_config().api == ApiSection{});
}

TEST_CASE("api config: every key") {
  const char* yaml = R"(api:
  enabled: false
  listen: 0.0.0.0:8080
  tokens: ["s3cret-token", "${TOK}"]
  requests:
    default_timeout: 2s
    max_timeout: 30s
  limits:
    body: 4MiB
    header: 8KiB
    connections: 64
    idle_timeout: 5s
    read_timeout: 2s
    requests_per_connection: 0
  tail:
    queue: 500
    close_timeout: 1s
)";
  LoadOptions lo;
  lo.env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "TOK") return std::string("from-env");
    return std::nullopt;
  };
  auto r = parse_config(yaml, "t.yaml", lo);
  INFO(r.status().to_string());
  REQUIRE(r.ok());
  const ApiSection& a = r->api;
  CHECK_FALSE(a.enabled);
  CHECK(a.listen == "0.0.0.0:8080");
  CHECK(a.tokens == std::vector<std::string>{"s3cret-token", "from-env"});
  CHECK(a.request_default_timeout == 2s);
  CHECK(a.request_max_timeout == 30s);
  CHECK(a.max_body == 4u << 20);
  CHECK(a.max_header == 8u << 10);
  CHECK(a.max_connections == 64);
  CHECK(a.idle_timeout == 5s);
  CHECK(a.read_timeout == 2s);
  CHECK(a.requests_per_connection == 0);
  CHECK(a.tail_queue == 500);
  CHECK(a.tail_close_timeout == 1s);
}

TEST_CASE("api config: listening beyond loopback needs a token") {
  auto errs = errors_of("api:\n  listen: 0.0.0.0:7070\n");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].find("test.yaml:2:11: api.listen: api.listen '0.0.0.0:7070' is beyond loopback, "
                     "so api.tokens must list at least one bearer token") == 0);
  errs = errors_of("api:\n  listen: 192.168.1.5:7070\n  tokens: []\n");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].find("test.yaml:3:11: api.tokens: ") == 0);
  // Loopback in every spelling needs none.
  for (const char* l : {"127.0.0.1:7070", "127.1.2.3:1", "localhost:7070", "[::1]:7070"}) {
    INFO(l);
    CHECK(errors_of(std::string("api:\n  listen: \"") + l + "\"\n").empty());
  }
  CHECK(errors_of("api:\n  listen: \"[::]:7070\"\n  tokens: [abc]\n").empty());
}

TEST_CASE("api config: bad values name the key") {
  CHECK(errors_of("api:\n  listen: 127.0.0.1\n") ==
        std::vector<std::string>{"test.yaml:2:11: api.listen: '127.0.0.1' is not a listen "
                                 "address (expected host:port, e.g. 127.0.0.1:7070 or "
                                 "[::1]:7070)"});
  CHECK(errors_of("api:\n  listen: 127.0.0.1:70000\n").size() == 1);
  CHECK(errors_of("api:\n  listen: \"::1:7070\"\n").size() == 1);
  auto errs = errors_of("api:\n  tokens: [\"has space\"]\n");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].find("api.tokens") != std::string::npos);
  CHECK(errs[0].find("visible ASCII") != std::string::npos);
  errs = errors_of("api:\n  requests:\n    default_timeout: 10s\n    max_timeout: 5s\n");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].find("api.requests.max_timeout: 5000ms is below") != std::string::npos);
  errs = errors_of("api:\n  limits:\n    bodyy: 1MiB\n");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].find("did you mean 'body'?") != std::string::npos);
  errs = errors_of("api:\n  limits:\n    connections: 0\n");
  REQUIRE(errs.size() == 1);
  CHECK(errs[0].find("api.limits.connections: 0 is out of range") != std::string::npos);
}

TEST_CASE("api config: listen addresses split into host and port") {
  std::string host;
  uint16_t port = 0;
  REQUIRE(split_listen_address("127.0.0.1:7070", host, port));
  CHECK(host == "127.0.0.1");
  CHECK(port == 7070);
  REQUIRE(split_listen_address("[::1]:0", host, port));
  CHECK(host == "::1");
  CHECK(port == 0);
  CHECK_FALSE(split_listen_address("[::1:80", host, port));
  CHECK_FALSE(split_listen_address("host:", host, port));
  CHECK(is_loopback_host("127.0.0.1"));
  CHECK(is_loopback_host("localhost"));
  CHECK(is_loopback_host("::1"));
  CHECK_FALSE(is_loopback_host("0.0.0.0"));
  CHECK_FALSE(is_loopback_host("127.0.0"));
  CHECK_FALSE(is_loopback_host("127.0.0.256"));
  CHECK_FALSE(is_loopback_host("example.com"));
}
