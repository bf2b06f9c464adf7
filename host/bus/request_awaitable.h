// async_request(): EventBus::request as an Asio asynchronous operation, so a
// coroutine can write
//
//   Result<EventPtr> reply =
//       co_await bus::async_request(bus, req, 500ms, boost::asio::use_awaitable);
//
// (or pass any other completion token). The completion is posted to the
// handler's associated executor, never run inside the thread that published
// the reply. Kept out of event_bus.h so that only users of Asio pay for it.
#pragma once

#include <chrono>
#include <memory>
#include <type_traits>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>

#include "bus/event_bus.h"

namespace chorus::bus {

template <typename CompletionToken>
auto async_request(EventBus& bus, EventPtr request, std::chrono::milliseconds timeout,
                   CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(Result<EventPtr>)>(
      [&bus, timeout](auto handler, EventPtr req) {
        using Handler = std::decay_t<decltype(handler)>;
        auto shared = std::make_shared<Handler>(std::move(handler));
        bus.request(std::move(req), timeout, [shared](Result<EventPtr> r) {
          auto ex = boost::asio::get_associated_executor(*shared);
          boost::asio::post(ex, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
        });
      },
      token, std::move(request));
}

}  // namespace chorus::bus
