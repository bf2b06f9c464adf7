// ProbeConnection (probe_connection.h): deadline, resolve, connect, finish once.
#include "discovery/probe_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <fmt/core.h>

namespace chorus::discovery {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

ProbeConnection::ProbeConnection(asio::io_context& io, std::string host, uint16_t port,
                                 std::chrono::milliseconds timeout, std::string what,
                                 ProbeDone done)
    : strand_(asio::make_strand(io)),
      resolver_(strand_),
      socket_(strand_),
      timer_(strand_),
      host_(std::move(host)),
      port_(port),
      timeout_(timeout),
      what_(std::move(what)),
      done_(std::move(done)) {}

void ProbeConnection::start() {
  asio::post(strand_, [self = shared_from_this()] {
    self->timer_.expires_after(self->timeout_);
    self->timer_.async_wait([self](const boost::system::error_code& ec) {
      if (!ec)
        self->finish(Status::Timeout(
            fmt::format("{}: timed out after {}ms", self->what_, self->timeout_.count())));
    });
    auto on_connect = [self](const boost::system::error_code& ec) {
      if (ec) return self->finish(self->error("", ec));
      if (self->done_) self->connected();
    };
    // An IP address needs no resolver (which would run getaddrinfo on
    // Asio's resolver thread: a thread hop per check).
    boost::system::error_code bad;
    const auto address = asio::ip::make_address(self->host_, bad);
    if (!bad) {
      self->socket_.async_connect(tcp::endpoint(address, self->port_), on_connect);
      return;
    }
    self->resolver_.async_resolve(
        self->host_, std::to_string(self->port_),
        [self, on_connect](const boost::system::error_code& ec,
                           const tcp::resolver::results_type& r) {
          if (ec) return self->finish(self->error("cannot resolve the host", ec));
          asio::async_connect(self->socket_, r,
                              [on_connect](const boost::system::error_code& ec2,
                                           const tcp::endpoint&) { on_connect(ec2); });
        });
  });
}

void ProbeConnection::cancel() {
  asio::post(strand_, [self = shared_from_this()] {
    self->finish(Status::Cancelled(fmt::format("{}: cancelled", self->what_)));
  });
}

Status ProbeConnection::error(std::string_view step, const boost::system::error_code& ec) const {
  return Status::IOError(step.empty() ? fmt::format("{}: {}", what_, ec.message())
                                      : fmt::format("{}: {}: {}", what_, step, ec.message()));
}

void ProbeConnection::finish(Status s) {
  if (!done_) return;
  ProbeDone done = std::move(done_);
  done_ = nullptr;
  timer_.cancel();
  resolver_.cancel();
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  done(std::move(s));
}

}  // namespace chorus::discovery
