// One HTTP/1.1 connection of the API server, as a coroutine on its own
// strand: wait for a request (idle timeout), read it whole (read timeout,
// header and body limits, `Expect: 100-continue`), dispatch it through the
// router, write the response (keep-alive until the client, the request
// limit or a stop ends it), log it. A GET /v1/tail that the router accepts
// becomes a WebSocket tail (ws_tail.cpp). Also the Beast <-> API message
// conversions and parse_http_request() for the fuzzer.
#include <chrono>
#include <utility>  // before Asio: 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <fmt/core.h>

#include "api/api_log.h"
#include "api/beast_glue.h"
#include "api/http_parse.h"
#include "core/text.h"

namespace chorus::api {
namespace {

using asio::use_awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr size_t kFirstRead = 4096;

Method method_of(http::verb v) {
  switch (v) {
    case http::verb::get:
      return Method::kGet;
    case http::verb::head:
      return Method::kHead;
    case http::verb::post:
      return Method::kPost;
    case http::verb::put:
      return Method::kPut;
    case http::verb::delete_:
      return Method::kDelete;
    case http::verb::patch:
      return Method::kPatch;
    case http::verb::options:
      return Method::kOptions;
    default:
      return Method::kOther;
  }
}

std::string_view view(beast::string_view s) {
  return {s.data(), s.size()};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

void configure(http::request_parser<http::string_body>& p, const ApiLimits& limits) {
  p.header_limit(static_cast<std::uint32_t>(std::min<size_t>(limits.max_header, UINT32_MAX)));
  p.body_limit(limits.max_body);
}

// Parses what `buffer` holds into `p` (header and body); need_more is not
// an error here.
void feed(http::request_parser<http::string_body>& p, beast::flat_buffer& buffer,
          beast::error_code& ec) {
  p.eager(true);
  while (buffer.size() > 0 && !p.is_done()) {
    const size_t used = p.put(buffer.data(), ec);
    buffer.consume(used);
    if (ec || used == 0) break;
  }
  if (ec == http::error::need_more) ec = {};
}

bool expects_continue(const http::request_parser<http::string_body>& p) {
  const auto it = p.get().find(http::field::expect);
  return it != p.get().end() && lower(view(it->value())) == "100-continue";
}

}  // namespace

Request to_request(BeastRequest& r) {
  Request out;
  out.method = method_of(r.method());
  out.method_text = std::string(view(r.method_string()));
  out.target = std::string(view(r.target()));
  const size_t q = out.target.find('?');
  out.path = out.target.substr(0, q);
  if (q != std::string::npos) out.query = out.target.substr(q + 1);
  out.headers.reserve(8);
  for (const auto& f : r)
    out.headers.push_back(Header{lower(view(f.name_string())), std::string(view(f.value()))});
  out.keep_alive = r.keep_alive();
  out.websocket_upgrade = beast::websocket::is_upgrade(r);
  out.body = std::move(r.body());
  return out;
}

BeastResponse to_beast(Response&& r, unsigned version, bool keep_alive) {
  BeastResponse out{static_cast<http::status>(r.status), version};
  out.set(http::field::content_type, r.content_type);
  for (const Header& h : r.headers)
    out.set(h.name, h.value);
  out.body() = std::move(r.body);
  out.keep_alive(keep_alive);
  out.prepare_payload();
  return out;
}

std::optional<Response> read_error_response(const beast::error_code& ec) {
  if (ec == http::error::body_limit)
    return error_response(413, "payload_too_large",
                          "the request body is larger than api.limits.body");
  if (ec == http::error::header_limit)
    return error_response(431, "header_too_large",
                          "the request line and headers are larger than api.limits.header");
  if (ec == beast::error::timeout)
    return error_response(408, "request_timeout",
                          "the request did not arrive whole within api.limits.read_timeout");
  if (ec == http::error::end_of_stream || ec == http::error::partial_message) return std::nullopt;
  if (&ec.category() == &http::make_error_code(http::error::bad_method).category())
    return error_response(400, "bad_request",
                          fmt::format("malformed HTTP request: {}", ec.message()));
  return std::nullopt;  // the connection failed or was closed
}

ParsedRequest parse_http_request(std::string_view bytes, const ApiLimits& limits) {
  ParsedRequest out;
  http::request_parser<http::string_body> p;
  configure(p, limits);
  p.eager(true);
  beast::error_code ec;
  size_t used = 0;
  while (!p.is_done() && used < bytes.size()) {
    const size_t n = p.put(asio::buffer(bytes.data() + used, bytes.size() - used), ec);
    used += n;
    if (ec || n == 0) break;
  }
  out.consumed = used;
  if (ec == http::error::need_more || (!ec && !p.is_done())) return out;
  out.complete = true;
  if (ec) {
    out.error = read_error_response(ec);
    if (!out.error) out.error = error_response(400, "bad_request", ec.message());
    return out;
  }
  BeastRequest req = p.release();
  out.request = to_request(req);
  return out;
}

// The connection's coroutine (declared in server_state.h).
asio::awaitable<void> http_session(std::shared_ptr<ServerState> state, std::shared_ptr<Conn> conn,
                                   uint64_t conn_id, tcp::socket socket) {
  struct Unregister {
    ServerState& s;
    uint64_t id;
    ~Unregister() { s.remove_conn(id); }
  } unregister{*state, conn_id};

  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  std::optional<Reply::Weak> pending;  // the request being handled, for an abort
  bool busy = false;                   // between a request's first byte and its response
  bool stop_asked = false;

  // Runs on this strand while the coroutine is suspended (server_state.h).
  conn->on_stop = [&](bool abort) {
    stop_asked = true;
    if (abort && pending)
      pending->send(error_response(503, "unavailable", "the host is shutting down"));
    if (abort || !busy) stream.close();
  };
  struct ClearStop {
    Conn& c;
    ~ClearStop() { c.on_stop = nullptr; }
  } clear_stop{*conn};

  // The read timeout's timer and its state. The state is shared with the
  // timer's handler, which may run after this frame is gone (it fired just
  // as the read completed): it then finds another generation and does
  // nothing.
  struct ReadClock {
    uint64_t generation = 0;
    bool timed_out = false;
  };
  const auto clock = std::make_shared<ReadClock>();
  asio::steady_timer read_timer(conn->strand);
  uint32_t served = 0;
  beast::error_code ec;
  for (;;) {
    if (stop_asked || state->stopping.load()) break;
    const std::shared_ptr<const ApiOptions> opts = state->options.get();
    const ApiLimits& lim = opts->limits;
    if (buffer.size() == 0) {
      stream.expires_after(lim.idle_timeout);
      const size_t n = co_await stream.async_read_some(buffer.prepare(kFirstRead),
                                                       asio::redirect_error(use_awaitable, ec));
      if (ec) break;  // idle, closed or stopped: nothing was asked
      buffer.commit(n);
    }
    busy = true;
    const auto t0 = Clock::now();
    http::request_parser<http::string_body> parser;
    configure(parser, lim);
    // The stream's own timeout would close the socket; this one only
    // cancels the read, so the client still gets its 408.
    stream.expires_never();
    clock->timed_out = false;
    const uint64_t generation = ++clock->generation;
    read_timer.expires_after(lim.read_timeout);
    read_timer.async_wait([clock, generation, &stream](const beast::error_code& tec) {
      if (tec || generation != clock->generation) return;
      clock->timed_out = true;  // the read is still pending: the frame is alive
      beast::error_code ignored;
      stream.socket().cancel(ignored);
    });
    // Most requests arrived whole with their first bytes: parse what is
    // buffered at once, and read only what is missing.
    feed(parser, buffer, ec);
    if (!ec && !parser.is_header_done())
      co_await http::async_read_header(stream, buffer, parser,
                                       asio::redirect_error(use_awaitable, ec));
    if (!ec && !parser.is_done()) {
      if (expects_continue(parser))
        co_await asio::async_write(stream, asio::buffer("HTTP/1.1 100 Continue\r\n\r\n", 25),
                                   asio::redirect_error(use_awaitable, ec));
      if (!ec)
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(use_awaitable, ec));
    }
    ++clock->generation;
    read_timer.cancel();
    if (clock->timed_out) ec = beast::error::timeout;
    if (ec) {
      if (std::optional<Response> r = read_error_response(ec); r && !stop_asked) {
        const int status = r->status;
        BeastResponse out = to_beast(std::move(*r), 11, false);
        state->metrics.request(status, std::chrono::duration<double>(Clock::now() - t0).count());
        stream.expires_after(lim.read_timeout);
        beast::error_code wec;
        co_await http::async_write(stream, out, asio::redirect_error(use_awaitable, wec));
        api_log().debug("(unparsed request) {} {}", status, ec.message());
      }
      break;
    }

    BeastRequest breq = parser.release();
    Request req = to_request(breq);
    const bool head = req.method == Method::kHead;
    if (head) req.method = Method::kGet;  // answered as GET, without the body
    ++served;
    Response resp = co_await asio::async_initiate<decltype(use_awaitable), void(Response)>(
        [&](auto handler) {
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          Reply reply([h, strand = conn->strand](Response r) {
            asio::post(strand, [h, r = std::move(r)]() mutable { (*h)(std::move(r)); });
          });
          pending = reply.weak();
          state->router.dispatch(req, reply);
        },
        use_awaitable);
    pending.reset();

    if (resp.status == 101 && stop_asked)  // the server stopped while the tail was being set up
      resp = error_response(503, "unavailable", "the host is shutting down");
    const int status = resp.status;
    if (status == 101 && !resp.tail_patterns.empty()) {
      state->metrics.request(status, std::chrono::duration<double>(Clock::now() - t0).count());
      api_log().debug("{} {} 101 (WebSocket tail)", req.method_text, printable(req.target));
      conn->on_stop = nullptr;  // the tail sets its own
      busy = false;
      co_await run_tail(state, conn, stream.release_socket(), std::move(breq),
                        std::move(resp.tail_patterns),
                        resp.tail_batch ? TailFormat::kBatch : TailFormat::kSingle);
      co_return;
    }
    const uint32_t max_requests = lim.requests_per_connection;
    const bool keep = req.keep_alive && !resp.close && !stop_asked && !state->stopping.load() &&
                      (max_requests == 0 || served < max_requests);
    BeastResponse out = to_beast(std::move(resp), breq.version(), keep);
    if (head) {
      const auto length = out.body().size();
      out.body().clear();
      out.content_length(length);
    }
    // Counted before the write: a client that has its answer finds it counted.
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    state->metrics.request(status, secs);
    stream.expires_after(lim.read_timeout);  // a client that does not read is cut off too
    co_await http::async_write(stream, out, asio::redirect_error(use_awaitable, ec));
    api_log().debug("{} {} {} {:.3f}ms", req.method_text, printable(req.target), status,
                    secs * 1e3);
    busy = false;
    if (ec || !keep) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.close();
}

}  // namespace chorus::api
