// Router: the table of the API's routes and the dispatch of one parsed
// request to its handler: method and path matching with {name} segments,
// the bearer-token check, and the JSON errors for what matches nothing
// (404 listing the routes, 405 with Allow, 401 with WWW-Authenticate).
//
// Handlers complete the request through their Reply, at once or later from
// any thread. A handler that only builds JSON includes http_message.h, never
// Boost.Beast.
//
// Threading: add() before the first dispatch(); dispatch() is then
// thread-safe (the table is read-only). Handlers run on the connection's
// strand (an io thread): they must not block for long.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_message.h"

namespace chorus::api {

class TokenCheck;

// Who may call a route when tokens are configured.
enum class Access {
  kPublic,  // anyone (GET /healthz)
  kToken,   // a request with one of the tokens
};

using Handler = std::function<void(Request& request, Reply reply)>;

class Router {
 public:
  // `tokens` may be null (no checks); it must outlive the router.
  explicit Router(const TokenCheck* tokens = nullptr) : tokens_(tokens) {}

  // `pattern` is a path whose segments are literals or "{name}" (one whole,
  // non-empty segment, percent-decoded into Request::path_params).
  // REQUIRES: no dispatch() has started; the same method and pattern are
  // not added twice.
  void add(Method method, std::string_view pattern, Access access, Handler handler);

  // Finds the route and calls its handler, or replies with the error.
  void dispatch(Request& request, const Reply& reply) const;

  // "GET /healthz", ... in the order added.
  std::vector<std::string> routes() const;

 private:
  struct Route {
    Method method;
    std::string pattern;
    std::vector<std::string> segments;  // "{x}" for a parameter
    Access access;
    Handler handler;
  };
  // True when `segments` match the route; fills `params`.
  static bool match(const Route& r, const std::vector<std::string>& segments,
                    std::vector<std::pair<std::string, std::string>>& params);

  const TokenCheck* tokens_;
  std::vector<Route> routes_;
};

}  // namespace chorus::api
