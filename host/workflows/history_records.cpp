// History records: JSON encode/decode with RapidJSON (docs/workflows.md
// "History records").
#include "workflows/history_records.h"

#include <fmt/core.h>
#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace chorus::workflows {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void str(Writer& w, const char* k, std::string_view v) {
  w.Key(k);
  w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
}
void raw(Writer& w, const char* k, std::string_view json) {
  w.Key(k);
  if (json.empty()) {
    w.Null();
    return;
  }
  w.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}
void u64(Writer& w, const char* k, uint64_t v) {
  w.Key(k);
  w.Uint64(v);
}
void i64(Writer& w, const char* k, int64_t v) {
  w.Key(k);
  w.Int64(v);
}
void str_or_null(Writer& w, const char* k, std::string_view v, bool present) {
  w.Key(k);
  if (present)
    w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  else
    w.Null();
}

template <typename F>
std::string object(F&& fill) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  fill(w);
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string to_json(const rapidjson::Value& v) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

std::string get_str(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || !it->value.IsString()) return {};
  return std::string(it->value.GetString(), it->value.GetStringLength());
}
uint64_t get_u64(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  if (it == o.MemberEnd()) return 0;
  if (it->value.IsUint64()) return it->value.GetUint64();
  return 0;
}
int64_t get_i64(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || !it->value.IsInt64()) return 0;
  return it->value.GetInt64();
}
std::string get_json(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  if (it == o.MemberEnd()) return "null";
  return to_json(it->value);
}
bool has(const rapidjson::Value& o, const char* k) {
  return o.FindMember(k) != o.MemberEnd();
}

// Whether `text` is one JSON value (what Document::Parse accepts), checked
// without building a document (once per trigger and per awaited event).
bool is_json(std::string_view text) {
  rapidjson::MemoryStream ms(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
  rapidjson::BaseReaderHandler<> ignore;
  rapidjson::Reader reader;
  return !reader.Parse(in, ignore).IsError();
}

}  // namespace

std::string history_stream(std::string_view instance) {
  return fmt::format("$wf-{}", instance);
}
std::string source_stream(std::string_view hash) {
  return fmt::format("$wf-source-{}", hash);
}

EventPtr make_record(std::string_view stream, std::string_view type, std::string_view correlation,
                     std::string data) {
  EventBuilder b(type);
  b.source(kRecordSource).stream(stream).data(data, "application/json");
  if (!correlation.empty()) b.correlation_id(correlation);
  auto r = b.build();
  return r.ok() ? std::move(*r) : EventPtr();
}

std::string started_json(const StartedRecord& s) {
  return object([&](Writer& w) {
    str(w, "workflow", s.workflow);
    str(w, "script", s.script);
    str(w, "path", s.path);
    str(w, "source_hash", s.source_hash);
    u64(w, "run", s.run);
    raw(w, "trigger", s.trigger);
    u64(w, "trigger_seq", s.trigger_seq);
    str(w, "correlation", s.correlation);
    str_or_null(w, "key", s.key, s.has_key);
    raw(w, "input", s.input);
    str_or_null(w, "previous", s.previous, !s.previous.empty());
  });
}

std::string command_json(uint32_t seq, std::string_view kind, std::string_view key,
                         std::string_view at, std::string_view result) {
  return object([&](Writer& w) {
    u64(w, "seq", seq);
    str(w, "kind", kind);
    str(w, "key", key);
    str(w, "at", at);
    raw(w, "result", result);
  });
}

std::string scheduled_json(uint32_t seq, std::string_view kind, std::string_view key,
                           std::string_view at, int64_t deadline_ns, uint64_t from_seq) {
  return object([&](Writer& w) {
    u64(w, "seq", seq);
    str(w, "kind", kind);
    str(w, "key", key);
    str(w, "at", at);
    i64(w, "deadline_ns", deadline_ns);
    u64(w, "from_seq", from_seq);
  });
}

std::string completed_json(uint32_t seq, const Completion& c) {
  return object([&](Writer& w) {
    u64(w, "seq", seq);
    if (c.timeout) {
      w.Key("timeout");
      w.Bool(true);
    } else if (c.is_error) {
      str(w, "error", c.error);
    } else {
      raw(w, "result", c.result);
    }
    if (c.attempts) u64(w, "attempts", c.attempts);
    if (c.end_seq) u64(w, "end_seq", c.end_seq);
  });
}

std::string finished_json(const Finish& f) {
  return object([&](Writer& w) {
    str(w, "status", f.status);
    if (!f.error.empty())
      str(w, "error", f.error);
    else
      raw(w, "result", f.result);
    if (!f.reason.empty()) str(w, "reason", f.reason);
    if (!f.failed_compensation.empty()) str(w, "failed_compensation", f.failed_compensation);
    if (f.status == "compensated" || f.status == "cancelled" || !f.failed_compensation.empty()) {
      w.Key("compensated");
      w.StartArray();
      for (const auto& c : f.compensated)
        w.String(c.data(), static_cast<rapidjson::SizeType>(c.size()));
      w.EndArray();
    }
  });
}

std::string suspended_json(std::string_view reason, std::string_view error, uint32_t seq) {
  return object([&](Writer& w) {
    str(w, "reason", reason);
    str(w, "error", error);
    u64(w, "seq", seq);
  });
}

std::string continued_json(std::string_view new_instance) {
  return object([&](Writer& w) { str(w, "new_instance", new_instance); });
}

std::string upgraded_json(std::string_view from, std::string_view to) {
  return object([&](Writer& w) {
    str(w, "from", from);
    str(w, "to", to);
  });
}

std::string cancel_requested_json(std::string_view reason, uint32_t seq, bool compensate) {
  return object([&](Writer& w) {
    str(w, "reason", reason);
    u64(w, "seq", seq);
    w.Key("compensate");
    w.Bool(compensate);
  });
}

std::string instance_started_json(std::string_view instance, const StartedRecord& s,
                                  std::string_view trigger_type, int64_t started_ns) {
  return object([&](Writer& w) {
    str(w, "instance", instance);
    str(w, "workflow", s.workflow);
    str(w, "script", s.script);
    str(w, "source_hash", s.source_hash);
    str(w, "correlation", s.correlation);
    str_or_null(w, "key", s.key, s.has_key);
    str(w, "trigger_type", trigger_type);
    i64(w, "started_ns", started_ns);
  });
}

std::string instance_ended_json(std::string_view instance, std::string_view workflow,
                                std::string_view status) {
  return object([&](Writer& w) {
    str(w, "instance", instance);
    str(w, "workflow", workflow);
    str(w, "status", status);
  });
}

std::string source_json(std::string_view script, std::string_view path, std::string_view hash,
                        std::string_view source) {
  return object([&](Writer& w) {
    str(w, "script", script);
    str(w, "path", path);
    str(w, "hash", hash);
    str(w, "source", source);
  });
}

std::string event_table_json(const Event& e) {
  return object([&](Writer& w) {
    str(w, "id", e.id().to_string());
    str(w, "type", e.type());
    str(w, "source", e.source());
    i64(w, "time", e.time_ns());
    str(w, "correlation_id", e.correlation_id());
    str(w, "causation_id", e.causation_id());
    const std::string_view ct = e.content_type();
    const std::string_view data = e.data();
    const bool json = (ct.empty() || ct == "application/json") && !data.empty() && is_json(data);
    if (json)
      raw(w, "data", data);
    else
      str(w, "data", data);
  });
}

std::string json_string(std::string_view text) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(sb.GetString(), sb.GetSize());
}

std::string publish_result_json(std::string_view id, std::string_view type) {
  return object([&](Writer& w) {
    str(w, "id", id);
    str(w, "type", type);
  });
}

std::string json_string_field(std::string_view json, const char* field) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) return {};
  return get_str(d, field);
}

Result<History> decode_history(std::string_view stream,
                               const std::vector<store::StoredEvent>& events) {
  History h;
  for (const store::StoredEvent& se : events) {
    const Event& e = *se.event;
    auto bad = [&](std::string_view why) {
      return Status::Corruption(fmt::format("workflow history {} version {} ({}): {}", stream,
                                            se.stream_version, e.type(), why));
    };
    rapidjson::Document d;
    d.Parse(e.data().data(), e.data().size());
    if (d.HasParseError() || !d.IsObject()) return bad("data is not a JSON object");
    h.version = se.stream_version;
    ++h.records;
    const std::string_view t = e.type();
    if (t == kRecStarted) {
      StartedRecord& s = h.started;
      s.workflow = get_str(d, "workflow");
      s.script = get_str(d, "script");
      s.path = get_str(d, "path");
      s.source_hash = get_str(d, "source_hash");
      s.run = static_cast<uint32_t>(get_u64(d, "run"));
      s.trigger = get_json(d, "trigger");
      s.trigger_seq = get_u64(d, "trigger_seq");
      s.correlation = get_str(d, "correlation");
      auto k = d.FindMember("key");
      s.has_key = k != d.MemberEnd() && k->value.IsString();
      if (s.has_key) s.key = k->value.GetString();
      s.input = get_json(d, "input");
      s.previous = get_str(d, "previous");
      if (s.workflow.empty() || s.source_hash.empty()) return bad("no workflow or source_hash");
      h.status = "running";
    } else if (t == kRecCommand || t == kRecScheduled) {
      const uint64_t seq = get_u64(d, "seq");
      if (seq == 0 || seq > UINT32_MAX) return bad("no seq");
      Recorded& r = h.commands[static_cast<uint32_t>(seq)];
      r.kind = get_str(d, "kind");
      r.key = get_str(d, "key");
      r.at = get_str(d, "at");
      if (r.kind.empty()) return bad("no kind");
      if (t == kRecCommand) {
        r.completed = true;
        r.result = get_json(d, "result");
        if (r.kind == "set_status") h.status_table = r.result;
      } else {
        r.waits = true;
        r.deadline_ns = get_i64(d, "deadline_ns");
        r.from_seq = get_u64(d, "from_seq");
      }
    } else if (t == kRecCompleted) {
      const uint64_t seq = get_u64(d, "seq");
      auto it = h.commands.find(static_cast<uint32_t>(seq));
      if (it == h.commands.end() || !it->second.waits) return bad("completes no scheduled command");
      Recorded& r = it->second;
      r.completed = true;
      r.timeout = has(d, "timeout");
      r.error = get_str(d, "error");
      r.result = get_json(d, "result");
      r.attempts = static_cast<uint32_t>(get_u64(d, "attempts"));
      r.end_seq = static_cast<uint32_t>(get_u64(d, "end_seq"));
    } else if (t == kRecFinished) {
      h.finished = true;
      h.status = get_str(d, "status");
      h.error = get_str(d, "error");
      h.result = get_json(d, "result");
    } else if (t == kRecSuspended) {
      h.status = "suspended";
      h.error = get_str(d, "error");
    } else if (t == kRecContinued) {
      h.continued_to = get_str(d, "new_instance");
    } else if (t == kRecCancelRequested) {
      const uint64_t seq = get_u64(d, "seq");
      if (seq == 0 || seq > UINT32_MAX) return bad("no seq");
      h.cancel_requested = true;
      h.cancel_reason = get_str(d, "reason");
      h.cancel_seq = static_cast<uint32_t>(seq);
      auto c = d.FindMember("compensate");
      h.cancel_compensate = c == d.MemberEnd() || !c->value.IsBool() || c->value.GetBool();
      if (!h.finished) h.status = "cancelling";
    } else if (t == kRecUpgraded) {
      h.started.source_hash = get_str(d, "to");
      if (h.status == "suspended") h.status = "running";
    }
    // Unknown record types are skipped: a newer engine may add some.
  }
  if (h.started.workflow.empty())
    return Status::Corruption(fmt::format("workflow history {}: no wf.started record", stream));
  return h;
}

}  // namespace chorus::workflows
