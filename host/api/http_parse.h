// parse_http_request: one HTTP/1.1 request from bytes, with the server's
// limits, into the API's Request, by the same parser settings, conversion
// and error answers the server uses on sockets (http_session.cpp). For the
// fuzzer and tests, which drive parsing and routing without a socket.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "api/api_options.h"
#include "api/http_message.h"

namespace chorus::api {

struct ParsedRequest {
  bool complete = false;          // false: the bytes end before the request does
  std::optional<Response> error;  // the answer to malformed or oversize input (400/413/431)
  Request request;                // when complete without error
  size_t consumed = 0;            // bytes the request took
};

ParsedRequest parse_http_request(std::string_view bytes, const ApiLimits& limits);

}  // namespace chorus::api
