// Events through the API against a host made of the runtime's pieces: the
// three CloudEvents modes round-trip with the event model (what a
// subscriber gets, and what the store keeps, is what was sent), persistent
// publishes answer with their seqs, request/reply with its timeout and
// no-responder errors, queries, stream reads, the correlation timeline as a
// tree, and dead letters listed, shown, replayed and dropped.
#include <set>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "api_host.h"
#include "bus/event_bus.h"
#include "core/cloudevents.h"
#include "json_check.h"
#include "store/event_store.h"
#include "support/wait.h"
#include "wire_client.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kStructured = "Content-Type: application/cloudevents+json";
const std::string kBatch = "Content-Type: application/cloudevents-batch+json";

HttpResponse publish(const ApiHost& host, const std::string& body,
                     const std::string& content_type = kStructured) {
  return http(host.port(), "POST", "/v1/events", {content_type}, body);
}

EventPtr parse(const std::string& ce) {
  auto e = parse_cloudevent_json(ce);
  INFO(ce);
  REQUIRE(e.ok());
  return *e;
}

}  // namespace

TEST_CASE("publish: structured mode round-trips with the event model") {
  ApiHost host;
  Recorder rec;
  REQUIRE(host.bus()
              .subscribe("task.*",
                         [&](const EventPtr& e) {
                           rec.add(e);
                           return Status::OK();
                         })
              .ok());
  const std::string sent =
      R"({"specversion":"1.0","id":"0190a0d2-8b3c-7def-8123-456789abcdef",)"
      R"("source":"agent-1","type":"task.created","time":"2026-11-23T05:54:28.5Z",)"
      R"("datacontenttype":"application/json","priority":"high",)"
      R"("correlationid":"op-9","target":"","subject":"x","data":{"n":[1,2.50]}})";
  auto r = publish(host, sent);
  REQUIRE(r.status == 200);
  auto d = json(r.body);
  REQUIRE(d["events"].Size() == 1);
  CHECK(std::string(d["events"][0]["id"].GetString()) == "0190a0d2-8b3c-7def-8123-456789abcdef");
  CHECK_FALSE(d["events"][0].HasMember("seq"));  // task.* is not persistent
  REQUIRE(rec.wait_count(1));
  const EventPtr got = rec.entries()[0].event;
  CHECK(*got == *parse(sent));
  CHECK(got->data() == R"({"n":[1,2.50]})");
  CHECK(got->find_metadata("subject") == "x");
}

TEST_CASE("publish: binary mode round-trips, data byte for byte") {
  ApiHost host;
  Recorder rec;
  REQUIRE(host.bus()
              .subscribe("blob.*",
                         [&](const EventPtr& e) {
                           rec.add(e);
                           return Status::OK();
                         })
              .ok());
  const std::string bytes("\x00\x01\xfe\xff binary", 11);
  auto r =
      http(host.port(), "POST", "/v1/events",
           {"ce-specversion: 1.0", "ce-type: blob.put", "ce-source: uploader%20one",
            "ce-id: 0190a0d2-8b3c-7def-8123-000000000001", "ce-time: 2026-01-02T03:04:05Z",
            "ce-stream: blob-1", "ce-sessionid: s-1", "Content-Type: application/octet-stream"},
           bytes);
  REQUIRE(r.status == 200);
  REQUIRE(rec.wait_count(1));
  const Event& e = *rec.entries()[0].event;
  CHECK(e.type() == "blob.put");
  CHECK(e.source() == "uploader one");
  CHECK(e.id().to_string() == "0190a0d2-8b3c-7def-8123-000000000001");
  CHECK(e.time_ns() == 1767323045000000000);
  CHECK(e.stream() == "blob-1");
  CHECK(e.find_metadata("sessionid") == "s-1");
  CHECK(e.content_type() == "application/octet-stream");
  CHECK(e.data() == bytes);
  // The same event, sent structured, is the same event.
  CHECK(*parse(to_cloudevent_json(e)) == e);

  auto bad =
      http(host.port(), "POST", "/v1/events",
           {"ce-specversion: 1.0", "ce-type: blob.put", "ce-source: s", "ce-priority: urgent"});
  CHECK(bad.status == 400);
  CHECK(std::string(json(bad.body)["error"]["message"].GetString()).find("header 'ce-priority'") !=
        std::string::npos);
}

TEST_CASE("publish: a batch is published in order, and a bad batch publishes nothing") {
  ApiHost host;
  Recorder rec;
  REQUIRE(host.bus()
              .subscribe("job.*",
                         [&](const EventPtr& e) {
                           rec.add(e);
                           return Status::OK();
                         })
              .ok());
  std::string batch = "[";
  for (int i = 0; i < 50; ++i) {
    if (i) batch += ",";
    batch += R"({"specversion":"1.0","type":"job.step","source":"b","data":{"i":)" +
             std::to_string(i) + "}}";
  }
  batch += "]";
  auto r = publish(host, batch, kBatch);
  REQUIRE(r.status == 200);
  CHECK(json(r.body)["events"].Size() == 50);
  REQUIRE(rec.wait_count(50));
  const auto got = rec.entries();
  for (int i = 0; i < 50; ++i)
    CHECK(got[static_cast<size_t>(i)].event->data() == "{\"i\":" + std::to_string(i) + "}");

  const uint64_t before = host.bus().stats().published;
  auto bad = publish(host,
                     R"([{"specversion":"1.0","type":"job.step","source":"b"},
                         {"specversion":"1.0","type":"job.step","sourc":"b"}])",
                     kBatch);
  CHECK(bad.status == 400);
  CHECK(std::string(json(bad.body)["error"]["message"].GetString()) ==
        "batch: event [1]: cloudevent: attribute 'source': is required");
  CHECK(host.bus().stats().published == before);
}

TEST_CASE("publish: persistent types answer with their stored seqs, in order") {
  ApiHost host;
  std::string batch = "[";
  for (int i = 1; i <= 5; ++i) {
    if (i > 1) batch += ",";
    batch += R"({"specversion":"1.0","type":"order.placed","source":"shop","stream":"order-)" +
             std::to_string(i % 2) + R"(","data":{"n":)" + std::to_string(i) + "}}";
  }
  batch += R"(,{"specversion":"1.0","type":"note.added","source":"shop"}])";
  auto r = publish(host, batch, kBatch);
  REQUIRE(r.status == 200);
  auto d = json(r.body);
  REQUIRE(d["events"].Size() == 6);
  uint64_t last = 0;
  for (rapidjson::SizeType i = 0; i < 5; ++i) {
    const auto& e = d["events"][i];
    REQUIRE(e.HasMember("seq"));
    CHECK(e["persisted"].GetBool());
    CHECK(e["seq"].GetUint64() > last);
    last = e["seq"].GetUint64();
    // The store holds exactly that event at that seq.
    auto page = host.store().read_all(last, store::Direction::kForward, 1);
    REQUIRE(page.ok());
    REQUIRE(page->events.size() == 1);
    CHECK(page->events[0].event->id().to_string() == e["id"].GetString());
  }
  CHECK_FALSE(d["events"][5].HasMember("seq"));
  CHECK_FALSE(d["events"][5].HasMember("persisted"));

  // Publishing the same id again is an idempotent retry: persisted, no new seq.
  const std::string again =
      R"({"specversion":"1.0","type":"order.placed","source":"shop","stream":"order-1","id":")" +
      std::string(d["events"][0]["id"].GetString()) + R"("})";
  auto dup = publish(host, again);
  CHECK(dup.status == 200);
  CHECK(json(dup.body)["events"][0]["persisted"].GetBool());
  CHECK_FALSE(json(dup.body)["events"][0].HasMember("seq"));
}

TEST_CASE("request: the reply comes back - timeouts are 504, no responders 503") {
  ApiHost host;
  REQUIRE(host.bus()
              .subscribe(
                  "math.double",
                  [&](const EventPtr& e) {
                    const int n = std::stoi(std::string(e->data()));
                    return host.bus().reply(
                        *e, EventBuilder("math.result").source("calc").data(std::to_string(2 * n)));
                  })
              .ok());
  REQUIRE(host.bus().subscribe("math.never", [](const EventPtr&) { return Status::OK(); }).ok());
  auto r = http(host.port(), "POST", "/v1/requests?timeout=5s", {kStructured},
                R"({"specversion":"1.0","type":"math.double","source":"cli","data":21})");
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type") == "application/cloudevents+json");
  const EventPtr reply = parse(r.body);
  CHECK(reply->type() == "math.result");
  CHECK(reply->data() == "42");
  CHECK(reply->target() == "cli");

  // Binary mode works too.
  auto b = http(host.port(), "POST", "/v1/requests",
                {"ce-specversion: 1.0", "ce-type: math.double", "ce-source: cli",
                 "Content-Type: application/json"},
                "4");
  CHECK(b.status == 200);
  CHECK(parse(b.body)->data() == "8");

  auto t = http(host.port(), "POST", "/v1/requests?timeout=100ms", {kStructured},
                R"({"specversion":"1.0","type":"math.never","source":"cli"})");
  CHECK(t.status == 504);
  CHECK(std::string(json(t.body)["error"]["code"].GetString()) == "timeout");
  CHECK(std::string(json(t.body)["error"]["message"].GetString()).find("no reply within 100ms") !=
        std::string::npos);
  auto n = http(host.port(), "POST", "/v1/requests", {kStructured},
                R"({"specversion":"1.0","type":"math.nobody","source":"cli"})");
  CHECK(n.status == 503);
  CHECK(std::string(json(n.body)["error"]["code"].GetString()) == "no_responders");
  CHECK(http(host.port(), "POST", "/v1/requests?timeout=2h", {kStructured},
             R"({"specversion":"1.0","type":"math.double","source":"cli","data":1})")
            .status == 400);
  CHECK(http(host.port(), "POST", "/v1/requests", {kBatch}, "[]").status == 400);
  auto cap = http(host.port(), "POST", "/v1/requests?capability=translate", {kStructured},
                  R"({"specversion":"1.0","type":"math.double","source":"cli","data":1})");
  CHECK(cap.status == 501);
}

TEST_CASE("query: events by type, correlation, stream and time, paged with a cursor") {
  ApiHost host;
  std::string batch = "[";
  for (int i = 0; i < 30; ++i) {
    if (i) batch += ",";
    batch +=
        R"({"specversion":"1.0","type":")" + std::string(i % 3 ? "order.placed" : "order.paid") +
        R"(","source":"s","stream":"order-)" + std::to_string(i % 5) + R"(","correlationid":"c-)" +
        std::to_string(i % 2) + R"(","data":)" + std::to_string(i) + "}";
  }
  batch += "]";
  REQUIRE(publish(host, batch, kBatch).status == 200);
  auto get = [&](const std::string& q) {
    auto r = http(host.port(), "GET", "/v1/events" + q);
    INFO(q << " -> " << r.body);
    REQUIRE(r.status == 200);
    return json(r.body);
  };
  auto all = get("?limit=1000");
  CHECK(all["events"].Size() == 30);
  CHECK(all["end"].GetBool());
  CHECK(get("?type=order.paid")["events"].Size() == 10);
  CHECK(get("?type=order.*&correlation=c-1")["events"].Size() == 15);
  auto stream = get("?stream=order-3");
  REQUIRE(stream["events"].Size() == 6);
  CHECK(stream["events"][0]["version"].GetUint64() == 1);
  CHECK(get("?since=1h")["events"].Size() == 30);
  CHECK(get("?until=2000-01-01T00:00:00Z")["events"].Size() == 0);
  // Pages: limit 7, then the cursor, until the end; nothing lost, nothing twice.
  for (const std::string filter : {"", "&type=order.placed", "&since=1h", "&stream=order-2"}) {
    std::vector<std::string> ids;
    std::string cursor;
    for (int pages = 0; pages < 20; ++pages) {
      auto page = get("?limit=7" + filter + (cursor.empty() ? "" : "&cursor=" + cursor));
      for (const auto& e : page["events"].GetArray())
        ids.emplace_back(e["event"]["id"].GetString());
      if (page["end"].GetBool()) break;
      cursor = page["next"].GetString();
    }
    const size_t expected = filter.empty()                   ? 30
                            : filter == "&type=order.placed" ? 20
                            : filter == "&stream=order-2"    ? 6
                                                             : 30;
    INFO(filter);
    CHECK(ids.size() == expected);
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == expected);
  }
  // Newest first.
  auto back = get("?direction=backward&limit=2");
  CHECK(back["events"][0]["seq"].GetUint64() > back["events"][1]["seq"].GetUint64());
  // Bad parameters are 400 naming them.
  for (const std::string q :
       {"?limit=0", "?type=Bad", "?since=soon", "?direction=up", "?colour=red", "?cursor=abc"}) {
    auto r = http(host.port(), "GET", "/v1/events" + q);
    INFO(q << " -> " << r.body);
    CHECK(r.status == 400);
  }
}

TEST_CASE("streams: one stream forward and backward from a version - unknown is 404") {
  ApiHost host;
  std::string batch = "[";
  for (int i = 1; i <= 10; ++i) {
    if (i > 1) batch += ",";
    batch +=
        R"({"specversion":"1.0","type":"order.placed","source":"s","stream":"order-7","data":)" +
        std::to_string(i) + "}";
  }
  batch += "]";
  REQUIRE(publish(host, batch, kBatch).status == 200);
  auto r = http(host.port(), "GET", "/v1/streams/order-7?from=3&limit=4");
  REQUIRE(r.status == 200);
  auto d = json(r.body);
  CHECK(std::string(d["stream"].GetString()) == "order-7");
  REQUIRE(d["events"].Size() == 4);
  CHECK(d["events"][0]["version"].GetUint64() == 3);
  CHECK(d["events"][3]["event"]["data"].GetInt() == 6);
  CHECK_FALSE(d["end"].GetBool());
  CHECK(std::string(d["next"].GetString()) == "7");
  auto back = json(http(host.port(), "GET", "/v1/streams/order-7?direction=backward&limit=3").body);
  CHECK(back["events"][0]["version"].GetUint64() == 10);
  CHECK(back["events"][2]["version"].GetUint64() == 8);
  auto missing = http(host.port(), "GET", "/v1/streams/order-none");
  CHECK(missing.status == 404);
  CHECK(std::string(json(missing.body)["error"]["message"].GetString()).find("order-none") !=
        std::string::npos);
  // Stream names are percent-decoded path segments.
  REQUIRE(publish(host, R"({"specversion":"1.0","type":"audit.x","source":"s","stream":"a b/c"})")
              .status == 200);
  CHECK(json(http(host.port(), "GET", "/v1/streams/a%20b%2Fc").body)["events"].Size() == 1);
}

TEST_CASE("correlation: the timeline in order with causation links as a tree") {
  ApiHost host;
  // root -> (a, b); a -> c. Ids are given so the test can name the links.
  auto ev = [](const std::string& id, const std::string& type, const std::string& cause) {
    std::string s = R"({"specversion":"1.0","id":"0190a0d2-8b3c-7def-8123-00000000000)" + id +
                    R"(","type":"order.)" + type + R"(","source":"s","correlationid":"op-1")";
    if (!cause.empty())
      s += R"(,"causationid":"0190a0d2-8b3c-7def-8123-00000000000)" + cause + "\"";
    return s + "}";
  };
  const std::string batch = "[" + ev("1", "placed", "") + "," + ev("2", "paid", "1") + "," +
                            ev("3", "packed", "1") + "," + ev("4", "shipped", "2") + "," +
                            ev("5", "noted", "9") + "]";
  REQUIRE(publish(host, batch, kBatch).status == 200);
  auto r = http(host.port(), "GET", "/v1/correlation/op-1");
  REQUIRE(r.status == 200);
  auto d = json(r.body);
  CHECK(d["count"].GetUint() == 5);
  const auto& evs = d["events"];
  REQUIRE(evs.Size() == 5);
  const std::string p = "0190a0d2-8b3c-7def-8123-00000000000";
  CHECK(evs[0]["parent"].IsNull());
  CHECK(evs[0]["depth"].GetUint() == 0);
  CHECK(std::string(evs[1]["parent"].GetString()) == p + "1");
  CHECK(std::string(evs[3]["parent"].GetString()) == p + "2");
  CHECK(evs[3]["depth"].GetUint() == 2);
  CHECK(evs[4]["parent"].IsNull());  // its cause is not in the timeline: a root of its own
  const auto& tree = d["tree"];
  REQUIRE(tree.Size() == 2);
  CHECK(std::string(tree[0]["id"].GetString()) == p + "1");
  REQUIRE(tree[0]["children"].Size() == 2);
  CHECK(std::string(tree[0]["children"][0]["id"].GetString()) == p + "2");
  CHECK(std::string(tree[0]["children"][0]["children"][0]["id"].GetString()) == p + "4");
  CHECK(std::string(tree[0]["children"][1]["id"].GetString()) == p + "3");
  CHECK(std::string(tree[1]["id"].GetString()) == p + "5");
  auto none = http(host.port(), "GET", "/v1/correlation/op-none");
  CHECK(none.status == 404);
}

TEST_CASE("dead letters: list, show, replay, drop") {
  ApiHost host;  // one delivery attempt: the first failure dead-letters
  std::atomic<int> calls{0};
  std::atomic<bool> fail{true};
  bus::SubscribeOptions worker;
  worker.subscriber_id = "worker";
  REQUIRE(host.bus()
              .subscribe(
                  "job.run",
                  [&](const EventPtr&) {
                    ++calls;
                    return fail ? Status::Internal("disk full") : Status::OK();
                  },
                  worker)
              .ok());
  for (int i = 0; i < 3; ++i)
    REQUIRE(publish(host, R"({"specversion":"1.0","type":"job.run","source":"s"})").status == 200);
  REQUIRE(spin_until([&] { return host.bus().dead_letters().size() == 3; }));

  auto list = json(http(host.port(), "GET", "/v1/dead-letters?limit=2").body);
  CHECK(list["count"].GetUint() == 3);
  REQUIRE(list["dead_letters"].Size() == 2);
  CHECK_FALSE(list["end"].GetBool());
  const auto& first = list["dead_letters"][0];
  CHECK(std::string(first["subscriber"].GetString()) == "worker");
  CHECK(std::string(first["reason"].GetString()).find("disk full") != std::string::npos);
  CHECK(first["attempts"].GetUint() == 1);
  CHECK(std::string(first["event"]["type"].GetString()) == "job.run");
  const uint64_t id = first["id"].GetUint64();
  auto rest = json(
      http(host.port(), "GET", "/v1/dead-letters?after=" + std::to_string(list["next"].GetUint64()))
          .body);
  CHECK(rest["dead_letters"].Size() == 1);
  CHECK(rest["end"].GetBool());
  CHECK(json(http(host.port(), "GET", "/v1/dead-letters?subscriber=nobody").body)["dead_letters"]
            .Size() == 0);

  auto show = http(host.port(), "GET", "/v1/dead-letters/" + std::to_string(id));
  REQUIRE(show.status == 200);
  CHECK(json(show.body)["id"].GetUint64() == id);

  fail = false;
  const int before = calls;
  auto replay = http(host.port(), "POST", "/v1/dead-letters/" + std::to_string(id) + "/replay");
  CHECK(replay.status == 200);
  REQUIRE(spin_until([&] { return calls > before; }));
  CHECK(http(host.port(), "GET", "/v1/dead-letters/" + std::to_string(id)).status == 404);
  CHECK(http(host.port(), "POST", "/v1/dead-letters/" + std::to_string(id) + "/replay").status ==
        404);

  const uint64_t second = rest["dead_letters"][0]["id"].GetUint64();
  CHECK(http(host.port(), "DELETE", "/v1/dead-letters/" + std::to_string(second)).status == 200);
  CHECK(http(host.port(), "DELETE", "/v1/dead-letters/" + std::to_string(second)).status == 404);
  CHECK(host.bus().dead_letters().size() == 1);
  CHECK(http(host.port(), "GET", "/v1/dead-letters/abc").status == 400);
  CHECK(http(host.port(), "POST", "/v1/dead-letters/1/replay?to=moon").status == 400);
}
