// ServerState (private to host/api): what the listener and every
// connection of the API server share: the router and its context, the
// live options, the API's metrics, the tails, and the table of open
// connections that a stop walks. Held by shared_ptr by the ApiServer and by
// every connection's coroutine, so a coroutine that is destroyed late (its
// io_context going away with it still queued) touches nothing freed.
//
// Included only by the server's own .cpp files (it brings in Asio).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>  // Asio 1.74's awaitable.hpp uses std::exchange without it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include "api/api_context.h"
#include "api/api_metrics.h"
#include "api/router.h"
#include "api/tail_hub.h"
#include "api/token_check.h"

namespace chorus::api {

namespace asio = boost::asio;
using Strand = asio::strand<asio::io_context::executor_type>;

// One open connection as a stop sees it. on_stop runs on the connection's
// strand: with abort=false it ends the connection when idle (a request in
// progress finishes first, with Connection: close); with abort=true at
// once (a pending reply gets 503).
struct Conn {
  explicit Conn(Strand s) : strand(std::move(s)) {}
  Strand strand;
  std::function<void(bool abort)> on_stop;  // set and run on the strand only
};

struct ServerState {
  ServerState(asio::io_context& io_, ApiOptions options_)
      : io(io_),
        options(std::move(options_)),
        router(&tokens),
        acceptor_strand(asio::make_strand(io_)) {}

  asio::io_context& io;
  LiveOptions options;
  TokenCheck tokens;
  Router router;
  ApiContext ctx;
  ApiMetrics metrics;
  std::unique_ptr<TailHub> tails;  // null without a bus

  Strand acceptor_strand;
  std::optional<asio::ip::tcp::acceptor> acceptor;  // touched on acceptor_strand after start
  std::atomic<bool> stopping{false};

  // Open connections (HTTP and WebSocket), for limits and stops.
  std::mutex mu;
  std::condition_variable cv;  // notified when a connection ends
  std::map<uint64_t, std::weak_ptr<Conn>> conns;
  uint64_t next_conn = 1;

  // Registers a connection; false (nothing registered) when the limit is
  // reached or the server is stopping.
  bool add_conn(const std::shared_ptr<Conn>& c, uint64_t& id) {
    std::lock_guard l(mu);
    if (stopping.load() || conns.size() >= options.get()->limits.max_connections) return false;
    id = next_conn++;
    conns.emplace(id, c);
    metrics.connections.fetch_add(1, std::memory_order_relaxed);
    metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  void remove_conn(uint64_t id) {
    std::lock_guard l(mu);
    if (conns.erase(id)) metrics.connections.fetch_sub(1, std::memory_order_relaxed);
    cv.notify_all();
  }
};

// Accepts connections until stop (http_server.cpp).
void start_accepting(const std::shared_ptr<ServerState>& state);
// Serves one registered connection (http_session.cpp); unregisters it at the end.
asio::awaitable<void> http_session(std::shared_ptr<ServerState> state, std::shared_ptr<Conn> conn,
                                   uint64_t conn_id, asio::ip::tcp::socket socket);

}  // namespace chorus::api
