// The Boost.Beast side of the server (private to host/api; included only by
// http_session.cpp and ws_tail.cpp, the two Beast translation units): the
// message types, the conversion of a parsed Beast request into the API's
// Request and of a Response into a Beast response, and the WebSocket tail
// session the HTTP session hands an upgraded connection to.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "api/http_message.h"
#include "api/server_state.h"

namespace chorus::api {

namespace beast = boost::beast;
namespace http = boost::beast::http;

using BeastRequest = http::request<http::string_body>;
using BeastResponse = http::response<http::string_body>;

// The API's view of `req` (headers lower-cased; the body moved out).
Request to_request(BeastRequest& req);
// The Beast response for `r`; keep_alive sets the Connection header.
BeastResponse to_beast(Response&& r, unsigned version, bool keep_alive);
// The answer to a read error (malformed 400, body 413, header 431, slow
// 408); nullopt when the peer just closed or the read was cancelled.
std::optional<Response> read_error_response(const beast::error_code& ec);

// How a tail sends events: one CloudEvent per message, or (batch) a JSON
// array of the events queued at that moment per message, the CloudEvents
// batch format.
enum class TailFormat { kSingle, kBatch };

// Runs the WebSocket tail of `patterns` on the upgraded connection until
// the client leaves, falls behind or the server stops (ws_tail.cpp).
boost::asio::awaitable<void> run_tail(std::shared_ptr<ServerState> state,
                                      std::shared_ptr<Conn> conn, asio::ip::tcp::socket socket,
                                      BeastRequest upgrade, std::vector<std::string> patterns,
                                      TailFormat format);

}  // namespace chorus::api
