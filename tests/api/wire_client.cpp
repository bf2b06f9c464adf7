// Plain-socket HTTP and WebSocket clients (wire_client.h).
#include "wire_client.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace chorus::test {
namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && (s[a] == ' ' || s[a] == '\t'))
    ++a;
  while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r'))
    --b;
  return s.substr(a, b - a);
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return v;
  return {};
}

Connection::Connection(uint16_t port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  if (receive_buffer > 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
  }
}

Connection::~Connection() {
  if (fd_ >= 0) ::close(fd_);
}

void Connection::send(const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
}

bool Connection::fill(size_t n, Clock::time_point deadline) {
  char chunk[16384];
  while (buffer.size() < n) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(got));
  }
  return true;
}

std::string Connection::read_some(std::chrono::milliseconds timeout) {
  fill(buffer.size() + 1, Clock::now() + timeout);
  return std::exchange(buffer, {});
}

bool Connection::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  char chunk[16384];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r <= 0) continue;
    const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got == 0 || (got < 0 && errno != EINTR && errno != EAGAIN)) return true;
    if (got > 0) buffer.append(chunk, static_cast<size_t>(got));
  }
}

HttpResponse Connection::read_response(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  HttpResponse r;
  size_t end;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos)
    if (!fill(buffer.size() + 1, deadline)) return r;
  const std::string head = buffer.substr(0, end);
  buffer.erase(0, end + 4);
  size_t pos = head.find("\r\n");
  const std::string status_line = head.substr(0, pos);
  if (status_line.size() >= 12) r.status = std::stoi(status_line.substr(9, 3));
  while (pos != std::string::npos && pos < head.size()) {
    const size_t next = head.find("\r\n", pos + 2);
    const std::string line =
        head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
    const size_t colon = line.find(':');
    if (colon != std::string::npos)
      r.headers.emplace_back(lower(line.substr(0, colon)), trim(line.substr(colon + 1)));
    pos = next;
  }
  const std::string length = r.header("content-length");
  if (r.status == 101 || (r.status >= 100 && r.status < 200)) return r;
  if (!length.empty()) {
    const size_t n = std::stoul(length);
    fill(n, deadline);
    r.body = buffer.substr(0, n);
    buffer.erase(0, std::min(n, buffer.size()));
  } else {
    wait_closed(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    r.body = std::exchange(buffer, {});
  }
  return r;
}

std::string http_request(const std::string& method, const std::string& target,
                         const std::vector<std::string>& headers, const std::string& body,
                         bool keep_alive) {
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& h : headers)
    req += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT")
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  if (!keep_alive) req += "Connection: close\r\n";
  req += "\r\n" + body;
  return req;
}

HttpResponse http(uint16_t port, const std::string& method, const std::string& target,
                  const std::vector<std::string>& headers, const std::string& body) {
  Connection c(port);
  c.send(http_request(method, target, headers, body));
  return c.read_response();
}

int WsMessage::close_code() const {
  if (payload.size() < 2) return 0;
  return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

std::string WsMessage::close_reason() const {
  return payload.size() > 2 ? payload.substr(2) : std::string();
}

WsClient::WsClient(uint16_t port, const std::string& target,
                   const std::vector<std::string>& headers, int receive_buffer)
    : conn_(port, receive_buffer) {
  std::vector<std::string> h = headers;
  h.push_back("Upgrade: websocket");
  h.push_back("Connection: Upgrade");
  h.push_back("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==");
  h.push_back("Sec-WebSocket-Version: 13");
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const std::string& line : h)
    req += line + "\r\n";
  req += "\r\n";
  conn_.send(req);
  handshake_ = conn_.read_response();
}

WsMessage WsClient::read(std::chrono::milliseconds timeout) {
  // A message may come in fragments: continuation frames (opcode 0) up to FIN.
  const auto deadline = Clock::now() + timeout;
  std::optional<WsMessage> m = read_frame(deadline);
  if (!m) return WsMessage{};
  while (!m->fin) {
    std::optional<WsMessage> next = read_frame(deadline);
    if (!next || next->opcode != 0) return WsMessage{};
    m->payload += next->payload;
    m->fin = next->fin;
  }
  return *m;
}

std::optional<WsMessage> WsClient::read_frame(Clock::time_point deadline) {
  WsMessage m;
  if (!conn_.fill(2, deadline)) return std::nullopt;
  const auto b0 = static_cast<unsigned char>(conn_.buffer[0]);
  const auto b1 = static_cast<unsigned char>(conn_.buffer[1]);
  size_t len = b1 & 0x7f, header = 2;
  if (len == 126) {
    if (!conn_.fill(4, deadline)) return std::nullopt;
    len = (static_cast<unsigned char>(conn_.buffer[2]) << 8) |
          static_cast<unsigned char>(conn_.buffer[3]);
    header = 4;
  } else if (len == 127) {
    if (!conn_.fill(10, deadline)) return std::nullopt;
    len = 0;
    for (int i = 0; i < 8; ++i)
      len = (len << 8) | static_cast<unsigned char>(conn_.buffer[2 + i]);
    header = 10;
  }
  if (!conn_.fill(header + len, deadline)) return std::nullopt;
  m.opcode = b0 & 0x0f;
  m.fin = (b0 & 0x80) != 0;
  m.payload = conn_.buffer.substr(header, len);
  conn_.buffer.erase(0, header + len);
  return m;
}

WsMessage WsClient::read_data(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    WsMessage m =
        read(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    if (m.opcode == 9) {
      send_frame(10, m.payload);
      continue;
    }
    if (m.opcode == 10) continue;
    return m;
  }
}

void WsClient::send_frame(int opcode, const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(0x80 | opcode));
  // Clients mask every frame (RFC 6455 5.3); a zero mask keeps it readable.
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() <= 0xffff) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      f.push_back(static_cast<char>((static_cast<uint64_t>(payload.size()) >> shift) & 0xff));
  }
  f.append(4, '\0');
  f += payload;
  conn_.send(f);
}

void WsClient::send_close(int code) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xff));
  send_frame(8, p);
}

}  // namespace chorus::test
