// ApiServer: binding, the accept loop (one strand per connection, the
// connection limit answered with 503), reloads and the stop sequence
// (api_server.h). The connections themselves are in http_session.cpp and
// ws_tail.cpp.
#include <array>
#include <utility>  // before Asio: 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/core.h>

#include "api/api_log.h"
#include "api/api_server.h"
#include "api/metrics_registry.h"
#include "api/routes.h"
#include "api/seq_tracker.h"
#include "api/server_state.h"
#include "core/text.h"

namespace chorus::api {
namespace {

using asio::use_awaitable;
using asio::ip::tcp;

// How long a stop lets requests in flight finish before cutting them off.
constexpr std::chrono::seconds kDrain{5};
// How long a rejected connection gets to read its 503 before it is closed.
constexpr std::chrono::seconds kRejectLinger{2};

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    api_log().error("connection ended by an exception: {}", ex.what());
  } catch (...) {
    api_log().error("connection ended by an unknown exception");
  }
}

// Over the connection limit: a 503 and close, without reading a request.
asio::awaitable<void> reject(tcp::socket accepted, size_t limit) {
  const Response r = error_response(
      503, "too_many_connections",
      fmt::format("the API has api.limits.connections ({}) connections open; try again later",
                  limit));
  const std::string head = fmt::format(
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: {}\r\nContent-Length: "
      "{}\r\nConnection: close\r\n\r\n",
      r.content_type, r.body.size());
  // Shared with the linger timer's handler, which may run after this frame.
  auto socket = std::make_shared<tcp::socket>(std::move(accepted));
  asio::steady_timer linger(socket->get_executor());
  linger.expires_after(kRejectLinger);
  linger.async_wait(
      [weak = std::weak_ptr<tcp::socket>(socket)](const boost::system::error_code& ec) {
        auto s = weak.lock();
        if (ec || !s) return;
        boost::system::error_code ignored;
        s->close(ignored);
      });
  boost::system::error_code ec;
  const std::array<asio::const_buffer, 2> bufs{asio::buffer(head), asio::buffer(r.body)};
  co_await asio::async_write(*socket, bufs, asio::redirect_error(use_awaitable, ec));
  if (!ec) {
    socket->shutdown(tcp::socket::shutdown_send, ec);
    // Drain what the client sends until it closes, so it reads the 503
    // rather than a reset.
    char sink[1024];
    while (!ec)
      co_await socket->async_read_some(asio::buffer(sink), asio::redirect_error(use_awaitable, ec));
  }
  linger.cancel();
  boost::system::error_code ignored;
  socket->close(ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<ServerState> state) {
  asio::steady_timer backoff(state->acceptor_strand);
  for (;;) {
    Strand strand = asio::make_strand(state->io);
    boost::system::error_code ec;
    auto accepted =
        co_await state->acceptor->async_accept(strand, asio::redirect_error(use_awaitable, ec));
    if (state->stopping.load() || ec == asio::error::operation_aborted) break;
    if (ec) {
      // Out of descriptors, say: wait a little rather than spin.
      api_log().warn("accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    tcp::socket socket(std::move(accepted));
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Conn>(strand);
    uint64_t id = 0;
    if (!state->add_conn(conn, id)) {
      state->metrics.connections_rejected.fetch_add(1, std::memory_order_relaxed);
      asio::co_spawn(strand,
                     reject(std::move(socket), state->options.get()->limits.max_connections),
                     log_exception);
      continue;
    }
    asio::co_spawn(strand, http_session(state, conn, id, std::move(socket)), log_exception);
  }
}

// Runs on_stop(abort) on every open connection's strand.
void stop_connections(ServerState& s, bool abort) {
  std::vector<std::shared_ptr<Conn>> conns;
  {
    std::lock_guard l(s.mu);
    for (const auto& [id, weak] : s.conns)
      if (auto c = weak.lock()) conns.push_back(std::move(c));
  }
  for (auto& c : conns)
    asio::post(c->strand, [c, abort] {
      if (c->on_stop) c->on_stop(abort);
    });
}

bool wait_for_no_connections(ServerState& s, std::chrono::steady_clock::time_point until) {
  std::unique_lock l(s.mu);
  return s.cv.wait_until(l, until, [&] { return s.conns.empty(); });
}

}  // namespace

void start_accepting(const std::shared_ptr<ServerState>& state) {
  asio::co_spawn(state->acceptor_strand, accept_loop(state), log_exception);
}

ApiServer::ApiServer(asio::io_context& io, ApiOptions options, ApiServices services)
    : state_(std::make_shared<ServerState>(io, options)) {
  ServerState& s = *state_;
  s.tokens.set(options.tokens);
  s.ctx.bus = services.bus;
  s.ctx.store = services.store;
  s.ctx.metrics = services.metrics;
  s.ctx.readiness = services.readiness;
  s.ctx.api_metrics = &s.metrics;
  s.ctx.options = &s.options;
  s.ctx.request_by_capability = std::move(services.request_by_capability);
  s.ctx.plugins = services.plugins;
  s.ctx.scripts = services.scripts;
  s.ctx.registry = services.registry;
  s.ctx.workflows = services.workflows;
  s.ctx.worker = &s.worker;
  if (services.store) s.ctx.seqs = std::make_shared<SeqTracker>(*services.store);
  if (services.bus) s.tails = std::make_unique<TailHub>(*services.bus);
  add_health_routes(s.router, s.ctx);
  add_publish_routes(s.router, s.ctx);
  add_query_routes(s.router, s.ctx);
  add_request_routes(s.router, s.ctx);
  add_dead_letter_routes(s.router, s.ctx);
  add_tail_routes(s.router, s.ctx);
  add_plugin_routes(s.router, s.ctx);
  add_script_routes(s.router, s.ctx);
  add_registry_routes(s.router, s.ctx);
  add_workflow_routes(s.router, s.ctx);
}

ApiServer::~ApiServer() {
  if (started_) stop(std::chrono::steady_clock::now());
  if (state_->ctx.seqs) state_->ctx.seqs->stop();
}

const Router& ApiServer::router() const {
  return state_->router;
}

const ApiMetrics& ApiServer::metrics() const {
  return state_->metrics;
}

Status ApiServer::start() {
  ServerState& s = *state_;
  const auto opts = s.options.get();
  const std::string where = opts->host.find(':') != std::string::npos
                                ? fmt::format("[{}]:{}", opts->host, opts->port)
                                : fmt::format("{}:{}", opts->host, opts->port);
  boost::system::error_code ec;
  tcp::resolver resolver(s.io);
  auto results = resolver.resolve(opts->host, std::to_string(opts->port),
                                  tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty())
    return Status::InvalidArgument(fmt::format("api.listen: cannot resolve '{}': {}",
                                               printable(where), ec ? ec.message() : "no address"));
  const tcp::endpoint endpoint = results.begin()->endpoint();
  loopback_ = endpoint.address().is_loopback();
  if (!loopback_ && opts->tokens.empty())
    return Status::PermissionDenied(fmt::format(
        "api.listen {} ({}) is beyond loopback and api.tokens is empty: refusing to serve the "
        "admin API without authentication (add a token, or listen on 127.0.0.1)",
        where, endpoint.address().to_string()));
  tcp::acceptor acceptor(s.acceptor_strand);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return Status::IOError(fmt::format("api.listen: cannot listen on {}: {}", where, ec.message()));
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  port_ = bound.port();
  address_ = bound.address().is_v6() ? fmt::format("[{}]:{}", bound.address().to_string(), port_)
                                     : fmt::format("{}:{}", bound.address().to_string(), port_);
  s.acceptor.emplace(std::move(acceptor));
  if (s.ctx.metrics)
    collector_ =
        s.ctx.metrics->add("api", [state = state_](MetricsWriter& w) { state->metrics.write(w); });
  start_accepting(state_);
  started_ = true;
  api_log().info("api listening on {} (tokens {})", address_,
                 opts->tokens.empty() ? "not required: loopback" : "required");
  return Status::OK();
}

void ApiServer::stop(std::chrono::steady_clock::time_point deadline) {
  if (!started_ || stopped_) return;
  stopped_ = true;
  ServerState& s = *state_;
  s.stopping.store(true);
  asio::post(s.acceptor_strand, [state = state_] {
    boost::system::error_code ignored;
    if (state->acceptor) state->acceptor->close(ignored);
  });
  if (s.tails) s.tails->close_all();
  stop_connections(s, false);
  const auto now = std::chrono::steady_clock::now();
  const auto drain_until = std::min(deadline, now + kDrain);
  if (!wait_for_no_connections(s, drain_until)) {
    api_log().warn("stop: {} connection(s) still busy; closing them", [&] {
      std::lock_guard l(s.mu);
      return s.conns.size();
    }());
    stop_connections(s, true);
    // Aborted connections end at once; the bound only guards against a bug.
    wait_for_no_connections(s, std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
  // Admin operations still queued or running (a plugin unload) finish;
  // their answers go nowhere once their connections are closed.
  s.worker.stop();
  if (s.ctx.metrics && collector_) s.ctx.metrics->remove(collector_);
  collector_ = 0;
  api_log().info("api stopped");
}

Status ApiServer::reload(ApiOptions next) {
  if (!loopback_ && next.tokens.empty())
    return Status::FailedPrecondition(
        fmt::format("api.tokens: the API listens on {}, beyond loopback, so the token list may "
                    "not become empty; kept the old tokens and settings",
                    address_));
  const auto current = state_->options.get();
  next.host = current->host;  // the listener stays where it is
  next.port = current->port;
  state_->tokens.set(next.tokens);
  state_->options.set(std::move(next));
  return Status::OK();
}

}  // namespace chorus::api
