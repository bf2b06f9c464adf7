// libFuzzer target: the admin API's request parsing and routing, without
// sockets. The input is fed to the server's HTTP parser (with its limits),
// request after request as if pipelined on one connection; each complete
// request goes through the router to the real handlers over a real bus and
// a real store (in a temporary directory). Every request must get exactly
// one response with a valid status, and a JSON body when it is JSON.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <rapidjson/document.h>

#include "api/api_server.h"
#include "api/http_parse.h"
#include "api/metrics_registry.h"
#include "api/readiness.h"
#include "api/router.h"
#include "bus/event_bus.h"
#include "store/event_store.h"

namespace {

struct World {
  boost::asio::io_context io;  // never run: handlers that answer later never do
  std::unique_ptr<chorus::store::EventStore> store;
  std::unique_ptr<chorus::bus::EventBus> bus;
  chorus::api::MetricsRegistry metrics;
  chorus::api::Readiness readiness;
  std::unique_ptr<chorus::api::ApiServer> server;
  chorus::api::ApiLimits limits;

  World() {
    static char dir[] = "/tmp/chorus-api-fuzz-XXXXXX";
    if (!mkdtemp(dir)) std::abort();
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    });
    chorus::store::StoreOptions so;
    so.path = std::string(dir) + "/store";
    so.durability = chorus::store::Durability::kNone;
    auto s = chorus::store::EventStore::open(so);
    if (!s.ok()) std::abort();
    store = std::move(*s);
    bus = std::make_unique<chorus::bus::EventBus>(io);
    chorus::api::ApiOptions o;
    o.tokens = {"fuzz-token"};
    limits.max_body = 64 * 1024;
    limits.max_header = 8 * 1024;
    o.limits = limits;
    server = std::make_unique<chorus::api::ApiServer>(
        io, o, chorus::api::ApiServices{bus.get(), store.get(), &metrics, &readiness, {}});
  }
};

World& world() {
  static World* w = new World();  // never destroyed: no exit-order problems
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  World& w = world();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    chorus::api::ParsedRequest p = chorus::api::parse_http_request(in, w.limits);
    if (!p.complete) break;
    int answers = 0;
    chorus::api::Response response;
    if (p.error) {
      response = *p.error;
      answers = 1;
    } else {
      w.server->router().dispatch(p.request, chorus::api::Reply([&](chorus::api::Response r) {
                                    ++answers;
                                    response = std::move(r);
                                  }));
    }
    // Requests whose answer comes later (a request/reply with a responder)
    // cannot happen here: no subscriber exists. Everything else answers now.
    if (answers != 1) std::abort();
    if (response.status < 100 || response.status > 599) std::abort();
    // Every answer but the tail's upgrade (101, no body) is JSON or metrics.
    if (response.status == 101 && response.tail_patterns.empty()) std::abort();
    if (response.status != 101 && response.content_type == "application/json") {
      rapidjson::Document d;
      d.Parse(response.body.c_str(), response.body.size());
      if (d.HasParseError()) std::abort();
    }
    if (p.error || p.consumed == 0) break;  // the server closes after a bad request
    in.remove_prefix(p.consumed);
  }
  return 0;
}
