// The WebSocket tail (GET /v1/tail upgraded): every event matching the
// patterns, as one text message of CloudEvents JSON each, in publish order.
// Two coroutines on the connection's strand: the writer drains the tail's
// queue (tail_queue.h) into the socket, the reader answers control frames
// and notices the client leaving. A client that falls api.tail.queue
// events behind is sent a close frame (1013, with the count dropped) and
// cut off after api.tail.close_timeout if it does not take it; the bus
// never waits for it.
#include <utility>  // before Asio: 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <fmt/core.h>

#include "api/api_log.h"
#include "api/api_metrics.h"
#include "api/beast_glue.h"
#include "api/tail_queue.h"
#include "core/cloudevents.h"

namespace chorus::api {
namespace {

namespace websocket = beast::websocket;
using asio::use_awaitable;

constexpr size_t kMaxClientMessage = 64 * 1024;
constexpr size_t kMaxBatch = 1000;  // events per message in batch format

// What the writer and the reader share; lives as long as either runs.
struct TailConn {
  TailConn(asio::ip::tcp::socket&& s, const Strand& strand)
      : ws(std::move(s)), wake(strand), close_timer(strand) {}

  // On the socket itself: a tcp_stream's per-operation timer machinery
  // costs on every message, and the websocket has timeouts of its own.
  websocket::stream<asio::ip::tcp::socket> ws;
  asio::steady_timer wake;         // the writer waits on it; cancel() wakes it
  asio::steady_timer close_timer;  // cuts the socket if a close is not taken in time
  std::shared_ptr<TailQueue> queue;
  bool reader_done = false;  // the client closed, or the connection failed
  bool stop = false;         // the server is stopping
  bool close_armed = false;
  bool fell_behind = false;  // counted in chorus_api_tail_disconnects_total

  // The queue overflowed: counted once, whether the writer or a wake-up
  // notices first (a writer blocked on a client that reads nothing never
  // does). On the strand.
  void count_fall_behind(ApiMetrics& m) {
    if (fell_behind) return;
    fell_behind = true;
    m.tail_disconnects.fetch_add(1, std::memory_order_relaxed);
  }

  // Closes the socket: pending operations end with an error. On the strand.
  void cut() {
    beast::error_code ignored;
    ws.next_layer().close(ignored);
  }

  // On the strand.
  void arm_close(std::chrono::milliseconds timeout, const std::shared_ptr<TailConn>& self) {
    if (close_armed) return;
    close_armed = true;
    close_timer.expires_after(timeout);
    close_timer.async_wait([weak = std::weak_ptr<TailConn>(self)](const beast::error_code& ec) {
      if (ec) return;
      if (auto t = weak.lock()) t->cut();
    });
  }
};

asio::awaitable<void> tail_reader(std::shared_ptr<TailConn> t) {
  beast::flat_buffer buf;
  beast::error_code ec;
  for (;;) {
    co_await t->ws.async_read(buf, asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    buf.consume(buf.size());  // clients have nothing to say; what they send is ignored
  }
  t->reader_done = true;
  t->wake.cancel();
}

}  // namespace

asio::awaitable<void> run_tail(std::shared_ptr<ServerState> state, std::shared_ptr<Conn> conn,
                               asio::ip::tcp::socket socket, BeastRequest upgrade,
                               std::vector<std::string> patterns, TailFormat format) {
  const std::shared_ptr<const ApiOptions> opts = state->options.get();
  auto t = std::make_shared<TailConn>(std::move(socket), conn->strand);
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = opts->limits.read_timeout;
  timeouts.idle_timeout = opts->limits.idle_timeout;
  timeouts.keep_alive_pings = true;
  t->ws.set_option(timeouts);
  t->ws.read_message_max(kMaxClientMessage);
  beast::error_code ec;
  co_await t->ws.async_accept(upgrade, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return;
  t->ws.text(true);
  t->ws.auto_fragment(false);  // one frame per message: fewer writes, simpler clients

  std::weak_ptr<TailConn> weak = t;
  const std::chrono::milliseconds close_timeout = opts->tail_close_timeout;
  t->queue = std::make_shared<TailQueue>(opts->tail_queue,
                                         [weak, strand = conn->strand, close_timeout, state] {
                                           asio::post(strand, [weak, close_timeout, state] {
                                             auto tc = weak.lock();
                                             if (!tc) return;
                                             tc->wake.cancel();
                                             // Fallen behind: the writer sends the close frame
                                             // after its current write; if the client takes
                                             // nothing, this cuts it off.
                                             if (tc->queue->overflowed()) {
                                               tc->count_fall_behind(state->metrics);
                                               tc->arm_close(close_timeout, tc);
                                             }
                                           });
                                         });
  if (!state->tails) co_return;
  auto tail_id = state->tails->open(patterns, t->queue);
  if (!tail_id.ok()) {
    t->arm_close(close_timeout, t);
    co_await t->ws.async_close(
        websocket::close_reason(websocket::close_code::try_again_later,
                                std::string(tail_id.error().message().substr(0, 120))),
        asio::redirect_error(use_awaitable, ec));
    co_return;
  }
  state->metrics.tails.fetch_add(1, std::memory_order_relaxed);
  conn->on_stop = [t](bool abort) {
    t->stop = true;
    t->wake.cancel();
    if (abort) t->cut();
  };
  asio::co_spawn(conn->strand, tail_reader(t), [](std::exception_ptr) {});

  websocket::close_reason reason(websocket::close_code::normal);
  std::vector<EventPtr> batch;
  std::string text;
  bool dead = false;  // a write failed: no close handshake is possible
  for (;;) {
    if (t->reader_done) break;
    if (t->stop) {
      reason =
          websocket::close_reason(websocket::close_code::going_away, "the host is shutting down");
      break;
    }
    if (t->queue->overflowed()) {
      reason = websocket::close_reason(
          websocket::close_code::try_again_later,
          fmt::format("tail too slow: fell {} events behind; events dropped", t->queue->bound()));
      t->count_fall_behind(state->metrics);
      break;
    }
    batch.clear();
    t->queue->take(batch);
    if (batch.empty()) {
      t->wake.expires_at(asio::steady_timer::time_point::max());
      co_await t->wake.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    uint64_t sent = 0;
    if (format == TailFormat::kBatch) {
      // One message per kMaxBatch events: a JSON array (CloudEvents batch).
      for (size_t i = 0; i < batch.size() && !dead;) {
        const size_t end = std::min(batch.size(), i + kMaxBatch);
        text.assign(1, '[');
        for (size_t k = i; k < end; ++k) {
          if (k > i) text.push_back(',');
          append_cloudevent_json(*batch[k], text);
        }
        text.push_back(']');
        co_await t->ws.async_write(asio::buffer(text), asio::redirect_error(use_awaitable, ec));
        if (ec) {
          dead = true;
          break;
        }
        sent += end - i;
        i = end;
        if (t->queue->overflowed() || t->stop) break;
      }
    } else {
      for (const EventPtr& e : batch) {
        text.clear();
        append_cloudevent_json(*e, text);
        co_await t->ws.async_write(asio::buffer(text), asio::redirect_error(use_awaitable, ec));
        if (ec) {
          dead = true;
          break;
        }
        ++sent;
        if (t->queue->overflowed() || t->stop) break;  // stop sending stale events
      }
    }
    state->metrics.tail_events.fetch_add(sent, std::memory_order_relaxed);
    if (dead) break;
  }
  state->tails->close(*tail_id);  // no more pushes from here on
  t->queue->close();
  state->metrics.tail_dropped.fetch_add(t->queue->dropped(), std::memory_order_relaxed);
  state->metrics.tails.fetch_sub(1, std::memory_order_relaxed);
  conn->on_stop = nullptr;
  if (!dead && !t->reader_done) {
    api_log().debug("tail closed: {}",
                    std::string_view(reason.reason.data(), reason.reason.size()));
    t->arm_close(close_timeout, t);
    co_await t->ws.async_close(reason, asio::redirect_error(use_awaitable, ec));
  }
  t->cut();
}

}  // namespace chorus::api
