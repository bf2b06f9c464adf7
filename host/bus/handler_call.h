// call_catching(): runs a subscriber's handler call and turns any exception
// it throws, including one not derived from std::exception, into
// Status::Internal. The bus's and durable subscribers' deliveries go through
// it (private to host/bus; hooks and filters report with their own names).
#pragma once

#include <exception>

#include <fmt/core.h>

#include "core/status.h"

namespace chorus::bus {

template <typename Fn>
Status call_catching(Fn&& fn) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return Status::Internal(fmt::format("handler threw: {}", e.what()));
  } catch (...) {
    return Status::Internal("handler threw a non-standard exception");
  }
}

}  // namespace chorus::bus
