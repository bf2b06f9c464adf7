// TestServer: a real TCP/HTTP server on 127.0.0.1 for the health-check
// tests (discovery_test_util.h).
#include <fcntl.h>

#include <boost/asio/post.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include "discovery_test_util.h"

namespace chorus::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

TestServer::TestServer(Mode mode, uint16_t port) : acceptor_(io_), mode_(mode) {
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  acceptor_.open(ep.protocol());
  // Not inherited by child processes (the e2e test spawns `chorus`): a
  // listener kept open in a child would go on completing connections
  // after stop().
  ::fcntl(acceptor_.native_handle(), F_SETFD, FD_CLOEXEC);
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(ep);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

TestServer::~TestServer() {
  stop();
}

size_t TestServer::open_connections() const {
  std::lock_guard l(mu_);
  return held_.size();
}

void TestServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  asio::post(io_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    std::lock_guard l(mu_);
    for (auto& s : held_)
      s->close(ignored);
    held_.clear();
  });
  if (thread_.joinable()) thread_.join();  // run() returns once nothing is pending
}

void TestServer::accept() {
  auto sock = std::make_shared<tcp::socket>(io_);
  acceptor_.async_accept(*sock, [this, sock](const boost::system::error_code& ec) {
    if (ec) return;
    ++accepted_;
    serve(sock);
    accept();
  });
}

void TestServer::serve(std::shared_ptr<tcp::socket> s) {
  const Mode m = mode_.load();
  if (m == Mode::kAccept) {
    boost::system::error_code ignored;
    s->close(ignored);
    return;
  }
  {
    std::lock_guard l(mu_);
    held_.push_back(s);
  }
  if (m == Mode::kSilent) return;  // held open, never answered
  auto buf = std::make_shared<asio::streambuf>();
  asio::async_read_until(
      *s, *buf, "\r\n\r\n", [this, s, buf, m](const boost::system::error_code& ec, size_t) {
        if (ec) return;
        auto reply = std::make_shared<std::string>(
            m == Mode::kHttpOk
                ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            : m == Mode::kHttp503 ? "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
                                  : "this is not HTTP at all\r\n\r\n");
        asio::async_write(*s, asio::buffer(*reply),
                          [this, s, reply](const boost::system::error_code&, size_t) {
                            boost::system::error_code ignored;
                            s->shutdown(tcp::socket::shutdown_both, ignored);
                            s->close(ignored);
                            std::lock_guard l(mu_);
                            std::erase(held_, s);
                          });
      });
}

}  // namespace chorus::test
