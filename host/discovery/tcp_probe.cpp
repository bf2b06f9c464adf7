// The TCP health check: resolve, connect, close (probe.h).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <fmt/core.h>

#include "discovery/probe.h"

namespace chorus::discovery {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class TcpProbe final : public Probe, public std::enable_shared_from_this<TcpProbe> {
 public:
  TcpProbe(asio::io_context& io, std::string host, uint16_t port, std::chrono::milliseconds timeout,
           ProbeDone done)
      : strand_(asio::make_strand(io)),
        resolver_(strand_),
        socket_(strand_),
        timer_(strand_),
        host_(std::move(host)),
        port_(port),
        timeout_(timeout),
        done_(std::move(done)),
        what_(fmt::format("tcp {}:{}", host_, port_)) {}

  void start() {
    asio::post(strand_, [self = shared_from_this()] {
      self->timer_.expires_after(self->timeout_);
      self->timer_.async_wait([self](const boost::system::error_code& ec) {
        if (!ec)
          self->finish(Status::Timeout(
              fmt::format("{}: timed out after {}ms", self->what_, self->timeout_.count())));
      });
      // An IP address needs no resolver (which would run getaddrinfo on
      // Asio's resolver thread: a thread hop per check).
      boost::system::error_code bad;
      const auto address = asio::ip::make_address(self->host_, bad);
      if (!bad) {
        self->socket_.async_connect(tcp::endpoint(address, self->port_),
                                    [self](const boost::system::error_code& ec) {
                                      if (ec) return self->finish(self->error("", ec));
                                      self->finish(Status::OK());
                                    });
        return;
      }
      self->resolver_.async_resolve(
          self->host_, std::to_string(self->port_),
          [self](const boost::system::error_code& ec, const tcp::resolver::results_type& r) {
            if (ec) return self->finish(self->error("cannot resolve the host", ec));
            asio::async_connect(self->socket_, r,
                                [self](const boost::system::error_code& ec2, const tcp::endpoint&) {
                                  if (ec2) return self->finish(self->error("", ec2));
                                  self->finish(Status::OK());
                                });
          });
    });
  }

  void cancel() override {
    asio::post(strand_, [self = shared_from_this()] {
      self->finish(Status::Cancelled(fmt::format("{}: cancelled", self->what_)));
    });
  }

 private:
  Status error(std::string_view step, const boost::system::error_code& ec) const {
    return Status::IOError(step.empty() ? fmt::format("{}: {}", what_, ec.message())
                                        : fmt::format("{}: {}: {}", what_, step, ec.message()));
  }
  // On the strand. The first call completes the probe; the rest are late.
  void finish(Status s) {
    if (!done_) return;
    ProbeDone done = std::move(done_);
    done_ = nullptr;
    timer_.cancel();
    resolver_.cancel();
    boost::system::error_code ignored;
    socket_.close(ignored);
    done(std::move(s));
  }

  asio::strand<asio::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  ProbeDone done_;
  std::string what_;
};

}  // namespace

std::shared_ptr<Probe> start_tcp_probe(asio::io_context& io, std::string host, uint16_t port,
                                       std::chrono::milliseconds timeout, ProbeDone done) {
  auto p = std::make_shared<TcpProbe>(io, std::move(host), port, timeout, std::move(done));
  p->start();
  return p;
}

}  // namespace chorus::discovery
