// The CLI's HTTP and WebSocket client (api_client.h), on Boost.Beast. The
// only Beast translation unit of host/cli: every operation is asynchronous
// on a private io_context so that each has a deadline.
#include "cli/api_client.h"

#include <utility>  // before Asio: 1.74's headers need std::exchange

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <fmt/core.h>
#include <rapidjson/document.h>

namespace chorus::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

std::string_view view(beast::string_view s) {
  return {s.data(), s.size()};
}

// Runs the io_context until the operation started on it completes.
void run(asio::io_context& io) {
  io.restart();
  io.run();
}

Status unreachable(const ApiEndpoint& e, const beast::error_code& ec) {
  return Status::Unavailable(fmt::format(
      "no chorus host answers at {} ({}; address from {}): is the host running, with the API "
      "enabled?",
      e.address(), ec.message(), e.source));
}

// The "message" of a JSON error body, or the body itself.
std::string error_message(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  if (!d.HasParseError() && d.IsObject() && d.HasMember("error") && d["error"].IsObject() &&
      d["error"].HasMember("message") && d["error"]["message"].IsString())
    return d["error"]["message"].GetString();
  return body;
}

Status connect(asio::io_context& io, beast::tcp_stream& stream, const ApiEndpoint& e,
               std::chrono::milliseconds timeout) {
  tcp::resolver resolver(io);
  beast::error_code ec;
  const auto results = resolver.resolve(e.host, std::to_string(e.port), ec);
  if (ec) return unreachable(e, ec);
  stream.expires_after(timeout);
  stream.async_connect(results, [&](const beast::error_code& c, const tcp::endpoint&) { ec = c; });
  run(io);
  if (ec) return unreachable(e, ec);
  return Status::OK();
}

}  // namespace

std::string ApiEndpoint::address() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

ApiClient::ApiClient(ApiEndpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {}

Result<HttpResult> ApiClient::request(
    std::string_view method, std::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  CHORUS_RETURN_IF_ERROR(connect(io, stream, endpoint_, timeout_));

  http::request<http::string_body> req;
  req.method_string(beast::string_view(method.data(), method.size()));
  req.target(beast::string_view(target.data(), target.size()));
  req.version(11);
  req.set(http::field::host, endpoint_.address());
  req.set(http::field::user_agent, "chorus-cli");
  if (!endpoint_.token.empty()) req.set(http::field::authorization, "Bearer " + endpoint_.token);
  for (const auto& [k, v] : headers)
    req.set(k, v);
  req.body() = std::string(body);
  req.keep_alive(false);
  req.prepare_payload();

  beast::error_code ec;
  stream.expires_after(timeout_);
  http::async_write(stream, req, [&](const beast::error_code& c, size_t) { ec = c; });
  run(io);
  if (ec)
    return Status::IOError(
        fmt::format("sending the request to {} failed: {}", endpoint_.address(), ec.message()));
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(1ull << 30);
  stream.expires_after(timeout_);
  http::async_read(stream, buffer, parser, [&](const beast::error_code& c, size_t) { ec = c; });
  run(io);
  if (ec)
    return Status::IOError(
        fmt::format("reading the answer from {} failed: {}", endpoint_.address(), ec.message()));
  auto res = parser.release();
  HttpResult out;
  out.status = static_cast<int>(res.result_int());
  out.content_type = std::string(view(res[http::field::content_type]));
  out.body = std::move(res.body());
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  return out;
}

Result<TailEnd> ApiClient::tail(std::string_view target, const std::function<void()>& on_open,
                                const std::function<bool(std::string_view)>& on_message,
                                int* refused_status) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  CHORUS_RETURN_IF_ERROR(connect(io, stream, endpoint_, timeout_));
  websocket::stream<beast::tcp_stream> ws(std::move(stream));
  ws.set_option(websocket::stream_base::decorator([this](websocket::request_type& r) {
    r.set(http::field::user_agent, "chorus-cli");
    if (!endpoint_.token.empty()) r.set(http::field::authorization, "Bearer " + endpoint_.token);
  }));
  websocket::response_type refusal;
  beast::error_code ec;
  beast::get_lowest_layer(ws).expires_after(timeout_);
  ws.async_handshake(refusal, endpoint_.address(), beast::string_view(target.data(), target.size()),
                     [&](const beast::error_code& c) { ec = c; });
  run(io);
  if (ec) {
    if (refused_status) *refused_status = static_cast<int>(refusal.result_int());
    if (ec == websocket::error::upgrade_declined)
      return Status::InvalidArgument(error_message(refusal.body()));
    return Status::IOError(
        fmt::format("opening the tail on {} failed: {}", endpoint_.address(), ec.message()));
  }
  // The host pings an idle tail; reads have no deadline of their own.
  beast::get_lowest_layer(ws).expires_never();
  websocket::stream_base::timeout t =
      websocket::stream_base::timeout::suggested(beast::role_type::client);
  ws.set_option(t);
  if (on_open) on_open();
  beast::flat_buffer buffer;
  for (;;) {
    buffer.clear();
    ws.async_read(buffer, [&](const beast::error_code& c, size_t) { ec = c; });
    run(io);
    if (ec == websocket::error::closed) {
      const auto& cr = ws.reason();
      return TailEnd{static_cast<int>(cr.code), std::string(cr.reason.data(), cr.reason.size())};
    }
    if (ec)
      return Status::IOError(
          fmt::format("the tail on {} broke: {}", endpoint_.address(), ec.message()));
    const auto data = buffer.data();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    if (!on_message(text)) {
      ws.async_close(websocket::close_code::normal, [&](const beast::error_code& c) { ec = c; });
      run(io);
      return TailEnd{1000, "closed by the client"};
    }
  }
}

}  // namespace chorus::cli
