// Workflow instance shapes (workflow_json.h). Record data and status tables
// are JSON the engine wrote; they are parsed and written as values, or as a
// string when a stored one does not parse (never spliced as text).
#include "api/workflow_json.h"

#include <algorithm>

#include <rapidjson/document.h>

#include "core/time_format.h"
#include "store/types.h"
#include "workflows/history_reader.h"
#include "workflows/upgrade.h"

namespace chorus::api {
namespace {

void json_value(JsonBody& j, std::string_view text) {
  rapidjson::Document d;
  d.Parse(text.data(), text.size());
  if (d.HasParseError())
    j.string(text);
  else
    d.Accept(j.w);
}

void string_or_null(JsonBody& j, std::string_view k, std::string_view v) {
  j.key(k);
  if (v.empty())
    j.w.Null();
  else
    j.string(v);
}

std::string_view result_name(workflows::UpgradeOutcome::Result r) {
  switch (r) {
    case workflows::UpgradeOutcome::Result::kUpgraded:
      return "upgraded";
    case workflows::UpgradeOutcome::Result::kAlreadyCurrent:
      return "already_current";
    case workflows::UpgradeOutcome::Result::kPinned:
      return "pinned";
  }
  return "pinned";
}

}  // namespace

void write_instance(JsonBody& j, const workflows::InstanceSummary& s) {
  j.w.StartObject();
  j.member("id", s.id);
  j.member("workflow", s.workflow);
  j.member("script", s.script);
  j.member("status", s.status);
  j.member("version", s.source_hash);
  j.member("correlation", s.correlation);
  string_or_null(j, "key", s.key);
  string_or_null(j, "started", s.started_ns ? format_rfc3339(s.started_ns) : "");
  j.key("records");
  j.w.Uint64(s.records);
  string_or_null(j, "waiting_on", s.waiting_on);
  j.key("status_table");
  json_value(j, s.status_table.empty() ? "null" : s.status_table);
  string_or_null(j, "error", s.error);
  j.w.EndObject();
}

void write_history_record(JsonBody& j, const store::StoredEvent& record) {
  const Event& e = *record.event;
  j.w.StartObject();
  j.key("version");
  j.w.Uint64(record.stream_version);
  j.key("seq");
  j.w.Uint64(record.seq);
  j.member("type", e.type());
  j.member("time", format_rfc3339(e.time_ns()));
  j.member("line", workflows::describe_record(record));
  j.key("data");
  json_value(j, e.data().empty() ? std::string_view("null") : e.data());
  j.w.EndObject();
}

std::string instance_list_json(const std::vector<const workflows::InstanceSummary*>& list,
                               size_t shown) {
  shown = std::min(shown, list.size());
  JsonBody j;
  j.w.StartObject();
  j.key("count");
  j.w.Uint64(list.size());
  j.key("end");
  j.w.Bool(shown == list.size());
  j.key("instances");
  j.w.StartArray();
  for (size_t i = 0; i < shown; ++i)
    write_instance(j, *list[i]);
  j.w.EndArray();
  j.w.EndObject();
  return j.take();
}

std::string instance_detail_json(const workflows::InstanceSummary& s,
                                 const std::vector<store::StoredEvent>& history) {
  JsonBody j;
  j.w.StartObject();
  j.key("instance");
  write_instance(j, s);
  j.key("history");
  j.w.StartArray();
  for (const store::StoredEvent& r : history)
    write_history_record(j, r);
  j.w.EndArray();
  j.w.EndObject();
  return j.take();
}

std::string upgrade_json(std::string_view workflow,
                         const std::vector<workflows::UpgradeOutcome>& outcomes, UpgradeMode mode) {
  using R = workflows::UpgradeOutcome::Result;
  uint64_t upgraded = 0, current = 0, pinned = 0;
  for (const auto& o : outcomes)
    (o.result == R::kUpgraded ? upgraded : o.result == R::kAlreadyCurrent ? current : pinned) += 1;
  JsonBody j;
  j.w.StartObject();
  j.member("workflow", workflow);
  j.key("live");
  j.w.Bool(mode == UpgradeMode::kLive);
  j.key("upgraded");
  j.w.Uint64(upgraded);
  j.key("already_current");
  j.w.Uint64(current);
  j.key("pinned");
  j.w.Uint64(pinned);
  j.key("outcomes");
  j.w.StartArray();
  for (const auto& o : outcomes) {
    j.w.StartObject();
    j.member("instance", o.instance);
    j.member("result", result_name(o.result));
    j.member("from", o.from);
    j.member("to", o.to);
    if (o.result == R::kPinned) j.member("why", o.why);
    j.w.EndObject();
  }
  j.w.EndArray();
  j.w.EndObject();
  return j.take();
}

}  // namespace chorus::api
