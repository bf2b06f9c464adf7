// CallbackScope: marks the current thread as inside a callback of one
// instance (private to host/plugins). It lets host functions called from
// that callback know it (unsubscribe and timer_cancel then cannot wait for
// the callback they are in) and carries the message a callback attaches to
// the error it returns (set_error). Thread-local; scopes nest.
#pragma once

#include <string>

namespace chorus::plugins {

class Instance;

namespace detail {
inline thread_local const Instance* t_current_instance = nullptr;
inline thread_local std::string t_callback_error;
inline thread_local std::string t_last_error;
}  // namespace detail

class CallbackScope {
 public:
  explicit CallbackScope(const Instance* instance) noexcept
      : previous_(detail::t_current_instance) {
    detail::t_current_instance = instance;
    detail::t_callback_error.clear();
  }
  ~CallbackScope() { detail::t_current_instance = previous_; }
  CallbackScope(const CallbackScope&) = delete;
  CallbackScope& operator=(const CallbackScope&) = delete;

  // The message the callback set with set_error() (empty when none).
  static const std::string& error() noexcept { return detail::t_callback_error; }

 private:
  const Instance* previous_;
};

}  // namespace chorus::plugins
