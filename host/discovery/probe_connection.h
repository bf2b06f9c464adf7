// ProbeConnection: the part every network probe shares (probe.h): a strand,
// the deadline, resolving the host (skipped for an IP address), connecting,
// and completing `done` exactly once whatever comes first (the connection's
// outcome, the deadline, cancel()). A probe derives from it and says what to
// do once connected; the TCP probe passes there, the HTTP probe sends its
// request. Private to host/discovery (it includes Asio).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "discovery/probe.h"

namespace chorus::discovery {

class ProbeConnection : public Probe, public std::enable_shared_from_this<ProbeConnection> {
 public:
  // `what` names the probe in every message ("tcp 10.0.0.5:8080").
  ProbeConnection(boost::asio::io_context& io, std::string host, uint16_t port,
                  std::chrono::milliseconds timeout, std::string what, ProbeDone done);

  // Starts the deadline and the connection. REQUIRES: owned by a shared_ptr.
  void start();
  void cancel() override;

 protected:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;

  // On the strand, once connected; the probe continues on socket() and ends
  // with finish().
  virtual void connected() = 0;

  // On the strand. The first call completes the probe (cancels the timer and
  // the resolver, closes the socket, calls done); later calls do nothing.
  void finish(Status s);
  // IOError "<what>: <step>: <error>" (without the step when it is empty).
  Status error(std::string_view step, const boost::system::error_code& ec) const;

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  const std::string& what() const { return what_; }

 private:
  Strand strand_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds timeout_;
  std::string what_;
  ProbeDone done_;
};

}  // namespace chorus::discovery
