// Route matching and dispatch (router.h).
#include "api/router.h"

#include <fmt/core.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/query.h"
#include "api/token_check.h"
#include "core/text.h"

namespace chorus::api {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/') return out;
  size_t i = 1;
  while (i <= path.size()) {
    size_t slash = path.find('/', i);
    if (slash == std::string_view::npos) slash = path.size();
    out.emplace_back(path.substr(i, slash - i));
    i = slash + 1;
  }
  return out;
}

bool is_param(std::string_view seg) {
  return seg.size() > 2 && seg.front() == '{' && seg.back() == '}';
}

Response not_found(const Request& req, const std::vector<std::string>& routes) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  const std::string msg =
      fmt::format("no route for {} {} (the routes are listed in error.routes and docs/api.md)",
                  req.method_text, printable(req.path));
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("code");
  w.String("not_found");
  w.Key("message");
  w.String(msg);
  w.Key("routes");
  w.StartArray();
  for (const std::string& r : routes)
    w.String(r);
  w.EndArray();
  w.EndObject();
  w.EndObject();
  return json_response(404, std::string(buf.GetString(), buf.GetSize()));
}

}  // namespace

void Router::add(Method method, std::string_view pattern, Access access, Handler handler) {
  routes_.push_back(
      Route{method, std::string(pattern), split_path(pattern), access, std::move(handler)});
}

std::vector<std::string> Router::routes() const {
  std::vector<std::string> out;
  for (const Route& r : routes_)
    out.push_back(fmt::format("{} {}", method_name(r.method), r.pattern));
  return out;
}

bool Router::match(const Route& r, const std::vector<std::string>& segments,
                   std::vector<std::pair<std::string, std::string>>& params) {
  if (r.segments.size() != segments.size()) return false;
  params.clear();
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& want = r.segments[i];
    if (is_param(want)) {
      if (segments[i].empty()) return false;
      params.emplace_back(want.substr(1, want.size() - 2), segments[i]);
    } else if (want != segments[i]) {
      return false;
    }
  }
  return true;
}

void Router::dispatch(Request& req, const Reply& reply) const {
  const std::vector<std::string> segments = split_path(req.path);
  std::vector<std::pair<std::string, std::string>> params;
  const Route* found = nullptr;
  std::string allowed;
  for (const Route& r : routes_) {
    if (!match(r, segments, params)) continue;
    if (r.method == req.method) {
      found = &r;
      break;
    }
    if (!allowed.empty()) allowed += ", ";
    allowed += method_name(r.method);
  }
  const bool needs_token = !found || found->access == Access::kToken;
  if (needs_token && tokens_) {
    // Before 404/405 too: without a token nothing is told about the routes.
    const TokenCheck::Outcome auth = tokens_->check(req.header("authorization"));
    if (auth != TokenCheck::Outcome::kOk) {
      std::string_view why =
          auth == TokenCheck::Outcome::kMissing
              ? "this host requires a bearer token: send 'Authorization: Bearer TOKEN' "
                "(chorus: --token or CHORUS_TOKEN)"
          : auth == TokenCheck::Outcome::kMalformed
              ? "the Authorization header is not 'Bearer TOKEN'"
              : "the bearer token is not one of api.tokens";
      Response resp = error_response(401, "unauthorized", why);
      resp.headers.push_back({"www-authenticate", "Bearer realm=\"chorus\""});
      return reply.send(std::move(resp));
    }
  }
  if (!found) {
    if (allowed.empty()) return reply.send(not_found(req, routes()));
    Response resp =
        error_response(405, "method_not_allowed",
                       fmt::format("{} {} is not a route; this path takes {}",
                                   printable(req.method_text), printable(req.path), allowed));
    resp.headers.push_back({"allow", allowed});
    return reply.send(std::move(resp));
  }
  // Parameters are decoded only for the route that matched.
  for (auto& [name, value] : params) {
    auto decoded = percent_decode(value, false);
    if (!decoded.ok())
      return reply.send(
          error_response(400, "invalid_argument",
                         fmt::format("path parameter '{}': {}", name, decoded.error().message())));
    value = std::move(*decoded);
  }
  req.path_params = std::move(params);
  try {
    found->handler(req, reply);
  } catch (const std::exception& e) {
    // A bug or an allocation failure: the request fails, the host goes on.
    reply.send(error_response(
        500, "internal", fmt::format("{} {}: {}", req.method_text, printable(req.path), e.what())));
  }
}

}  // namespace chorus::api
