// The TCP health check: resolve, connect, close (probe.h); a connection is a
// pass.
#include <fmt/core.h>

#include "discovery/probe_connection.h"

namespace chorus::discovery {
namespace {

class TcpProbe final : public ProbeConnection {
 public:
  using ProbeConnection::ProbeConnection;

 private:
  void connected() override { finish(Status::OK()); }
};

}  // namespace

std::shared_ptr<Probe> start_tcp_probe(boost::asio::io_context& io, std::string host, uint16_t port,
                                       std::chrono::milliseconds timeout, ProbeDone done) {
  std::string what = fmt::format("tcp {}:{}", host, port);
  auto p = std::make_shared<TcpProbe>(io, std::move(host), port, timeout, std::move(what),
                                      std::move(done));
  p->start();
  return p;
}

}  // namespace chorus::discovery
