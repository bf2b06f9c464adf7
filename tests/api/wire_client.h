// Plain-socket HTTP/1.1 and WebSocket clients for the API tests: they write
// exactly the bytes a test gives (malformed ones too) and read what the
// server answers, with a deadline on every read. No Beast: the server is
// tested from outside, as any client sees it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace chorus::test {

struct HttpResponse {
  int status = 0;  // 0: no response before the connection ended or the deadline
  std::vector<std::pair<std::string, std::string>> headers;  // names lower case
  std::string body;
  std::string header(const std::string& lower_name) const;
};

// One TCP connection to 127.0.0.1:port.
class Connection {
 public:
  explicit Connection(uint16_t port, int receive_buffer = 0);  // throws when it cannot connect
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void send(const std::string& bytes);  // throws on failure
  // Reads one response (Content-Length framed, or to EOF without one).
  HttpResponse read_response(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Reads until the peer closes; true when it did before the deadline.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Bytes read but not consumed yet, then whatever arrives within `timeout`.
  std::string read_some(std::chrono::milliseconds timeout);
  int fd() const { return fd_; }

  // Reads until `n` bytes are buffered; false at EOF or the deadline.
  bool fill(size_t n, std::chrono::steady_clock::time_point deadline);
  std::string buffer;  // read, not yet consumed

 private:
  int fd_ = -1;
};

// A whole request: method, target, extra header lines ("Name: value"), body.
std::string http_request(const std::string& method, const std::string& target,
                         const std::vector<std::string>& headers = {}, const std::string& body = "",
                         bool keep_alive = false);

// One request on a new connection.
HttpResponse http(uint16_t port, const std::string& method, const std::string& target,
                  const std::vector<std::string>& headers = {}, const std::string& body = "");

struct WsMessage {
  int opcode = 0;  // 1 text, 2 binary, 8 close, 9 ping, 10 pong; 0: none (closed or deadline)
  std::string payload;
  bool fin = true;
  // For a close frame.
  int close_code() const;
  std::string close_reason() const;
};

// A WebSocket client over Connection: handshake, frames in, close out.
class WsClient {
 public:
  // Connects and upgrades `target`; `receive_buffer` > 0 sets SO_RCVBUF
  // before connecting (a small one makes a stalled client quickly).
  WsClient(uint16_t port, const std::string& target, const std::vector<std::string>& headers = {},
           int receive_buffer = 0);
  // The handshake's response (101 on success).
  const HttpResponse& handshake() const { return handshake_; }
  WsMessage read(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // The next data message, answering pings on the way.
  WsMessage read_data(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  void send_close(int code = 1000);
  // One masked frame (FIN set).
  void send_frame(int opcode, const std::string& payload);
  Connection& connection() { return conn_; }

 private:
  std::optional<WsMessage> read_frame(std::chrono::steady_clock::time_point deadline);
  Connection conn_;
  HttpResponse handshake_;
};

}  // namespace chorus::test
