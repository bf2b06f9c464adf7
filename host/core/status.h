// Status and Result<T>: errors as values, in the LevelDB style.
//
// An OK Status holds no allocation and costs one null pointer; a failed one
// owns its code and message. Messages name the input and where it came from
// ("config/host.yaml:3:5: host.workers: ...", "event field 'type': ...").
// Host code returns Status/Result across module boundaries and never throws.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace chorus {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong (names the field)
  kNotFound,            // the named thing does not exist
  kAlreadyExists,       // the named thing exists and may not be created again
  kConflict,            // an optimistic check failed (e.g. expected stream version)
  kCorruption,          // stored or received bytes do not decode
  kIOError,             // the OS refused a file or socket operation
  kTimeout,             // a deadline passed
  kUnavailable,         // temporarily not possible (shutting down, circuit open, no responders)
  kPermissionDenied,    // not allowed (file mode, token, sandbox)
  kResourceExhausted,   // a bound was hit (queue full, memory limit, map full)
  kCancelled,           // the operation was abandoned by its owner
  kFailedPrecondition,  // the system is not in a state that allows the operation
  kNotSupported,        // a format version or feature this build does not know
  kNoResponders,        // a request found no subscriber for its type
  kInternal,            // a bug: an invariant did not hold
  kNoHealthyInstance,   // discovery found no healthy instance to select (added after kInternal:
                        // the plugin ABI fixes the numbers 0..15 and appends only)
};

// Returns a stable lowercase name: "invalid_argument", "not_found", ...
std::string_view status_code_name(StatusCode code);

class Status {
 public:
  Status() noexcept = default;  // OK
  Status(StatusCode code, std::string message);
  Status(const Status& other);
  Status& operator=(const Status& other);
  Status(Status&&) noexcept = default;
  Status& operator=(Status&&) noexcept = default;
  ~Status() = default;

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) {
    return {StatusCode::kAlreadyExists, std::move(msg)};
  }
  static Status Conflict(std::string msg) { return {StatusCode::kConflict, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {StatusCode::kIOError, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {StatusCode::kTimeout, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) {
    return {StatusCode::kPermissionDenied, std::move(msg)};
  }
  static Status ResourceExhausted(std::string msg) {
    return {StatusCode::kResourceExhausted, std::move(msg)};
  }
  static Status Cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {StatusCode::kFailedPrecondition, std::move(msg)};
  }
  static Status NotSupported(std::string msg) {
    return {StatusCode::kNotSupported, std::move(msg)};
  }
  static Status NoResponders(std::string msg) {
    return {StatusCode::kNoResponders, std::move(msg)};
  }
  static Status NoHealthyInstance(std::string msg) {
    return {StatusCode::kNoHealthyInstance, std::move(msg)};
  }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const noexcept { return rep_ == nullptr; }
  StatusCode code() const noexcept { return rep_ ? rep_->code : StatusCode::kOk; }
  // The message without the code name; empty for OK.
  const std::string& message() const noexcept;
  // "ok" or "<code name>: <message>".
  std::string to_string() const;

  // Returns a copy whose message is "<prefix>: <message>" (same code).
  // Used to add where an error happened as it travels outwards.
  Status with_context(std::string_view prefix) const;

  bool is(StatusCode c) const noexcept { return code() == c; }

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::unique_ptr<Rep> rep_;
};

// Holds either a value or a failed Status. Result<T> from an OK Status is a
// bug (checked: it becomes kInternal).
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::in_place_index<1>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::in_place_index<0>, std::move(status)) {  // NOLINT
    if (std::get<0>(v_).ok())
      v_.template emplace<0>(StatusCode::kInternal, "Result built from OK status");
  }

  bool ok() const noexcept { return v_.index() == 1; }
  // The error; OK when the result holds a value.
  Status status() const { return ok() ? Status() : std::get<0>(v_); }
  const Status& error() const& { return std::get<0>(v_); }  // REQUIRES: !ok()
  Status&& error() && { return std::get<0>(std::move(v_)); }

  // REQUIRES: ok().
  T& value() & { return std::get<1>(v_); }
  const T& value() const& { return std::get<1>(v_); }
  T&& value() && { return std::get<1>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  T value_or(T other) const& { return ok() ? value() : std::move(other); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace chorus

#define CHORUS_CONCAT_INNER_(a, b) a##b
#define CHORUS_CONCAT_(a, b) CHORUS_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define CHORUS_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::chorus::Status chorus_status_ = (expr);        \
    if (!chorus_status_.ok()) return chorus_status_; \
  } while (0)

// `CHORUS_ASSIGN_OR_RETURN(auto x, f());` declares/assigns x from a Result or
// returns its error.
#define CHORUS_ASSIGN_OR_RETURN(lhs, expr) \
  CHORUS_ASSIGN_OR_RETURN_IMPL_(CHORUS_CONCAT_(chorus_result_, __LINE__), lhs, expr)
#define CHORUS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return std::move(tmp).error();       \
  lhs = std::move(tmp).value()
