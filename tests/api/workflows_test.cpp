// The workflow routes over real sockets against a host made of the
// runtime's pieces (ApiHost kAll: real store, bus, Lua scripts and the real
// workflow engine): a workflow script in the temp scripts folder started by
// events published through POST /v1/events; list with its filters and
// order, show with the history and its source lines, the errors of cancel
// and upgrade that the API decides itself, the 503 without an engine, and
// the chorus_workflows_* families in /metrics.
// Cancel and upgrade go through to the real engine: compensations run,
// instances end cancelled or move to the edited source.
#include <filesystem>
#include <fstream>
#include <functional>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "api_host.h"
#include "json_check.h"
#include "prom_check.h"
#include "scrape_metrics.h"
#include "support/wait.h"
#include "wire_client.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kJson = "Content-Type: application/json";
const std::string kStructured = "Content-Type: application/cloudevents+json";

// `hold` waits for hold.release; line 4 is its await. `saga` runs one step
// with a compensation, then waits for saga.go.
constexpr const char* kHoldScript =
    R"(chorus.workflow{name = "hold", on = "hold.start", run = function(ctx, e)
  ctx:set_status({stage = "waiting", n = e.data.n})
  ctx:publish("hold.waiting", {n = e.data.n})
  ctx:await("hold.release", {match = function(r) return r.data.n == e.data.n end})
  return "released"
end}
chorus.workflow{name = "saga", on = "saga.start", run = function(ctx, e)
  ctx:step{name = "reserve", action = function() return "r-1" end,
           compensate = function(r) ctx:publish("saga.undone", {what = r}) end}
  ctx:await("saga.go")
  return "done"
end}
)";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

void write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  std::ofstream(tmp) << text;
  REQUIRE(::rename(tmp.c_str(), path.c_str()) == 0);
}

// A host running the hold and saga workflows.
std::unique_ptr<ApiHost> workflow_host() {
  return std::make_unique<ApiHost>(
      [](config::Config& c) {
        config::ScriptEntryConfig flows;
        flows.name = "flows";
        flows.file = "flows.lua";
        c.scripts.entries = {flows};
        c.scripts.watch = false;
      },
      ApiHost::Parts::kAll,
      [](const ApiHost& h) { write_file(h.scripts_folder() + "/flows.lua", kHoldScript); });
}

void publish(const ApiHost& host, const std::string& type, const std::string& data) {
  auto r =
      http(host.port(), "POST", "/v1/events", {kStructured},
           R"({"specversion":"1.0","type":")" + type + R"(","source":"test","data":)" + data + "}");
  INFO(r.body);
  REQUIRE(r.status == 200);
}

// GET `target` until `pred` holds for its JSON answer (the engine records
// asynchronously); the last answer.
rapidjson::Document get_until(const ApiHost& host, const std::string& target,
                              const std::function<bool(const rapidjson::Document&)>& pred) {
  rapidjson::Document last;
  const bool ok = spin_until([&] {
    auto r = http(host.port(), "GET", target);
    if (r.status != 200) return false;
    last.Parse(r.body.c_str());
    return !last.HasParseError() && pred(last);
  });
  CHECK(ok);
  return last;
}

// Starts one `hold` instance for n and returns its id once it waits.
std::string start_hold(const ApiHost& host, int n) {
  publish(host, "hold.start", R"({"n":)" + std::to_string(n) + "}");
  std::string id;
  get_until(host, "/v1/workflows?name=hold&status=open&direction=forward",
            [&](const rapidjson::Document& d) {
              for (const auto& i : d["instances"].GetArray())
                if (!i["waiting_on"].IsNull() && i["status_table"].IsObject() &&
                    i["status_table"]["n"].IsNumber() && i["status_table"]["n"].GetDouble() == n) {
                  id = i["id"].GetString();
                  return true;
                }
              return false;
            });
  REQUIRE_FALSE(id.empty());
  return id;
}

// Whether /metrics comes to show `value` for `name` before the deadline:
// the engine counts an ending after its record is committed (the store
// shows it first).
bool metric_reaches(const ApiHost& host, const std::string& name, double value) {
  return spin_until([&] {
    auto r = http(host.port(), "GET", "/metrics");
    return r.status == 200 && parse_prometheus(r.body).value(name) == value;
  });
}

}  // namespace

TEST_CASE("api: workflows list, show with history and source lines, filters and order") {
  auto host = workflow_host();
  const std::string first = start_hold(*host, 1);
  const std::string second = start_hold(*host, 2);

  auto r = http(host->port(), "GET", "/v1/workflows");
  REQUIRE(r.status == 200);
  auto d = json(r.body);
  REQUIRE(d["count"].GetUint64() == 2);
  CHECK(d["end"].GetBool());
  // Newest first by default.
  CHECK(std::string(d["instances"][0]["id"].GetString()) == second);
  CHECK(std::string(d["instances"][1]["id"].GetString()) == first);
  const auto& one = d["instances"][1];
  CHECK(std::string(one["workflow"].GetString()) == "hold");
  CHECK(std::string(one["script"].GetString()) == "flows");
  CHECK(std::string(one["status"].GetString()) == "running");
  CHECK(one["key"].IsNull());
  CHECK(one["error"].IsNull());
  CHECK(contains(one["waiting_on"].GetString(), "await 'hold.release'"));
  CHECK(contains(one["waiting_on"].GetString(), "flows.lua:4"));
  CHECK(std::string(one["status_table"]["stage"].GetString()) == "waiting");

  d = json(http(host->port(), "GET", "/v1/workflows?direction=forward&limit=1").body);
  CHECK(d["count"].GetUint64() == 2);
  CHECK_FALSE(d["end"].GetBool());
  REQUIRE(d["instances"].Size() == 1);
  CHECK(std::string(d["instances"][0]["id"].GetString()) == first);

  // One instance by its id or a prefix of it: the summary and the history.
  for (const std::string& id : {first, first.substr(0, 20)}) {
    r = http(host->port(), "GET", "/v1/workflows/" + id);
    INFO(r.body);
    REQUIRE(r.status == 200);
    d = json(r.body);
    CHECK(std::string(d["instance"]["id"].GetString()) == first);
    const auto& h = d["history"];
    REQUIRE(h.Size() >= 3);
    CHECK(std::string(h[0]["type"].GetString()) == "wf.started");
    CHECK(h[0]["version"].GetUint64() == 1);
    CHECK(std::string(h[0]["data"]["workflow"].GetString()) == "hold");
    bool await_line = false;
    for (const auto& rec : h.GetArray())
      if (contains(rec["line"].GetString(), "await 'hold.release' at ") &&
          contains(rec["line"].GetString(), "flows.lua:4"))
        await_line = contains(rec["data"]["at"].GetString(), "flows.lua:4");
    CHECK(await_line);
  }
  r = http(host->port(), "GET", "/v1/workflows/no-such-instance");
  CHECK(r.status == 404);
  CHECK(error_code(r) == "not_found");
  CHECK(contains(error_message(r), "no-such-instance"));

  // Release the first: it ends completed and leaves the open list.
  publish(*host, "hold.release", R"({"n":1})");
  d = get_until(*host, "/v1/workflows?status=completed",
                [](const rapidjson::Document& x) { return x["count"].GetUint64() == 1; });
  CHECK(std::string(d["instances"][0]["id"].GetString()) == first);
  d = json(http(host->port(), "GET", "/v1/workflows").body);
  CHECK(d["count"].GetUint64() == 1);
  d = json(http(host->port(), "GET", "/v1/workflows?status=all&name=hold").body);
  CHECK(d["count"].GetUint64() == 2);
  d = json(http(host->port(), "GET", "/v1/workflows?status=ended").body);
  CHECK(d["count"].GetUint64() == 1);
  d = json(http(host->port(), "GET", "/v1/workflows?status=all&name=saga").body);
  CHECK(d["count"].GetUint64() == 0);

  // Bad parameters are named.
  r = http(host->port(), "GET", "/v1/workflows?status=sleeping");
  CHECK(r.status == 400);
  CHECK(contains(error_message(r), "'status': 'sleeping'"));
  r = http(host->port(), "GET", "/v1/workflows?limit=0");
  CHECK(r.status == 400);
  CHECK(contains(error_message(r), "limit"));
  r = http(host->port(), "GET", "/v1/workflows?order=new");
  CHECK(r.status == 400);
  CHECK(contains(error_message(r), "'order'"));
  r = http(host->port(), "GET", "/v1/workflows?direction=up");
  CHECK(r.status == 400);
  CHECK(contains(error_message(r), "'direction'"));
}

TEST_CASE("api: workflow cancel and upgrade: the errors the API decides") {
  auto host = workflow_host();
  const std::string id = start_hold(*host, 7);
  publish(*host, "hold.release", R"({"n":7})");
  get_until(*host, "/v1/workflows?status=completed",
            [](const rapidjson::Document& x) { return x["count"].GetUint64() == 1; });

  auto r = http(host->port(), "POST", "/v1/workflows/" + id + "/cancel");
  CHECK(r.status == 409);
  CHECK(error_code(r) == "failed_precondition");
  CHECK(contains(error_message(r), id + " (hold) has ended already: completed"));

  r = http(host->port(), "POST", "/v1/workflows/nothere/cancel");
  CHECK(r.status == 404);
  CHECK(contains(error_message(r), "'nothere'"));

  r = http(host->port(), "POST", "/v1/workflows/" + id + "/cancel", {kJson}, R"({"why":"x"})");
  CHECK(r.status == 400);
  CHECK(contains(error_message(r), "unknown field 'why'"));
  r = http(host->port(), "POST", "/v1/workflows/" + id + "/cancel", {kJson}, R"({"reason":3})");
  CHECK(r.status == 400);
  CHECK(contains(error_message(r), "'reason'"));
  r = http(host->port(), "POST", "/v1/workflows/" + id + "/cancel", {kJson}, "[1");
  CHECK(r.status == 400);

  // The upgrade route is POST only.
  r = http(host->port(), "GET", "/v1/workflow-definitions/hold/upgrade");
  CHECK(r.status == 405);
}

TEST_CASE("api: workflow routes without a workflow engine") {
  ApiHost host;  // store, bus and API only
  auto r = http(host.port(), "POST", "/v1/workflows/abc/cancel");
  CHECK(r.status == 503);
  CHECK(contains(error_message(r), "workflow engine"));
  r = http(host.port(), "POST", "/v1/workflow-definitions/hold/upgrade");
  CHECK(r.status == 503);
  // Listing reads the store: nothing there.
  r = http(host.port(), "GET", "/v1/workflows?status=all");
  REQUIRE(r.status == 200);
  CHECK(json(r.body)["count"].GetUint64() == 0);
  CHECK_FALSE(scrape_metrics(host.port()).has_family("chorus_workflows_running"));
}

TEST_CASE("api: /metrics has the chorus_workflows_* families") {
  auto host = workflow_host();
  start_hold(*host, 1);
  start_hold(*host, 2);
  publish(*host, "hold.release", R"({"n":2})");
  get_until(*host, "/v1/workflows?status=completed",
            [](const rapidjson::Document& x) { return x["count"].GetUint64() == 1; });
  CHECK(metric_reaches(*host, "chorus_workflows_completed_total", 1));
  const PromDoc m = scrape_metrics(host->port());
  for (const char* family : {"chorus_workflows_running", "chorus_workflows_versions",
                             "chorus_workflows_started_total", "chorus_workflows_completed_total",
                             "chorus_workflows_failed_total", "chorus_workflows_compensated_total",
                             "chorus_workflows_cancelled_total", "chorus_workflows_continued_total",
                             "chorus_workflows_diverged_total", "chorus_workflows_suspended_total",
                             "chorus_workflows_refused_total", "chorus_workflows_replayed_total"}) {
    INFO(family);
    CHECK(m.has_family(family));
  }
  CHECK(m.types.at("chorus_workflows_running") == "gauge");
  CHECK(m.types.at("chorus_workflows_started_total") == "counter");
  CHECK(m.value("chorus_workflows_started_total") == 2);
  CHECK(m.value("chorus_workflows_completed_total") == 1);
  CHECK(m.value("chorus_workflows_running") == 1);
  CHECK(m.value("chorus_workflows_failed_total") == 0);
}

TEST_CASE("api: cancel of an open instance runs its compensations and ends it cancelled",
          "[workflows]") {
  auto host = workflow_host();
  publish(*host, "saga.start", "{}");
  auto d = get_until(*host, "/v1/workflows?name=saga", [](const rapidjson::Document& x) {
    return x["count"].GetUint64() == 1 && !x["instances"][0]["waiting_on"].IsNull();
  });
  const std::string id = d["instances"][0]["id"].GetString();

  auto r = http(host->port(), "POST", "/v1/workflows/" + id.substr(0, 20) + "/cancel", {kJson},
                R"({"reason":"operator said so"})");
  INFO(r.body);
  REQUIRE(r.status == 200);
  d = json(r.body);
  CHECK(std::string(d["cancelled"].GetString()) == id);
  CHECK(std::string(d["reason"].GetString()) == "operator said so");
  CHECK(std::string(d["instance"]["status"].GetString()) == "cancelled");
  // The compensation of the completed step ran, and is in the history.
  d = json(http(host->port(), "GET", "/v1/workflows/" + id).body);
  bool compensated = false;
  for (const auto& rec : d["history"].GetArray())
    compensated = compensated || contains(rec["line"].GetString(), "publish 'saga.undone'");
  CHECK(compensated);

  r = http(host->port(), "POST", "/v1/workflows/" + id + "/cancel");
  CHECK(r.status == 409);
  CHECK(metric_reaches(*host, "chorus_workflows_cancelled_total", 1));
}

TEST_CASE("api: upgrade moves the open instances that replay cleanly on the new source",
          "[workflows]") {
  auto host = workflow_host();
  const std::string id = start_hold(*host, 1);
  // A change after the await: the history replays cleanly on it.
  std::string next = kHoldScript;
  next.replace(next.find("return \"released\""), 17, "return \"released v2\"");
  write_file(host->scripts_folder() + "/flows.lua", next);
  REQUIRE(http(host->port(), "POST", "/v1/scripts/flows/reload").status == 200);

  auto r = http(host->port(), "POST", "/v1/workflow-definitions/hold/upgrade");
  INFO(r.body);
  REQUIRE(r.status == 200);
  auto d = json(r.body);
  CHECK(std::string(d["workflow"].GetString()) == "hold");
  CHECK(d["live"].GetBool());
  CHECK(d["upgraded"].GetUint64() == 1);
  REQUIRE(d["outcomes"].Size() == 1);
  CHECK(std::string(d["outcomes"][0]["instance"].GetString()) == id);
  CHECK(std::string(d["outcomes"][0]["result"].GetString()) == "upgraded");

  r = http(host->port(), "POST", "/v1/workflow-definitions/nosuch/upgrade");
  CHECK(r.status == 404);
  CHECK(contains(error_message(r), "nosuch"));
}
