// The WebSocket tail (GET /v1/tail upgraded): every event matching the
// patterns, as one text message of CloudEvents JSON each (or a JSON array
// per group with batch=true), in publish order.
//
// Beast does the opening handshake only; the frames after it are ours
// (ws_frame.h), so the writer can put every event it takes from the tail's
// queue into one buffer of frames and send it in one write: one syscall for
// hundreds of events instead of one each. Three coroutines on the
// connection's strand share the socket: the writer (the only one that
// writes) drains the tail's queue (tail_queue.h) and the control frames the
// others queue for it; the reader parses the client's frames, answers pings
// and a close, and notices the client leaving; the idle watch pings a quiet
// client and cuts one that stays silent for limits.idle_timeout.
//
// A client that falls api.tail.queue events behind is sent a close frame
// (1013, with the count dropped) and cut off after api.tail.close_timeout
// if it does not take it; the bus never waits for it.
#include <array>
#include <chrono>
#include <optional>
#include <utility>  // before Asio: 1.74's awaitable.hpp needs std::exchange

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <fmt/core.h>

#include "api/api_log.h"
#include "api/api_metrics.h"
#include "api/beast_glue.h"
#include "api/tail_queue.h"
#include "api/ws_frame.h"
#include "core/cloudevents.h"

namespace chorus::api {
namespace {

namespace websocket = beast::websocket;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxClientMessage = 64 * 1024;
constexpr size_t kMaxBatch = 1000;         // events per message in batch format
constexpr size_t kWriteChunk = 64 * 1024;  // bytes of frames gathered per write

// What the writer, the reader and the idle watch share; lives as long as
// any of them runs. Touched on the strand only.
struct TailConn {
  TailConn(asio::ip::tcp::socket&& s, const Strand& strand)
      : socket(std::move(s)), wake(strand), close_timer(strand), idle_timer(strand) {}

  asio::ip::tcp::socket socket;
  asio::steady_timer wake;         // the writer waits on it; cancel() wakes it
  asio::steady_timer close_timer;  // cuts the socket if a close is not taken in time
  asio::steady_timer idle_timer;   // the idle watch's
  std::shared_ptr<TailQueue> queue;
  std::string control;        // control frames queued for the writer (pongs, pings, a close)
  bool close_queued = false;  // a close frame is in `control` or sent: nothing may follow it
  bool reader_done = false;   // the client closed, broke the protocol, or the connection failed
  bool stop = false;          // the server is stopping
  bool close_armed = false;
  bool fell_behind = false;                     // counted in chorus_api_tail_disconnects_total
  bool finished = false;                        // the writer is done: the idle watch ends
  Clock::time_point last_heard = Clock::now();  // the last bytes from the client
  bool ping_out = false;                        // pinged since last_heard

  // The queue overflowed: counted once, whether the writer or a wake-up
  // notices first (a writer blocked on a client that reads nothing never
  // does).
  void count_fall_behind(ApiMetrics& m) {
    if (fell_behind) return;
    fell_behind = true;
    m.tail_disconnects.fetch_add(1, std::memory_order_relaxed);
  }

  // Closes the socket: pending operations end with an error.
  void cut() {
    beast::error_code ignored;
    socket.close(ignored);
  }

  void queue_control(WsOpcode op, std::string_view payload) {
    if (close_queued) return;
    append_ws_frame(control, op, payload);
    wake.cancel();
  }
  void queue_close(WsCloseCode code, std::string_view reason) {
    if (close_queued) return;
    close_queued = true;
    append_ws_close(control, code, reason);
    wake.cancel();
  }

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

// Reads the client's frames: pings are answered, a close is echoed (the
// writer sends the echo and ends), a protocol error is answered with a close
// naming it, data messages are read past.
asio::awaitable<void> tail_reader(std::shared_ptr<TailConn> t) {
  WsFrameParser parser(kMaxClientMessage);
  std::array<char, 4096> buf;
  beast::error_code ec;
  bool end = false;
  while (!end) {
    const size_t n = co_await t->socket.async_read_some(asio::buffer(buf),
                                                        asio::redirect_error(use_awaitable, ec));
    if (ec) break;
    t->last_heard = Clock::now();
    t->ping_out = false;
    std::string_view in(buf.data(), n);
    while (!in.empty() && !end) {
      WsFrameParser::Step step = parser.next(in);
      if (step.error) {
        api_log().debug("tail client broke the WebSocket protocol: {}", step.error->reason);
        t->queue_close(step.error->code, step.error->reason);
        end = true;
      } else if (!step.frame) {
        break;  // more bytes needed
      } else if (step.frame->opcode == WsOpcode::kPing) {
        t->queue_control(WsOpcode::kPong, step.frame->payload);
      } else if (step.frame->opcode == WsOpcode::kClose) {
        // The echo carries the client's code (none if it sent none).
        if (!t->close_queued) {
          t->close_queued = true;
          append_ws_frame(t->control, WsOpcode::kClose,
                          std::string_view(step.frame->payload).substr(0, 2));
        }
        end = true;
      }
    }
  }
  t->reader_done = true;
  t->wake.cancel();
}

// Pings a client that has said nothing for half the idle timeout, and cuts
// one that has said nothing, not even a pong, for the whole of it.
asio::awaitable<void> idle_watch(std::shared_ptr<TailConn> t, std::chrono::milliseconds idle) {
  beast::error_code ec;
  for (;;) {
    const auto due = [&] { return t->last_heard + (t->ping_out ? idle : idle / 2); };
    t->idle_timer.expires_at(due());
    co_await t->idle_timer.async_wait(asio::redirect_error(use_awaitable, ec));
    if (t->finished || t->reader_done) co_return;
    if (Clock::now() < due()) continue;  // heard from it meanwhile
    if (t->ping_out) {
      api_log().debug("tail closed: the client answered nothing for {} ms", idle.count());
      t->cut();
      co_return;
    }
    t->ping_out = true;
    t->queue_control(WsOpcode::kPing, {});
  }
}

// Writes `out` whole; false when the connection failed.
asio::awaitable<bool> write_all(TailConn& t, std::string& out) {
  beast::error_code ec;
  co_await asio::async_write(t.socket, asio::buffer(out), asio::redirect_error(use_awaitable, ec));
  out.clear();
  co_return !ec;
}

}  // namespace

asio::awaitable<void> run_tail(std::shared_ptr<ServerState> state, std::shared_ptr<Conn> conn,
                               asio::ip::tcp::socket socket, BeastRequest upgrade,
                               std::vector<std::string> patterns, TailFormat format) {
  const std::shared_ptr<const ApiOptions> opts = state->options.get();
  auto t = std::make_shared<TailConn>(std::move(socket), conn->strand);
  beast::error_code ec;
  {
    // Beast checks the upgrade request and answers it (101, or 400 with
    // the reason); the stream is dropped once that is done.
    websocket::stream<asio::ip::tcp::socket&> handshake(t->socket);
    websocket::stream_base::timeout timeouts =
        websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.handshake_timeout = opts->limits.read_timeout;
    timeouts.idle_timeout = websocket::stream_base::none();
    timeouts.keep_alive_pings = false;
    handshake.set_option(timeouts);
    co_await handshake.async_accept(upgrade, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
  }

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
    t->queue_close(WsCloseCode::kTryAgainLater, tail_id.error().message());
    co_await write_all(*t, t->control);
    t->cut();
    co_return;
  }
  state->metrics.tails.fetch_add(1, std::memory_order_relaxed);
  conn->on_stop = [t](bool abort) {
    t->stop = true;
    t->wake.cancel();
    if (abort) t->cut();
  };
  asio::co_spawn(conn->strand, tail_reader(t), [](std::exception_ptr) {});
  if (opts->limits.idle_timeout.count() > 0)
    asio::co_spawn(conn->strand, idle_watch(t, opts->limits.idle_timeout),
                   [](std::exception_ptr) {});

  std::optional<std::pair<WsCloseCode, std::string>> reason;  // the server ends the tail
  std::vector<EventPtr> batch;
  std::string out, text;
  bool dead = false;  // a write failed: no close handshake is possible
  while (!dead) {
    if (t->reader_done) break;
    if (t->stop) {
      reason.emplace(WsCloseCode::kGoingAway, "the host is shutting down");
      break;
    }
    if (t->queue->overflowed()) {
      reason.emplace(
          WsCloseCode::kTryAgainLater,
          fmt::format("tail too slow: fell {} events behind; events dropped", t->queue->bound()));
      t->count_fall_behind(state->metrics);
      break;
    }
    batch.clear();
    t->queue->take(batch);
    out.swap(t->control);  // pongs and pings first
    if (batch.empty() && out.empty()) {
      t->wake.expires_at(asio::steady_timer::time_point::max());
      co_await t->wake.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    // Frames gather in `out` and leave kWriteChunk bytes at a time; between
    // writes, a tail that fell behind or a stopping server stops sending
    // stale events.
    uint64_t sent = 0, gathered = 0;
    const size_t per_message = format == TailFormat::kBatch ? kMaxBatch : 1;
    for (size_t i = 0; i < batch.size();) {
      const size_t end = std::min(batch.size(), i + per_message);
      text.clear();
      if (format == TailFormat::kBatch) {
        text.push_back('[');
        for (size_t k = i; k < end; ++k) {
          if (k > i) text.push_back(',');
          append_cloudevent_json(*batch[k], text);
        }
        text.push_back(']');
      } else {
        append_cloudevent_json(*batch[i], text);
      }
      append_ws_frame(out, WsOpcode::kText, text);
      gathered += end - i;
      i = end;
      if (out.size() < kWriteChunk && i < batch.size()) continue;
      if (!co_await write_all(*t, out)) {
        dead = true;
        break;
      }
      sent += gathered;
      gathered = 0;
      if (t->queue->overflowed() || t->stop || t->reader_done) break;
    }
    if (!dead && !out.empty() && !co_await write_all(*t, out)) dead = true;  // control frames only
    state->metrics.tail_events.fetch_add(sent, std::memory_order_relaxed);
  }
  state->tails->close(*tail_id);  // no more pushes from here on
  t->queue->close();
  state->metrics.tail_dropped.fetch_add(t->queue->dropped(), std::memory_order_relaxed);
  state->metrics.tails.fetch_sub(1, std::memory_order_relaxed);
  conn->on_stop = nullptr;
  if (!dead) {
    // The close handshake: ours (then the client's echo is awaited), or the
    // echo of the client's close, or the close that names its protocol error.
    if (reason) {
      api_log().debug("tail closed: {}", reason->second);
      t->queue_close(reason->first, reason->second);
    }
    t->arm_close(close_timeout, t);
    if (!t->control.empty()) {
      out.swap(t->control);
      dead = !co_await write_all(*t, out);
    }
    while (!dead && !t->reader_done) {
      t->wake.expires_at(asio::steady_timer::time_point::max());
      co_await t->wake.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }
  t->finished = true;
  t->idle_timer.cancel();
  t->close_timer.cancel();
  t->cut();
}

}  // namespace chorus::api
