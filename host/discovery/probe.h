// Probes: one health check's attempt against the network, on an Asio
// io_context, never blocking a thread. A probe completes `done` exactly
// once, on an io thread: OK when it passed, else a Status whose message
// says why ("tcp 10.0.0.5:8080: Connection refused", "http ...: status 503",
// "... timed out after 2000ms"). Private to host/discovery; the HTTP probe
// is the one file of the module that includes Boost.Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"

namespace boost::asio {
class io_context;
}

namespace chorus::discovery {

using ProbeDone = std::function<void(Status result)>;

class Probe {
 public:
  virtual ~Probe() = default;
  // Completes the probe soon with Cancelled (unless it completed already).
  virtual void cancel() = 0;
};

// Passes when a TCP connection to host:port is established (then closed).
std::shared_ptr<Probe> start_tcp_probe(boost::asio::io_context& io, std::string host, uint16_t port,
                                       std::chrono::milliseconds timeout, ProbeDone done);

// Passes when GET http://host:port/path answers with a 2xx status; only the
// response header is read (at most 8 KiB), the body is ignored.
std::shared_ptr<Probe> start_http_probe(boost::asio::io_context& io, std::string host,
                                        uint16_t port, std::string path,
                                        std::chrono::milliseconds timeout, ProbeDone done);

}  // namespace chorus::discovery
