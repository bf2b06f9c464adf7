// The API's own view of one HTTP exchange: a Request as parsed from the
// wire, the Response a handler makes, and Reply, the once-only handle a
// handler completes it through (now, or later from any thread). Route
// handlers see only these types: they never include Boost.Beast, which
// stays in the two files that speak HTTP (http_parse.cpp, http_server.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace chorus::api {

enum class Method : uint8_t { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kOther };
std::string_view method_name(Method m) noexcept;

struct Header {
  std::string name;  // lower case
  std::string value;
};

struct Request {
  Method method = Method::kGet;
  std::string method_text;  // as received ("GET", or the unknown verb)
  std::string target;       // as received: path and query
  std::string path;         // the target up to '?', not decoded
  std::string query;        // after '?', not decoded
  std::vector<Header> headers;
  std::string body;
  bool keep_alive = true;
  bool websocket_upgrade = false;  // Connection: upgrade + Upgrade: websocket
  // Filled by the router: the route's {name} segments, percent-decoded.
  std::vector<std::pair<std::string, std::string>> path_params;

  // The value of header `lower_name` (first one), "" when absent.
  std::string_view header(std::string_view lower_name) const noexcept;
  bool has_header(std::string_view lower_name) const noexcept;
  // The path parameter `name` (route "{name}"), "" when absent.
  std::string_view param(std::string_view name) const noexcept;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<Header> headers;  // besides Content-Type/Length and Connection
  bool close = false;           // close the connection after this response
  // Set by the tail route: accept the WebSocket upgrade and stream events
  // matching these patterns (ws_tail.cpp), in batches when tail_batch.
  std::vector<std::string> tail_patterns;
  bool tail_batch = false;
};

// Status and JSON body; the content type is application/json.
Response json_response(int status, std::string body);
// {"error":{"code":code,"message":message}}.
Response error_response(int status, std::string_view code, std::string_view message);
// The HTTP status of a Status code and the error body naming it
// (status_code_name() as the code).
Response error_response(const Status& s);
int http_status_of(StatusCode code) noexcept;
// The reason phrase of an HTTP status ("Not Found").
std::string_view reason_phrase(int status) noexcept;

// Completes one request exactly once. Copyable; every copy refers to the
// same request. send() may be called from any thread; the first call is
// delivered to the connection, later calls are ignored (so a request can be
// raced by its handler, a timeout and a shutdown without harm). When the
// last copy goes away unsent, the request is answered 500.
class Reply {
 public:
  using Sink = std::function<void(Response)>;
  explicit Reply(Sink sink);
  void send(Response response) const;
  bool sent() const noexcept;

 private:
  struct State;

 public:
  // A reference that does not keep the request open (the server keeps one
  // to answer 503 when it stops): send() does nothing once every Reply is
  // gone.
  class Weak {
   public:
    void send(Response response) const;

   private:
    friend class Reply;
    std::weak_ptr<State> state_;
  };
  Weak weak() const;

 private:
  static void deliver(State& s, Response response);
  std::shared_ptr<State> state_;
};

}  // namespace chorus::api
