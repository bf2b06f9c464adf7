// chorus/plugin.hpp: a header-only C++17 wrapper over the plugin C ABI
// (chorus/plugin.h). An agent is a class derived from chorus::sdk::Agent;
// one macro defines the entry symbol:
//
//   #include <chorus/plugin.hpp>
//   using namespace chorus::sdk;
//
//   class Echo : public Agent {
//    public:
//     Status on_start() override { return host().subscribe("echo.request").status(); }
//     Status on_event(const Event& e) override {
//       return host().publish(Message("echo.reply").caused_by(e).data(std::string(e.data())));
//     }
//   };
//   CHORUS_PLUGIN(Echo, "echo", "1.0.0", "answers echo.request", "echo")
//
// Rules the wrapper keeps for you:
//  - No exception crosses the ABI: every callback catches what the agent
//    throws and reports it as CHORUS_INTERNAL with the exception's text
//    (so the bus retries, dead-letters and counts it like any failure).
//  - The std::function objects given to subscribe/request/after/every live
//    in the Host until they cannot be called any more (a request's until it
//    completed, a one-shot timer's until it fired, the rest until
//    unsubscribe/cancel or the agent's destruction).
//  - The host never runs two callbacks of one instance at once (filters
//    excepted: they run on publishers' threads and must be thread-safe).
//
// Everything the host hands to a callback (Event, strings) is valid for that
// call only; keep an event with Host::retain().
#pragma once

#include <chrono>
#include <cstring>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "chorus/json.hpp"
#include "chorus/plugin.h"

namespace chorus::sdk {

// ---- status ----------------------------------------------------------------

enum class Code : int32_t {
  kOk = CHORUS_OK,
  kInvalidArgument = CHORUS_INVALID_ARGUMENT,
  kNotFound = CHORUS_NOT_FOUND,
  kAlreadyExists = CHORUS_ALREADY_EXISTS,
  kConflict = CHORUS_CONFLICT,
  kCorruption = CHORUS_CORRUPTION,
  kIOError = CHORUS_IO_ERROR,
  kTimeout = CHORUS_TIMEOUT,
  kUnavailable = CHORUS_UNAVAILABLE,
  kPermissionDenied = CHORUS_PERMISSION_DENIED,
  kResourceExhausted = CHORUS_RESOURCE_EXHAUSTED,
  kCancelled = CHORUS_CANCELLED,
  kFailedPrecondition = CHORUS_FAILED_PRECONDITION,
  kNotSupported = CHORUS_NOT_SUPPORTED,
  kNoResponders = CHORUS_NO_RESPONDERS,
  kInternal = CHORUS_INTERNAL,
  kNoHealthyInstance = CHORUS_NO_HEALTHY_INSTANCE,
};

inline const char* code_name(Code c) noexcept {
  static const char* const kNames[] = {"ok",
                                       "invalid_argument",
                                       "not_found",
                                       "already_exists",
                                       "conflict",
                                       "corruption",
                                       "io_error",
                                       "timeout",
                                       "unavailable",
                                       "permission_denied",
                                       "resource_exhausted",
                                       "cancelled",
                                       "failed_precondition",
                                       "not_supported",
                                       "no_responders",
                                       "internal",
                                       "no_healthy_instance"};
  const auto i = static_cast<int32_t>(c);
  return i >= 0 && i <= CHORUS_STATUS_LAST_KNOWN ? kNames[i] : "unknown";
}

// OK, or a code with a message. Cheap to copy when OK.
class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok() { return {}; }
  static Status error(Code code, std::string message) { return {code, std::move(message)}; }
  static Status invalid_argument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status not_found(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status failed_precondition(std::string m) {
    return {Code::kFailedPrecondition, std::move(m)};
  }
  static Status unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
  static Status internal(std::string m) { return {Code::kInternal, std::move(m)}; }

  bool is_ok() const noexcept { return code_ == Code::kOk; }
  explicit operator bool() const noexcept { return is_ok(); }
  Code code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  std::string to_string() const {
    return is_ok() ? "ok" : std::string(code_name(code_)) + ": " + message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or a failed Status.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit
    if (status_.is_ok()) status_ = Status::internal("Result made from an OK status");
  }
  bool ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  const Status& status() const noexcept { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

enum class Priority : uint32_t {
  kDefault = CHORUS_PRIORITY_DEFAULT,
  kCritical = CHORUS_PRIORITY_CRITICAL,
  kHigh = CHORUS_PRIORITY_HIGH,
  kNormal = CHORUS_PRIORITY_NORMAL,
  kLow = CHORUS_PRIORITY_LOW,
};

enum class Level : int32_t {
  kTrace = CHORUS_LOG_TRACE,
  kDebug = CHORUS_LOG_DEBUG,
  kInfo = CHORUS_LOG_INFO,
  kWarn = CHORUS_LOG_WARN,
  kError = CHORUS_LOG_ERROR,
  kCritical = CHORUS_LOG_CRITICAL,
};

inline std::string_view view(chorus_str s) noexcept {
  return s.data ? std::string_view(s.data, s.len) : std::string_view();
}
inline chorus_str str(std::string_view s) noexcept {
  return {s.data(), s.size()};
}

class Host;

// ---- events -----------------------------------------------------------------

// A read-only event: a view valid for the callback it was given to.
class Event {
 public:
  Event(const chorus_event_view& v, Host& host) : v_(v), host_(&host) {}

  std::string_view id() const noexcept { return std::string_view(v_.id.text, 36); }
  std::string_view type() const noexcept { return view(v_.type); }
  std::string_view source() const noexcept { return view(v_.source); }
  std::string_view target() const noexcept { return view(v_.target); }
  std::string_view correlation_id() const noexcept { return view(v_.correlation_id); }
  std::string_view causation_id() const noexcept { return view(v_.causation_id); }
  std::string_view stream() const noexcept { return view(v_.stream); }
  std::string_view content_type() const noexcept { return view(v_.content_type); }
  std::string_view data() const noexcept { return view(v_.data); }
  int64_t time_ns() const noexcept { return v_.time_ns; }
  Priority priority() const noexcept { return static_cast<Priority>(v_.priority); }
  bool is_reply() const noexcept { return v_.flags & CHORUS_EVENT_REPLY; }
  // The correlation id an event caused by this one carries.
  std::string_view correlation_or_id() const noexcept {
    return correlation_id().empty() ? id() : correlation_id();
  }
  std::optional<std::string_view> metadata(std::string_view key) const;

  // The data parsed as JSON (once); a null Value when it is not JSON.
  const json::Value& json() const {
    if (!json_) {
      auto parsed = json::Value::parse(data());
      json_ = parsed ? std::move(*parsed) : json::Value();
    }
    return *json_;
  }

  const chorus_event* handle() const noexcept { return v_.event; }
  const chorus_event_view& c_view() const noexcept { return v_; }

 private:
  const chorus_event_view& v_;
  Host* host_;
  mutable std::optional<json::Value> json_;
};

// An event kept beyond its callback (Host::retain); released when destroyed.
class RetainedEvent {
 public:
  RetainedEvent() = default;
  RetainedEvent(Host& host, chorus_event* e);
  RetainedEvent(RetainedEvent&& o) noexcept : host_(o.host_), e_(std::exchange(o.e_, nullptr)) {
    view_ = o.view_;
  }
  RetainedEvent& operator=(RetainedEvent&& o) noexcept {
    if (this != &o) {
      reset();
      host_ = o.host_;
      e_ = std::exchange(o.e_, nullptr);
      view_ = o.view_;
    }
    return *this;
  }
  RetainedEvent(const RetainedEvent&) = delete;
  RetainedEvent& operator=(const RetainedEvent&) = delete;
  ~RetainedEvent() { reset(); }

  explicit operator bool() const noexcept { return e_ != nullptr; }
  // A view of the event (valid while this object holds it).
  Event event() const { return Event(view_, *host_); }
  void reset();

 private:
  Host* host_ = nullptr;
  chorus_event* e_ = nullptr;
  chorus_event_view view_{};
};

// An event to publish, request, reply or append.
class Message {
 public:
  explicit Message(std::string type) : type_(std::move(type)) {}

  Message& data(std::string bytes, std::string content_type = {}) {
    data_ = std::move(bytes);
    content_type_ = std::move(content_type);
    return *this;
  }
  Message& json(const json::Value& v) {
    data_ = v.dump();
    content_type_.clear();  // application/json
    return *this;
  }
  Message& priority(Priority p) {
    priority_ = p;
    return *this;
  }
  Message& target(std::string t) {
    target_ = std::move(t);
    return *this;
  }
  Message& correlation_id(std::string c) {
    correlation_ = std::move(c);
    return *this;
  }
  Message& causation_id(std::string c) {
    causation_ = std::move(c);
    return *this;
  }
  Message& stream(std::string s) {
    stream_ = std::move(s);
    return *this;
  }
  Message& id(std::string uuid) {
    id_ = std::move(uuid);
    return *this;
  }
  Message& metadata(std::string key, std::string value) {
    metadata_.emplace_back(std::move(key), std::move(value));
    return *this;
  }
  // Causation = the event's id, correlation = its correlation id or its id
  // (explicit correlation_id/causation_id win). Use within the callback
  // that received `e` (or on a RetainedEvent's event()).
  Message& caused_by(const Event& e) {
    caused_by_ = e.handle();
    return *this;
  }

  const std::string& type() const noexcept { return type_; }

  // The C struct, pointing into this Message (valid while it is unchanged).
  const chorus_publish& c_struct() const {
    kv_.clear();
    for (const auto& [k, v] : metadata_)
      kv_.push_back({str(k), str(v)});
    p_ = chorus_publish{};
    p_.struct_size = sizeof(chorus_publish);
    p_.priority = static_cast<uint32_t>(priority_);
    p_.type = str(type_);
    p_.data = str(data_);
    p_.content_type = str(content_type_);
    p_.target = str(target_);
    p_.correlation_id = str(correlation_);
    p_.causation_id = str(causation_);
    p_.stream = str(stream_);
    p_.caused_by = caused_by_;
    p_.metadata = kv_.empty() ? nullptr : kv_.data();
    p_.metadata_count = kv_.size();
    p_.id = str(id_);
    return p_;
  }

 private:
  std::string type_, data_, content_type_, target_, correlation_, causation_, stream_, id_;
  Priority priority_ = Priority::kDefault;
  const chorus_event* caused_by_ = nullptr;
  std::vector<std::pair<std::string, std::string>> metadata_;
  mutable std::vector<chorus_kv> kv_;
  mutable chorus_publish p_{};
};

// ---- the host -----------------------------------------------------------------

// Returns OK, or an error that counts as a failed delivery.
using EventHandler = std::function<Status(const Event& event)>;
// True to deliver. Runs on the publisher's thread: must be thread-safe.
using EventFilter = std::function<bool(const Event& event)>;
// A request's outcome: OK with the reply; an error reply's code with the
// reply; or Timeout / NoResponders / Unavailable / Cancelled with nullptr.
using ReplyHandler = std::function<void(const Status& status, const Event* reply)>;

struct SubscribeOptions {
  std::string queue_group;      // share events with the group's other members
  std::string durable_group;    // a durable subscription: a member of this consumer group
  bool requests = false;        // deliver to on_request (errors become error replies)
  bool from_beginning = false;  // durable: a new group starts at the first stored event
  EventFilter filter;           // optional
};

enum class Expect : int32_t {
  kAny = CHORUS_EXPECT_ANY,
  kNoStream = CHORUS_EXPECT_NO_STREAM,
  kStreamExists = CHORUS_EXPECT_STREAM_EXISTS,
  kExact = CHORUS_EXPECT_EXACT,
};

// What an agent sees of the host: one per instance, owned by the Agent.
// Thread-safe like the C API.
class Host {
 public:
  Host() = default;
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& plugin_file() const noexcept { return file_; }
  // The instance's config block (JSON object; from the host's YAML).
  const json::Value& config() const noexcept { return config_; }
  chorus_host* c_host() const noexcept { return h_; }
  const chorus_host_api& c_api() const noexcept { return *api_; }

  // ---- log ----
  void log(Level level, std::string_view message) const {
    api_->log(h_, static_cast<int32_t>(level), str(message));
  }
  void trace(std::string_view m) const { log(Level::kTrace, m); }
  void debug(std::string_view m) const { log(Level::kDebug, m); }
  void info(std::string_view m) const { log(Level::kInfo, m); }
  void warn(std::string_view m) const { log(Level::kWarn, m); }
  void error(std::string_view m) const { log(Level::kError, m); }

  std::string new_id() const {
    chorus_id id;
    api_->new_id(h_, &id);
    return std::string(id.text, 36);
  }

  // ---- bus ----
  // Publishes; `out_id` (optional) receives the event's id.
  Status publish(const Message& m, std::string* out_id = nullptr) const {
    chorus_id id;
    const int32_t rc = api_->publish(h_, &m.c_struct(), out_id ? &id : nullptr);
    if (rc != CHORUS_OK) return failure(rc);
    if (out_id) out_id->assign(id.text, 36);
    return {};
  }
  // Events go to the agent's on_event (on_request with options.requests).
  Result<uint64_t> subscribe(const std::string& pattern, SubscribeOptions options = {}) {
    return subscribe_impl(pattern, nullptr, std::move(options));
  }
  Result<uint64_t> subscribe(const std::string& pattern, EventHandler handler,
                             SubscribeOptions options = {}) {
    return subscribe_impl(pattern, std::move(handler), std::move(options));
  }
  Status unsubscribe(uint64_t id) {
    const int32_t rc = api_->unsubscribe(h_, id);
    if (rc != CHORUS_OK) return failure(rc);
    std::lock_guard<std::mutex> l(mu_);
    subs_.erase(id);
    return {};
  }
  // `done` runs exactly once, unless this returns an error.
  Status request(const Message& m, std::chrono::milliseconds timeout, ReplyHandler done) {
    return request_impl(nullptr, m, timeout, std::move(done));
  }
  // A request to an agent with `capability`, chosen by the registry.
  Status request_by_capability(const std::string& capability, const Message& m,
                               std::chrono::milliseconds timeout, ReplyHandler done) {
    return request_impl(&capability, m, timeout, std::move(done));
  }
  Status reply(const Event& request, const Message& reply) const {
    const int32_t rc = api_->reply(h_, request.handle(), &reply.c_struct());
    return rc == CHORUS_OK ? Status() : failure(rc);
  }
  RetainedEvent retain(const Event& e) {
    return RetainedEvent(*this, api_->event_retain(h_, e.handle()));
  }

  // ---- timers ----
  Result<uint64_t> after(std::chrono::milliseconds delay, std::function<void()> fn) {
    return timer_impl(delay, std::chrono::milliseconds(0), std::move(fn));
  }
  Result<uint64_t> every(std::chrono::milliseconds period, std::function<void()> fn) {
    return timer_impl(period, period, std::move(fn));
  }
  Status cancel(uint64_t timer_id) {
    const int32_t rc = api_->timer_cancel(h_, timer_id);
    std::lock_guard<std::mutex> l(mu_);
    timers_.erase(timer_id);
    return rc == CHORUS_OK ? Status() : failure(rc);
  }

  // ---- store ----
  Result<chorus_append_result> append(const std::string& stream, const std::vector<Message>& events,
                                      Expect expect = Expect::kAny, uint64_t version = 0) const {
    std::vector<const chorus_publish*> ptrs;
    std::vector<chorus_publish> copies;
    copies.reserve(events.size());
    for (const Message& m : events)
      copies.push_back(m.c_struct());  // each Message's views stay valid: it is unchanged
    for (const auto& c : copies)
      ptrs.push_back(&c);
    chorus_append a{};
    a.struct_size = sizeof(a);
    a.expected = static_cast<int32_t>(expect);
    a.expected_version = version;
    a.stream = str(stream);
    a.events = ptrs.data();
    a.count = ptrs.size();
    chorus_append_result r{};
    r.struct_size = sizeof(r);
    const int32_t rc = api_->store_append(h_, &a, &r);
    if (rc != CHORUS_OK) return failure(rc);
    return r;
  }
  // One page of stored events; `each` returns false to stop early.
  Status read(const chorus_read& what,
              const std::function<bool(const Event&, uint64_t seq, uint64_t version)>& each,
              chorus_read_result* result = nullptr) {
    struct Ctx {
      Host* host;
      const std::function<bool(const Event&, uint64_t, uint64_t)>* fn;
    } ctx{this, &each};
    chorus_read_result r{};
    r.struct_size = sizeof(r);
    const int32_t rc = api_->store_read(
        h_, &what,
        [](void* c, const chorus_event_view* v, uint64_t seq, uint64_t version) -> int32_t {
          auto* x = static_cast<Ctx*>(c);
          try {
            return (*x->fn)(Event(*v, *x->host), seq, version) ? 0 : 1;
          } catch (...) {
            return 1;
          }
        },
        &ctx, &r);
    if (result) *result = r;
    return rc == CHORUS_OK ? Status() : failure(rc);
  }

  // ---- registry ----
  Status discover(const chorus_service_query& query,
                  const std::function<bool(const chorus_service_view&)>& each) const {
    const int32_t rc = api_->discover(
        h_, &query,
        [](void* c, const chorus_service_view* s) -> int32_t {
          try {
            return (*static_cast<const std::function<bool(const chorus_service_view&)>*>(c))(*s)
                       ? 0
                       : 1;
          } catch (...) {
            return 1;
          }
        },
        const_cast<void*>(static_cast<const void*>(&each)));
    return rc == CHORUS_OK ? Status() : failure(rc);
  }

  // Picks one service by the registry's load balancing; `chosen` sees it
  // during the call. Returns the lease to give back with release().
  Result<uint64_t> select(const chorus_service_query& query,
                          const std::function<void(const chorus_service_view&)>& chosen) const {
    uint64_t lease = 0;
    const int32_t rc = api_->select(
        h_, &query,
        [](void* c, const chorus_service_view* s) -> int32_t {
          try {
            (*static_cast<const std::function<void(const chorus_service_view&)>*>(c))(*s);
          } catch (...) {
          }
          return 0;
        },
        const_cast<void*>(static_cast<const void*>(&chosen)), &lease);
    if (rc != CHORUS_OK) return failure(rc);
    return lease;
  }
  // Ends a lease with the outcome of the call made to the service.
  Status release(uint64_t lease, const Status& outcome, std::chrono::microseconds latency) const {
    const int32_t rc = api_->release(h_, lease, static_cast<chorus_status>(outcome.code()),
                                     static_cast<uint64_t>(latency.count()));
    return rc == CHORUS_OK ? Status() : failure(rc);
  }

  // The Status of a failed call: its code and the host's last error message.
  Status failure(int32_t rc) const {
    return Status(
        rc >= 0 && rc <= CHORUS_STATUS_LAST_KNOWN ? static_cast<Code>(rc) : Code::kInternal,
        std::string(view(api_->last_error(h_))));
  }

  // Used by CHORUS_PLUGIN's init.
  void bind(const chorus_init_args& args) {
    h_ = args.host;
    api_ = args.api;
    name_ = std::string(view(args.instance_name));
    file_ = std::string(view(args.plugin_file));
    auto parsed = json::Value::parse(view(args.config_json));
    config_ = parsed ? std::move(*parsed) : json::Value::object();
  }

 private:
  struct SubHolder {
    Host* host;
    EventHandler handler;
    EventFilter filter;
  };
  struct ReplyHolder {
    Host* host;
    ReplyHandler done;
  };
  struct TimerHolder {
    Host* host;
    std::function<void()> fn;
    bool once;
    uint64_t id = 0;
  };

  static int32_t report(const Status& st, chorus_host* h, const chorus_host_api* api) {
    if (st.is_ok()) return CHORUS_OK;
    api->set_error(h, str(st.message()));
    return static_cast<int32_t>(st.code());
  }

  Result<uint64_t> subscribe_impl(const std::string& pattern, EventHandler handler,
                                  SubscribeOptions o) {
    auto holder =
        std::make_unique<SubHolder>(SubHolder{this, std::move(handler), std::move(o.filter)});
    chorus_subscribe s{};
    s.struct_size = sizeof(s);
    s.flags = (o.requests ? uint32_t{CHORUS_SUBSCRIBE_REQUESTS} : 0u) |
              (o.from_beginning ? uint32_t{CHORUS_SUBSCRIBE_FROM_BEGINNING} : 0u);
    s.pattern = str(pattern);
    s.queue_group = str(o.queue_group);
    s.durable_group = str(o.durable_group);
    if (holder->filter) {
      s.filter = [](void* ctx, const chorus_event_view* v) -> int32_t {
        auto* h = static_cast<SubHolder*>(ctx);
        try {
          return h->filter(Event(*v, *h->host)) ? 1 : 0;
        } catch (...) {
          return 0;
        }
      };
      s.filter_ctx = holder.get();
    }
    if (holder->handler) {
      s.handler = [](void* ctx, const chorus_event_view* v) -> chorus_status {
        auto* h = static_cast<SubHolder*>(ctx);
        try {
          return report(h->handler(Event(*v, *h->host)), h->host->h_, h->host->api_);
        } catch (const std::exception& e) {
          h->host->api_->set_error(h->host->h_, str(e.what()));
        } catch (...) {
          h->host->api_->set_error(h->host->h_, str("unknown exception"));
        }
        return CHORUS_INTERNAL;
      };
      s.handler_ctx = holder.get();
    }
    uint64_t id = 0;
    const int32_t rc = api_->subscribe(h_, &s, &id);
    if (rc != CHORUS_OK) return failure(rc);
    std::lock_guard<std::mutex> l(mu_);
    subs_[id] = std::move(holder);
    return id;
  }

  Status request_impl(const std::string* capability, const Message& m,
                      std::chrono::milliseconds timeout, ReplyHandler done) {
    auto* holder = new ReplyHolder{this, std::move(done)};
    auto trampoline = [](void* ctx, chorus_status st, const chorus_event_view* v, chorus_str err) {
      std::unique_ptr<ReplyHolder> h(static_cast<ReplyHolder*>(ctx));
      const Status status =
          st == CHORUS_OK ? Status()
                          : Status(st <= CHORUS_STATUS_LAST_KNOWN && st >= 0 ? static_cast<Code>(st)
                                                                             : Code::kInternal,
                                   std::string(view(err)));
      try {
        if (v) {
          const Event e(*v, *h->host);
          h->done(status, &e);
        } else {
          h->done(status, nullptr);
        }
      } catch (const std::exception& e) {
        h->host->error(std::string("reply handler threw: ") + e.what());
      } catch (...) {
        h->host->error("reply handler threw a non-standard exception");
      }
    };
    const auto ms = static_cast<uint32_t>(timeout.count());
    const int32_t rc = capability ? api_->request_by_capability(h_, str(*capability), &m.c_struct(),
                                                                ms, trampoline, holder)
                                  : api_->request(h_, &m.c_struct(), ms, trampoline, holder);
    if (rc != CHORUS_OK) {
      delete holder;  // `done` is not called when request() fails
      return failure(rc);
    }
    return {};
  }

  Result<uint64_t> timer_impl(std::chrono::milliseconds delay, std::chrono::milliseconds period,
                              std::function<void()> fn) {
    auto holder =
        std::make_unique<TimerHolder>(TimerHolder{this, std::move(fn), period.count() == 0});
    TimerHolder* raw = holder.get();
    {
      // Kept before the timer exists: a short timer may fire before
      // timer_after returns, on another thread.
      std::lock_guard<std::mutex> l(mu_);
      pending_timers_.push_back(std::move(holder));
    }
    auto trampoline = [](void* ctx, uint64_t id) {
      auto* h = static_cast<TimerHolder*>(ctx);
      Host* host = h->host;
      std::unique_ptr<TimerHolder> done_once;
      if (h->once) done_once = host->take_timer(h, id);  // freed after the call
      try {
        h->fn();
      } catch (const std::exception& e) {
        host->error(std::string("timer callback threw: ") + e.what());
      } catch (...) {
        host->error("timer callback threw a non-standard exception");
      }
    };
    uint64_t id = 0;
    const int32_t rc =
        period.count() == 0
            ? api_->timer_after(h_, static_cast<uint64_t>(delay.count()), trampoline, raw, &id)
            : api_->timer_every(h_, static_cast<uint64_t>(period.count()), trampoline, raw, &id);
    std::lock_guard<std::mutex> l(mu_);
    for (auto it = pending_timers_.begin(); it != pending_timers_.end(); ++it) {
      if (it->get() != raw) continue;
      std::unique_ptr<TimerHolder> mine = std::move(*it);
      pending_timers_.erase(it);
      if (rc != CHORUS_OK) break;
      mine->id = id;
      timers_[id] = std::move(mine);
      break;
    }
    if (rc != CHORUS_OK) return failure(rc);
    return id;
  }

  // A one-shot timer's holder, out of the tables (it fired).
  std::unique_ptr<TimerHolder> take_timer(TimerHolder* h, uint64_t id) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = timers_.find(id);
    if (it != timers_.end() && it->second.get() == h) {
      auto out = std::move(it->second);
      timers_.erase(it);
      return out;
    }
    for (auto p = pending_timers_.begin(); p != pending_timers_.end(); ++p)
      if (p->get() == h) {
        auto out = std::move(*p);
        pending_timers_.erase(p);
        return out;
      }
    return nullptr;
  }

  chorus_host* h_ = nullptr;
  const chorus_host_api* api_ = nullptr;
  std::string name_, file_;
  json::Value config_;
  std::mutex mu_;  // guards the holder tables
  std::map<uint64_t, std::unique_ptr<SubHolder>> subs_;
  std::map<uint64_t, std::unique_ptr<TimerHolder>> timers_;
  std::vector<std::unique_ptr<TimerHolder>> pending_timers_;
};

inline std::optional<std::string_view> Event::metadata(std::string_view key) const {
  chorus_str out{};
  if (host_->c_api().event_find_metadata(host_->c_host(), v_.event, str(key), &out) != CHORUS_OK)
    return std::nullopt;
  return view(out);
}

inline RetainedEvent::RetainedEvent(Host& host, chorus_event* e) : host_(&host), e_(e) {
  view_.struct_size = sizeof(view_);
  if (e_ && host.c_api().event_view(host.c_host(), e_, &view_) != CHORUS_OK) reset();
}

inline void RetainedEvent::reset() {
  if (e_) host_->c_api().event_release(host_->c_host(), std::exchange(e_, nullptr));
}

// ---- the agent -------------------------------------------------------------------

class Agent {
 public:
  Agent() = default;
  virtual ~Agent() = default;
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Called once, before start; may subscribe and set timers (they take
  // effect at start). An error stops the load (the old version, if any,
  // keeps running).
  virtual Status on_init(const json::Value& config) {
    (void)config;
    return {};
  }
  virtual Status on_start() { return {}; }
  // After the host unsubscribed the agent and cancelled its timers.
  virtual void on_stop() {}
  virtual Status on_event(const Event& event) {
    return Status::error(Code::kNotSupported,
                         std::string("no on_event for '") + std::string(event.type()) + "'");
  }
  // The reply to a request (subscriptions with SubscribeOptions::requests);
  // an error Status becomes an error reply to the requester.
  virtual Result<Message> on_request(const Event& request) {
    return Status::error(Code::kNotSupported,
                         std::string("no on_request for '") + std::string(request.type()) + "'");
  }
  // Asked at each heartbeat: OK when healthy.
  virtual Status health() { return {}; }

  Host& host() noexcept { return host_; }
  const Host& host() const noexcept { return host_; }

 private:
  Host host_;
};

namespace detail {

inline chorus_status fail_with(chorus_host* h, const chorus_host_api* api, const char* what) {
  api->set_error(h, str(what));
  return CHORUS_INTERNAL;
}

inline chorus_status report(Agent* a, const Status& st) {
  if (st.is_ok()) return CHORUS_OK;
  a->host().c_api().set_error(a->host().c_host(), str(st.message()));
  return static_cast<chorus_status>(st.code());
}

// Runs `body` (returning chorus_status), turning exceptions into errors.
template <typename Body>
chorus_status guarded(Agent* a, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    return fail_with(a->host().c_host(), &a->host().c_api(), e.what());
  } catch (...) {
    return fail_with(a->host().c_host(), &a->host().c_api(), "unknown exception");
  }
}

template <typename A>
chorus_status init(const chorus_init_args* args, void** out) noexcept {
  try {
    auto agent = std::make_unique<A>();
    agent->host().bind(*args);
    const chorus_status rc = report(agent.get(), agent->on_init(agent->host().config()));
    if (rc != CHORUS_OK) return rc;  // the host calls no destroy: the agent goes here
    *out = static_cast<Agent*>(agent.release());
    return CHORUS_OK;
  } catch (const std::exception& e) {
    return fail_with(args->host, args->api, e.what());
  } catch (...) {
    return fail_with(args->host, args->api, "unknown exception in init");
  }
}

inline chorus_status start(void* p) noexcept {
  auto* a = static_cast<Agent*>(p);
  return guarded(a, [&] { return report(a, a->on_start()); });
}

inline void stop(void* p) noexcept {
  auto* a = static_cast<Agent*>(p);
  guarded(a, [&] {
    a->on_stop();
    return CHORUS_OK;
  });
}

inline void destroy(void* p) noexcept {
  try {
    delete static_cast<Agent*>(p);
  } catch (...) {
    // A destructor that throws has nowhere to report to; the agent is gone.
  }
}

inline chorus_status on_event(void* p, const chorus_event_view* v) noexcept {
  auto* a = static_cast<Agent*>(p);
  return guarded(a, [&] { return report(a, a->on_event(Event(*v, a->host()))); });
}

inline chorus_status on_request(void* p, const chorus_event_view* v) noexcept {
  auto* a = static_cast<Agent*>(p);
  return guarded(a, [&] {
    const Event request(*v, a->host());
    Result<Message> reply = a->on_request(request);
    if (!reply.ok()) return report(a, reply.status());
    return report(a, a->host().reply(request, *reply));
  });
}

inline chorus_status health(void* p) noexcept {
  auto* a = static_cast<Agent*>(p);
  return guarded(a, [&] { return report(a, a->health()); });
}

}  // namespace detail
}  // namespace chorus::sdk

// Defines the plugin's entry symbol for agent class AgentClass (default-
// constructible, derived from chorus::sdk::Agent). NAME: [a-z0-9_-]; the
// optional trailing arguments are capability strings.
//   CHORUS_PLUGIN(Calculator, "calculator", "1.0.0", "statistics on request", "statistics")
#define CHORUS_PLUGIN(AgentClass, NAME, VERSION, DESCRIPTION, ...)                            \
  extern "C" CHORUS_PLUGIN_EXPORT const chorus_plugin_descriptor* chorus_plugin_entry(void) { \
    static const char* const capabilities[] = {nullptr, ##__VA_ARGS__, nullptr};              \
    static const chorus_plugin_descriptor descriptor = {                                      \
        sizeof(chorus_plugin_descriptor),                                                     \
        CHORUS_PLUGIN_ABI_MAJOR,                                                              \
        CHORUS_PLUGIN_ABI_MINOR,                                                              \
        NAME,                                                                                 \
        VERSION,                                                                              \
        DESCRIPTION,                                                                          \
        capabilities + 1,                                                                     \
        &::chorus::sdk::detail::init<AgentClass>,                                             \
        &::chorus::sdk::detail::start,                                                        \
        &::chorus::sdk::detail::stop,                                                         \
        &::chorus::sdk::detail::destroy,                                                      \
        &::chorus::sdk::detail::on_event,                                                     \
        &::chorus::sdk::detail::on_request,                                                   \
        &::chorus::sdk::detail::health,                                                       \
    };                                                                                        \
    return &descriptor;                                                                       \
  }
