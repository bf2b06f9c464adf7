// probe: the test plugin the loader tests drive through its config block.
// Built several times from this file: probe_v1 (PROBE_VERSION "1.0.0"),
// probe_v2 ("2.0.0"), probe_badinit (init always fails). Each behaviour is
// one config key:
//
//   subscribe: [patterns]     on_event for each (default ["probe.in"])
//   echo: true                each event -> "probe.seen" {version, instance, type, n}
//   throw_on_event: true      on_event throws
//   fail_on_event: true       on_event returns an error
//   fail_init / fail_start    init/start fail
//   retain: true              retains every event, never releases it
//   alloc: N                  takes N bytes through mem_alloc at start, never frees them
//   try_publish: type         at start publishes `type`, reports "probe.result"
//   try_subscribe: pattern    at start subscribes, reports "probe.result"
//   requests: pattern         answers requests: "probe.reply" {n, version, instance};
//                             data {"fail": "text"} -> an error reply
//   pending_request: type     at start sends a request nobody answers (60 s timeout);
//                             its completion is reported as "probe.request_done"
//   tick_ms: N                every N ms -> "probe.tick" {version}
//   durable_group: name       the subscriptions are durable members of this group
//   unhealthy: true           health() fails
//   unsubscribe_after: N      after N events, unsubscribes from inside on_event
//   try_registry: true        at start calls discover, select + release and
//                             request_by_capability for capability "statistics"
//                             (a calc.request sum of [1,2,3]), reporting each as
//                             "probe.result" {op, code, message, ...}: discover
//                             {count, agents}, select {agent}, the reply as op
//                             "request_by_capability.reply" {instance, result}
//   hold_lease: true          at start selects a "statistics" service and never
//                             releases the lease (the host does at unload)
//   try_store: stream         at start appends two events to `stream` and reads
//                             them back: "probe.result" {op: "store", count, version}
#include <chorus/plugin.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef PROBE_VERSION
#define PROBE_VERSION "1.0.0"
#endif

using namespace chorus::sdk;
using chorus::json::Value;

namespace {

class Probe : public Agent {
 public:
  Status on_init(const Value& config) override {
#ifdef PROBE_FAIL_INIT
    return Status::failed_precondition("probe " PROBE_VERSION " always fails its init");
#endif
    config_ = config;
    if (config["fail_init"].boolean()) return Status::invalid_argument("fail_init is set");
    return {};
  }

  Status on_start() override {
    if (config_["fail_start"].boolean()) return Status::failed_precondition("fail_start is set");
    SubscribeOptions o;
    o.durable_group = std::string(config_["durable_group"].string());
    const Value& subs = config_["subscribe"];
    std::vector<std::string> patterns;
    for (const Value& p : subs.items())
      patterns.emplace_back(p.string());
    if (!subs.is_array()) patterns.emplace_back("probe.in");
    for (const std::string& p : patterns) {
      auto r = host().subscribe(p, o);
      if (!r.ok()) return r.status();
      sub_ids_.push_back(*r);
    }
    if (config_.has("requests")) {
      SubscribeOptions ro;
      ro.requests = true;
      if (auto r = host().subscribe(std::string(config_["requests"].string()), ro); !r.ok())
        return r.status();
    }
    if (const int64_t n = static_cast<int64_t>(config_["alloc"].number()); n > 0)
      kept_ = host().c_api().mem_alloc(host().c_host(), static_cast<size_t>(n));
    if (config_.has("try_publish")) {
      const Status st = host().publish(Message(std::string(config_["try_publish"].string())));
      report("publish", st);
    }
    if (config_.has("try_subscribe")) {
      const auto r = host().subscribe(std::string(config_["try_subscribe"].string()));
      report("subscribe", r.ok() ? Status() : r.status());
    }
    if (config_.has("pending_request")) {
      Message m(std::string(config_["pending_request"].string()));
      const Status st =
          host().request(m, std::chrono::seconds(60), [this](const Status& s, const Event*) {
            Value d = Value::object();
            d.set("code", code_name(s.code())).set("message", s.message());
            (void)host().publish(Message("probe.request_done").json(d));
          });
      if (!st) return st;
    }
    if (config_["try_registry"].boolean()) try_registry();
    if (config_["hold_lease"].boolean()) {
      chorus_service_query q{};
      q.struct_size = sizeof(q);
      q.capability = str("statistics");
      auto lease = host().select(q, [](const chorus_service_view&) {});
      report("hold_lease", lease.ok() ? Status() : lease.status());
    }
    if (config_.has("try_store")) try_store(std::string(config_["try_store"].string()));
    if (const auto ms = static_cast<int64_t>(config_["tick_ms"].number()); ms > 0) {
      auto r = host().every(std::chrono::milliseconds(ms), [this] {
        (void)host().publish(
            Message("probe.tick").json(Value::object().set("version", PROBE_VERSION)));
      });
      if (!r.ok()) return r.status();
    }
    return {};
  }

  Status on_event(const Event& e) override {
    if (config_["throw_on_event"].boolean())
      throw std::runtime_error("probe: boom on " + std::string(e.type()));
    if (config_["fail_on_event"].boolean())
      return Status::error(Code::kUnavailable, "probe: refusing " + std::string(e.type()));
    if (config_["retain"].boolean()) (void)host().c_api().event_retain(host().c_host(), e.handle());
    ++handled_;
    if (config_.has("unsubscribe_after") &&
        handled_ == static_cast<int64_t>(config_["unsubscribe_after"].number())) {
      for (uint64_t id : sub_ids_)
        if (Status st = host().unsubscribe(id); !st) return st;
    }
    if (config_.has("echo") && !config_["echo"].boolean()) return {};
    Value d = Value::object();
    d.set("version", PROBE_VERSION)
        .set("instance", host().name())
        .set("type", e.type())
        .set("n", e.json()["n"]);
    return host().publish(Message("probe.seen").caused_by(e).json(d));
  }

  Result<Message> on_request(const Event& request) override {
    const Value& data = request.json();
    if (data.has("fail"))
      return Status::invalid_argument("probe refuses: " + std::string(data["fail"].string()));
    Value d = Value::object();
    d.set("n", data["n"]).set("version", PROBE_VERSION).set("instance", host().name());
    return Message("probe.reply").json(d);
  }

  Status health() override {
    if (config_["unhealthy"].boolean()) return Status::unavailable("probe is told to be unhealthy");
    return {};
  }

 private:
  void try_store(const std::string& stream) {
    auto appended = host().append(stream,
                                  {Message("probe.fact").json(Value::object().set("i", 1)),
                                   Message("probe.fact").json(Value::object().set("i", 2))},
                                  Expect::kNoStream);
    if (!appended.ok()) return report("store", appended.status());
    chorus_read r{};
    r.struct_size = sizeof(r);
    r.source = CHORUS_READ_STREAM;
    r.key = str(stream);
    int count = 0;
    double sum = 0;
    const Status st = host().read(r, [&](const Event& e, uint64_t, uint64_t) {
      ++count;
      sum += e.json()["i"].number();
      return true;
    });
    Value d = Value::object();
    d.set("op", "store").set("code", code_name(st.code())).set("message", st.message());
    d.set("count", count).set("sum", sum).set("version", appended->stream_version);
    (void)host().publish(Message("probe.result").json(d));
  }

  void try_registry() {
    chorus_service_query q{};
    q.struct_size = sizeof(q);
    q.flags = CHORUS_DISCOVER_HEALTHY_ONLY;
    q.capability = str("statistics");
    Value agents = Value::array();
    const Status found = host().discover(q, [&](const chorus_service_view& s) {
      agents.push(std::string(s.agent_id.data, s.agent_id.len));
      return true;
    });
    report("discover", found,
           Value::object().set("count", static_cast<double>(agents.size())).set("agents", agents));
    std::string agent;
    auto lease = host().select(
        q, [&](const chorus_service_view& s) { agent.assign(s.agent_id.data, s.agent_id.len); });
    if (lease.ok()) (void)host().release(*lease, Status(), std::chrono::microseconds(100));
    report("select", lease.ok() ? Status() : lease.status(), Value::object().set("agent", agent));
    Value req = Value::object();
    req.set("op", "sum").set("values", Value::array().push(1).push(2).push(3));
    const Status sent = host().request_by_capability(
        "statistics", Message("calc.request").json(req), std::chrono::seconds(2),
        [this](const Status& st, const Event* reply) {
          Value d = Value::object();
          if (reply)
            d.set("instance", reply->json()["instance"]).set("result", reply->json()["result"]);
          report("request_by_capability.reply", st, d);
        });
    report("request_by_capability", sent);
  }

  void report(const char* op, const Status& st, Value d = Value::object()) {
    d.set("op", op).set("code", code_name(st.code())).set("message", st.message());
    (void)host().publish(Message("probe.result").json(d));
  }

  Value config_;
  std::vector<uint64_t> sub_ids_;
  int64_t handled_ = 0;
  void* kept_ = nullptr;  // never freed: the host frees it at unload and reports it
};

}  // namespace

CHORUS_PLUGIN(Probe, "probe", PROBE_VERSION, "a configurable test agent", "probing", "testing")
