// The HTTP health check: GET the path, pass on a 2xx status (probe.h). The
// only file of host/discovery that includes Boost.Beast (compile cost).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <fmt/core.h>

#include "discovery/probe_connection.h"

namespace chorus::discovery {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

// The response header may not be larger: a health endpoint that sends more
// is broken (or not a health endpoint).
constexpr size_t kMaxHeaderBytes = 8 * 1024;

class HttpProbe final : public ProbeConnection {
 public:
  HttpProbe(asio::io_context& io, std::string host, uint16_t port, std::string path,
            std::chrono::milliseconds timeout, ProbeDone done)
      : ProbeConnection(io, host, port, timeout, fmt::format("http {}:{}{}", host, port, path),
                        std::move(done)),
        buffer_(kMaxHeaderBytes) {
    request_.method(http::verb::get);
    request_.target(path);
    request_.version(11);
    request_.set(http::field::host, host.find(':') == std::string::npos
                                        ? fmt::format("{}:{}", host, port)
                                        : fmt::format("[{}]:{}", host, port));
    request_.set(http::field::user_agent, "chorus-discovery");
    request_.set(http::field::connection, "close");
    parser_.header_limit(kMaxHeaderBytes);
  }

 private:
  std::shared_ptr<HttpProbe> self() {
    return std::static_pointer_cast<HttpProbe>(shared_from_this());
  }

  void connected() override {
    http::async_write(socket(), request_,
                      [self = self()](const boost::system::error_code& ec, size_t) {
                        if (ec) return self->finish(self->error("sending the request", ec));
                        self->receive();
                      });
  }

  void receive() {
    http::async_read_header(
        socket(), buffer_, parser_, [self = self()](const boost::system::error_code& ec, size_t) {
          if (ec) {
            if (ec == http::error::end_of_stream || ec == asio::error::eof)
              return self->finish(Status::IOError(fmt::format(
                  "{}: the server closed the connection without a response", self->what())));
            if (ec.category() == http::make_error_code(http::error::bad_version).category())
              return self->finish(Status::Corruption(
                  fmt::format("{}: malformed response: {}", self->what(), ec.message())));
            return self->finish(self->error("reading the response", ec));
          }
          const unsigned code = self->parser_.get().result_int();
          if (code >= 200 && code < 300) return self->finish(Status::OK());
          self->finish(Status::Unavailable(fmt::format("{}: status {}", self->what(), code)));
        });
  }

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
