// Request/Response helpers, the Status -> HTTP status mapping and Reply.
#include "api/http_message.h"

#include <atomic>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace chorus::api {

std::string_view method_name(Method m) noexcept {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kDelete:
      return "DELETE";
    case Method::kPatch:
      return "PATCH";
    case Method::kOptions:
      return "OPTIONS";
    case Method::kOther:
      break;
  }
  return "OTHER";
}

std::string_view Request::header(std::string_view lower_name) const noexcept {
  for (const Header& h : headers)
    if (h.name == lower_name) return h.value;
  return {};
}

bool Request::has_header(std::string_view lower_name) const noexcept {
  for (const Header& h : headers)
    if (h.name == lower_name) return true;
  return false;
}

std::string_view Request::param(std::string_view name) const noexcept {
  for (const auto& [k, v] : path_params)
    if (k == name) return v;
  return {};
}

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response error_response(int status, std::string_view code, std::string_view message) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("code");
  w.String(code.data(), static_cast<rapidjson::SizeType>(code.size()));
  w.Key("message");
  w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  w.EndObject();
  w.EndObject();
  return json_response(status, std::string(buf.GetString(), buf.GetSize()));
}

Response error_response(const Status& s) {
  return error_response(http_status_of(s.code()), status_code_name(s.code()), s.message());
}

int http_status_of(StatusCode code) noexcept {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kConflict:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kTimeout:
      return 504;
    case StatusCode::kUnavailable:
    case StatusCode::kNoResponders:
    case StatusCode::kCancelled:
      return 503;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kNotSupported:
      return 501;
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 101:
      return "Switching Protocols";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

struct Reply::State {
  Sink sink;
  std::atomic<bool> sent{false};
  // A handler that dropped its Reply without sending: the request fails
  // with 500 rather than hanging.
  ~State() {
    if (!sent.load(std::memory_order_acquire) && sink)
      sink(error_response(500, "internal", "the handler finished without answering"));
  }
};

Reply::Reply(Sink sink) : state_(std::make_shared<State>()) {
  state_->sink = std::move(sink);
}

void Reply::deliver(State& s, Response response) {
  if (s.sent.exchange(true, std::memory_order_acq_rel)) return;
  Sink sink = std::move(s.sink);
  sink(std::move(response));
}

void Reply::send(Response response) const {
  deliver(*state_, std::move(response));
}

Reply::Weak Reply::weak() const {
  Weak w;
  w.state_ = state_;
  return w;
}

void Reply::Weak::send(Response response) const {
  if (auto s = state_.lock()) deliver(*s, std::move(response));
}

bool Reply::sent() const noexcept {
  return state_->sent.load(std::memory_order_acquire);
}

}  // namespace chorus::api
