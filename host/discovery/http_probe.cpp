// The HTTP health check: GET the path, pass on a 2xx status (probe.h). The
// only file of host/discovery that includes Boost.Beast (compile cost).
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/core.h>

#include "discovery/probe.h"

namespace chorus::discovery {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// The response header may not be larger: a health endpoint that sends more
// is broken (or not a health endpoint).
constexpr size_t kMaxHeaderBytes = 8 * 1024;

class HttpProbe final : public Probe, public std::enable_shared_from_this<HttpProbe> {
 public:
  HttpProbe(asio::io_context& io, std::string host, uint16_t port, std::string path,
            std::chrono::milliseconds timeout, ProbeDone done)
      : strand_(asio::make_strand(io)),
        resolver_(strand_),
        socket_(strand_),
        timer_(strand_),
        host_(std::move(host)),
        port_(port),
        timeout_(timeout),
        done_(std::move(done)),
        what_(fmt::format("http {}:{}{}", host_, port_, path)),
        buffer_(kMaxHeaderBytes) {
    request_.method(http::verb::get);
    request_.target(path);
    request_.version(11);
    request_.set(http::field::host, host_.find(':') == std::string::npos
                                        ? fmt::format("{}:{}", host_, port_)
                                        : fmt::format("[{}]:{}", host_, port_));
    request_.set(http::field::user_agent, "chorus-discovery");
    request_.set(http::field::connection, "close");
    parser_.header_limit(kMaxHeaderBytes);
  }

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
                                      self->send();
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
                                  self->send();
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
  void send() {
    http::async_write(socket_, request_,
                      [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
                        if (ec) return self->finish(self->error("sending the request", ec));
                        self->receive();
                      });
  }

  void receive() {
    http::async_read_header(
        socket_, buffer_, parser_,
        [self = shared_from_this()](const boost::system::error_code& ec, size_t) {
          if (ec) {
            if (ec == http::error::end_of_stream || ec == asio::error::eof)
              return self->finish(Status::IOError(fmt::format(
                  "{}: the server closed the connection without a response", self->what_)));
            if (ec.category() == http::make_error_code(http::error::bad_version).category())
              return self->finish(Status::Corruption(
                  fmt::format("{}: malformed response: {}", self->what_, ec.message())));
            return self->finish(self->error("reading the response", ec));
          }
          const unsigned code = self->parser_.get().result_int();
          if (code >= 200 && code < 300) return self->finish(Status::OK());
          self->finish(Status::Unavailable(fmt::format("{}: status {}", self->what_, code)));
        });
  }

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
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
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
  http::request<http::empty_body> request_;
  boost::beast::flat_buffer buffer_;
  http::response_parser<http::empty_body> parser_;
};

}  // namespace

std::shared_ptr<Probe> start_http_probe(asio::io_context& io, std::string host, uint16_t port,
                                        std::string path, std::chrono::milliseconds timeout,
                                        ProbeDone done) {
  auto p = std::make_shared<HttpProbe>(io, std::move(host), port, std::move(path), timeout,
                                       std::move(done));
  p->start();
  return p;
}

}  // namespace chorus::discovery
