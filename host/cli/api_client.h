// ApiClient: the `chorus` commands' connection to a running host's admin
// API (docs/api.md): one HTTP/1.1 request at a time, or a WebSocket tail.
// Every operation has a deadline; a host that does not answer is
// Unavailable with the address tried, so commands can say "is the host
// running?" and exit 4.
//
// Threading: one client per thread; each call runs its own io_context.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace chorus::cli {

// Where the API is, how to authenticate, and where that came from (for
// messages: "--addr", "CHORUS_ADDR", "api.listen in host.yaml", "the default").
struct ApiEndpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 7070;
  std::string token;
  std::string source = "the default";

  std::string address() const;  // "127.0.0.1:7070", "[::1]:7070"
};

struct HttpResult {
  int status = 0;
  std::string content_type;
  std::string body;
};

// How a tail ended.
struct TailEnd {
  int code = 0;        // the WebSocket close code (1000 normal, 1001 going away, 1013 too slow)
  std::string reason;  // the host's reason
};

class ApiClient {
 public:
  explicit ApiClient(ApiEndpoint endpoint,
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

  const ApiEndpoint& endpoint() const noexcept { return endpoint_; }

  // Unavailable when the host cannot be reached (naming the address and
  // where it came from); IOError for a connection that breaks.
  Result<HttpResult> request(std::string_view method, std::string_view target,
                             const std::vector<std::pair<std::string, std::string>>& headers = {},
                             std::string_view body = {});

  // Opens the WebSocket at `target` and calls on_message for each text
  // message until it returns false (the client closes) or the host closes.
  // on_open runs once the upgrade succeeded. A refused upgrade is an error
  // whose message is the host's JSON error message (with the HTTP status
  // in `refused_status`).
  Result<TailEnd> tail(std::string_view target, const std::function<void()>& on_open,
                       const std::function<bool(std::string_view)>& on_message,
                       int* refused_status = nullptr);

 private:
  ApiEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
};

}  // namespace chorus::cli
