// Reading instances from the store for the command line.
#include "workflows/history_reader.h"

#include <map>

#include <fmt/core.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "store/event_store.h"

namespace chorus::workflows {
namespace {

Result<std::vector<store::StoredEvent>> read_stream_all(store::EventStore& s,
                                                        std::string_view stream) {
  std::vector<store::StoredEvent> out;
  uint64_t from = 1;
  for (;;) {
    auto page = s.read_stream(stream, from, store::Direction::kForward, 10'000);
    if (!page.ok()) {
      if (page.error().is(StatusCode::kNotFound)) return out;
      return page.error();
    }
    for (auto& e : page->events)
      out.push_back(std::move(e));
    if (page->end || page->events.empty()) return out;
    from = page->next;
  }
}

std::string compact(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

void fill_from_history(InstanceSummary& s, const History& h) {
  s.status = h.status;
  s.error = h.error;
  s.status_table = h.status_table;
  s.records = h.records;
  s.source_hash = h.started.source_hash;
  for (auto it = h.commands.rbegin(); it != h.commands.rend(); ++it) {
    const Recorded& r = it->second;
    if (r.waits && !r.completed) {
      s.waiting_on = fmt::format("{} '{}' (seq {}) at {}", r.kind, r.key, it->first, r.at);
      break;
    }
  }
}

}  // namespace

Result<std::vector<InstanceSummary>> list_instances(store::EventStore& store, Which which) {
  CHORUS_ASSIGN_OR_RETURN(auto index, read_stream_all(store, kInstancesStream));
  std::vector<InstanceSummary> out;
  std::map<std::string, size_t> at;
  for (const store::StoredEvent& se : index) {
    const std::string_view data = se.event->data();
    const std::string id = json_string_field(data, "instance");
    if (id.empty()) continue;
    if (se.event->type() == kRecInstanceStarted) {
      InstanceSummary s;
      s.id = id;
      s.workflow = json_string_field(data, "workflow");
      s.script = json_string_field(data, "script");
      s.source_hash = json_string_field(data, "source_hash");
      s.correlation = json_string_field(data, "correlation");
      s.key = json_string_field(data, "key");
      rapidjson::Document d;
      d.Parse(data.data(), data.size());
      if (!d.HasParseError() && d.IsObject() && d.HasMember("started_ns") &&
          d["started_ns"].IsInt64())
        s.started_ns = d["started_ns"].GetInt64();
      s.status = "running";
      at[id] = out.size();
      out.push_back(std::move(s));
    } else if (se.event->type() == kRecInstanceEnded) {
      auto it = at.find(id);
      if (it != at.end()) out[it->second].status = json_string_field(data, "status");
    }
  }
  std::vector<InstanceSummary> result;
  for (InstanceSummary& s : out) {
    const bool open = s.status == "running";
    if (which == Which::kOpen && !open) continue;
    if (open) {
      auto events = read_stream_all(store, history_stream(s.id));
      if (events.ok()) {
        auto h = decode_history(history_stream(s.id), *events);
        if (h.ok())
          fill_from_history(s, *h);
        else
          s.error = h.error().message();
      }
    }
    result.push_back(std::move(s));
  }
  return result;
}

Result<InstanceSummary> show_instance(store::EventStore& store, const std::string& id) {
  CHORUS_ASSIGN_OR_RETURN(auto all, list_instances(store, Which::kAll));
  const InstanceSummary* found = nullptr;
  for (const auto& s : all) {
    if (s.id.compare(0, id.size(), id) != 0) continue;
    if (found)
      return Status::InvalidArgument(fmt::format("instance id prefix '{}' is ambiguous", id));
    found = &s;
  }
  if (!found) return Status::NotFound(fmt::format("no workflow instance '{}'", id));
  InstanceSummary s = *found;
  CHORUS_ASSIGN_OR_RETURN(auto events, read_stream_all(store, history_stream(s.id)));
  CHORUS_ASSIGN_OR_RETURN(History h, decode_history(history_stream(s.id), events));
  fill_from_history(s, h);
  return s;
}

Result<std::vector<store::StoredEvent>> instance_history(store::EventStore& store,
                                                         const std::string& id) {
  CHORUS_ASSIGN_OR_RETURN(InstanceSummary s, show_instance(store, id));
  return read_stream_all(store, history_stream(s.id));
}

std::string describe_record(const store::StoredEvent& record) {
  const Event& e = *record.event;
  rapidjson::Document d;
  d.Parse(e.data().data(), e.data().size());
  std::string line = fmt::format("v{} {}", record.stream_version, e.type());
  if (d.HasParseError() || !d.IsObject()) return line + " (undecodable)";
  auto str = [&](const char* k) -> std::string {
    return d.HasMember(k) && d[k].IsString() ? d[k].GetString() : "";
  };
  if (d.HasMember("seq") && d["seq"].IsUint64())
    line += fmt::format(" seq {}", d["seq"].GetUint64());
  if (!str("kind").empty()) line += fmt::format(" {} '{}'", str("kind"), str("key"));
  if (!str("at").empty()) line += " at " + str("at");
  if (e.type() == kRecStarted)
    line += fmt::format(" {} version {} key {}", str("workflow"), str("source_hash"),
                        d.HasMember("key") && d["key"].IsString() ? d["key"].GetString() : "-");
  if (d.HasMember("result") && !d["result"].IsNull()) line += " -> " + compact(d["result"]);
  if (!str("error").empty()) line += " error: " + str("error");
  if (d.HasMember("timeout")) line += " -> timeout";
  if (!str("status").empty()) line += " status " + str("status");
  if (d.HasMember("deadline_ns") && d["deadline_ns"].IsInt64() && d["deadline_ns"].GetInt64() > 0)
    line += fmt::format(" deadline_ns {}", d["deadline_ns"].GetInt64());
  return line;
}

}  // namespace chorus::workflows
