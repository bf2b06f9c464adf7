// Benchmarks of the admin API over real sockets on 127.0.0.1, in one
// process with the runtime's store, bus and API subsystems (2 io threads)
// and a client on a thread of its own (poll(2) over plain sockets, so the
// client costs little next to the server):
//
//   http_publish       POST /v1/events, one structured event per request,
//                      keep-alive, 32 connections (non-persistent type)
//   http_publish_batch the same with 100 events per request (batch mode)
//   http_publish_persistent  one event per request to a persistent type
//                      (durability: always, one fsync per group commit)
//   ws_tail            one WebSocket tail client, one event per message;
//                      events published on the bus as fast as it takes them
//   ws_tail_batch      the same with batch=true (a JSON array per message)
//
// Prints one JSON object per line (bench.h). Usage: api_bench [name]
// [seconds] (no name: all). The machine is shared: run it a few times and take the best.
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "api/api_metrics.h"
#include "api/api_server.h"
#include "api/metrics_registry.h"
#include "api/readiness.h"
#include "bench.h"
#include "bus/event_bus.h"
#include "config/config.h"
#include "runtime/api_subsystem.h"
#include "runtime/bus_subsystem.h"
#include "runtime/host_services.h"
#include "runtime/io_pool.h"
#include "runtime/store_subsystem.h"

using namespace chorus;
using Clock = std::chrono::steady_clock;

namespace {

// The host: store, bus and API as `chorus run` starts them.
struct Host {
  std::string dir;
  config::Config config = config::default_config();
  runtime::IoPool pool;
  api::MetricsRegistry metrics;
  api::Readiness readiness;
  runtime::HostServices services;
  std::unique_ptr<runtime::StoreSubsystem> store;
  std::unique_ptr<runtime::BusSubsystem> bus;
  std::unique_ptr<runtime::ApiSubsystem> api;

  explicit Host(size_t tail_queue = 10'000) {
    char tmpl[] = "/tmp/chorus-api-bench-XXXXXX";
    dir = mkdtemp(tmpl);
    config.host.data_dir = dir;
    config.api.listen = "127.0.0.1:0";
    config.api.tail_queue = tail_queue;
    config.api.requests_per_connection = 0;
    config.store.persist = {"order.*"};
    services.io = &pool.io();
    services.data_dir = dir;
    services.metrics = &metrics;
    services.readiness = &readiness;
    pool.start(2);
    store = std::make_unique<runtime::StoreSubsystem>(services);
    bus = std::make_unique<runtime::BusSubsystem>(services);
    api = std::make_unique<runtime::ApiSubsystem>(services);
    for (runtime::Subsystem* s :
         {static_cast<runtime::Subsystem*>(store.get()),
          static_cast<runtime::Subsystem*>(bus.get()), static_cast<runtime::Subsystem*>(api.get())})
      if (!s->start(config).ok()) throw std::runtime_error("host start failed");
  }
  ~Host() {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    api->stop(deadline);
    bus->stop(deadline);
    store->stop(deadline);
    pool.stop_and_join();
    api->close();
    bus->close();
    store->close();
    std::system(("rm -rf " + dir).c_str());
  }
  uint16_t port() const { return api->server()->port(); }
};

int connect_to(uint16_t port, int rcvbuf = 0) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (rcvbuf) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw std::runtime_error("connect failed");
  return fd;
}

std::string post(const std::string& content_type, const std::string& body) {
  return "POST /v1/events HTTP/1.1\r\nHost: b\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// `connections` keep-alive connections each sending `request` again as soon
// as its response arrived, for `seconds`. Returns responses with status 200.
struct LoadResult {
  uint64_t ok = 0, other = 0;
  double seconds = 0;
};
LoadResult http_load(uint16_t port, const std::string& request, int connections, double seconds) {
  struct Conn {
    int fd;
    std::string in;
  };
  std::vector<Conn> conns;
  std::vector<pollfd> fds;
  for (int i = 0; i < connections; ++i) {
    conns.push_back({connect_to(port), {}});
    fds.push_back({conns.back().fd, POLLIN, 0});
  }
  auto send_all = [&](int fd) {
    size_t done = 0;
    while (done < request.size()) {
      const ssize_t n = ::send(fd, request.data() + done, request.size() - done, MSG_NOSIGNAL);
      if (n <= 0) throw std::runtime_error("send failed");
      done += static_cast<size_t>(n);
    }
  };
  LoadResult r;
  const auto t0 = Clock::now();
  const auto end = t0 + std::chrono::duration<double>(seconds);
  for (auto& c : conns)
    send_all(c.fd);
  char buf[65536];
  size_t outstanding = conns.size();
  bool stopping = false;
  while (outstanding > 0) {
    if (::poll(fds.data(), fds.size(), 1000) <= 0) continue;
    if (!stopping && Clock::now() >= end) stopping = true;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      Conn& c = conns[i];
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n <= 0) throw std::runtime_error("connection closed by the server");
      c.in.append(buf, static_cast<size_t>(n));
      for (;;) {  // every whole response in the buffer
        const size_t head_end = c.in.find("\r\n\r\n");
        if (head_end == std::string::npos) break;
        const size_t cl = c.in.find("Content-Length: ");
        const size_t len = std::stoul(c.in.substr(cl + 16));
        if (c.in.size() < head_end + 4 + len) break;
        (c.in.compare(9, 3, "200") == 0 ? r.ok : r.other)++;
        c.in.erase(0, head_end + 4 + len);
        if (stopping) {
          --outstanding;
          fds[i].events = 0;
        } else {
          send_all(c.fd);
        }
      }
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  for (auto& c : conns)
    ::close(c.fd);
  return r;
}

void report_rate(const std::string& name, double events, double seconds, const std::string& extra) {
  bench::Measure m;
  m.ops = static_cast<uint64_t>(events);
  m.ops_per_sec = events / seconds;
  m.ns_per_op = seconds * 1e9 / events;
  bench::report(name, m, "", nullptr, extra);
}

void bench_http(const std::string& name, const std::string& type, int batch, double seconds) {
  Host host;
  std::string request;
  if (batch == 1) {
    request = post("application/cloudevents+json",
                   R"({"specversion":"1.0","type":")" + type +
                       R"(","source":"bench","data":{"n":1,"text":"a small payload"}})");
  } else {
    std::string body = "[";
    for (int i = 0; i < batch; ++i) {
      if (i) body += ",";
      body += R"({"specversion":"1.0","type":")" + type +
              R"(","source":"bench","data":{"n":1,"text":"a small payload"}})";
    }
    body += "]";
    request = post("application/cloudevents-batch+json", body);
  }
  const LoadResult r = http_load(host.port(), request, 32, seconds);
  const double events = static_cast<double>(r.ok) * batch;
  report_rate(
      name, events, r.seconds,
      "\"connections\":32,\"events_per_request\":" + std::to_string(batch) +
          ",\"requests_per_sec\":" + std::to_string(static_cast<uint64_t>(r.ok / r.seconds)) +
          ",\"errors\":" + std::to_string(r.other));
}

// One tail client; a publisher thread publishes `n` events as fast as the
// bus takes them; the rate is what the client received per second.
void bench_ws_tail(uint64_t n, bool batch) {
  Host host(n);  // the queue holds everything: the bench measures the writer
  const int fd = connect_to(host.port(), 1 << 20);
  const std::string upgrade =
      std::string("GET /v1/tail?pattern=load.*") + (batch ? "&batch=true" : "") +
      " HTTP/1.1\r\nHost: b\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n\r\n";
  ::send(fd, upgrade.data(), upgrade.size(), MSG_NOSIGNAL);
  std::string in;
  char buf[1 << 16];
  while (in.find("\r\n\r\n") == std::string::npos) {
    const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got <= 0) throw std::runtime_error("upgrade failed");
    in.append(buf, static_cast<size_t>(got));
  }
  in.erase(0, in.find("\r\n\r\n") + 4);
  const auto& m = host.api->server()->metrics();
  while (m.tails.load() == 0)
    std::this_thread::yield();
  EventPtr e = *EventBuilder("load.tick")
                    .source("bench")
                    .data(R"({"n":1,"text":"a small payload"})")
                    .build();
  std::thread publisher([&] {
    for (uint64_t i = 0; i < n; ++i)
      (void)host.services.bus->publish(e);
  });
  uint64_t frames = 0, events = 0;
  size_t pos = 0;
  const auto t0 = Clock::now();
  while (events < n) {
    const ssize_t got = ::recv(fd, buf, sizeof buf, 0);
    if (got <= 0) break;
    in.append(buf, static_cast<size_t>(got));
    for (;;) {  // whole frames (server frames are unmasked)
      if (in.size() - pos < 2) break;
      size_t len = static_cast<unsigned char>(in[pos + 1]) & 0x7f, head = 2;
      if (len == 126) {
        if (in.size() - pos < 4) break;
        len = (static_cast<unsigned char>(in[pos + 2]) << 8) |
              static_cast<unsigned char>(in[pos + 3]);
        head = 4;
      } else if (len == 127) {
        if (in.size() - pos < 10) break;
        len = 0;
        for (int i = 0; i < 8; ++i)
          len = (len << 8) | static_cast<unsigned char>(in[pos + 2 + i]);
        head = 10;
      }
      if (in.size() - pos < head + len) break;
      if (batch) {  // a JSON array of events: count them
        const std::string_view msg(in.data() + pos + head, len);
        for (size_t at = msg.find("{\"specversion\""); at != std::string_view::npos;
             at = msg.find("{\"specversion\"", at + 1))
          ++events;
      } else {
        ++events;
      }
      pos += head + len;
      ++frames;
    }
    if (pos > (1 << 20)) {
      in.erase(0, pos);
      pos = 0;
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  publisher.join();
  ::close(fd);
  report_rate(batch ? "ws_tail_batch" : "ws_tail", static_cast<double>(events), secs,
              "\"clients\":1,\"events\":" + std::to_string(events) + ",\"messages\":" +
                  std::to_string(frames) + ",\"dropped\":" + std::to_string(m.tail_dropped.load()));
}

}  // namespace

int main(int argc, char** argv) {
  const std::string filter = argc > 1 ? argv[1] : "";
  const double seconds = argc > 2 ? std::stod(argv[2]) : 5.0;
  auto want = [&](std::string_view name) { return filter.empty() || filter == name; };
  if (want("http_publish")) bench_http("http_publish", "load.tick", 1, seconds);
  if (want("http_publish_batch")) bench_http("http_publish_batch", "load.tick", 100, seconds);
  if (want("http_publish_persistent"))
    bench_http("http_publish_persistent", "order.placed", 1, seconds);
  if (want("ws_tail")) bench_ws_tail(1'000'000, false);
  if (want("ws_tail_batch")) bench_ws_tail(1'000'000, true);
  return 0;
}
