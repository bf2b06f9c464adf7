// The records of a workflow instance's history and of the engine's other
// system streams, as docs/workflows.md "History records" defines them (that
// page is the format; the constants here point back to it): encoding the
// events the engine appends, and decoding a stored history into the
// per-seq table replay reads.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "store/types.h"

namespace chorus::workflows {

// Record types (event `type`) of $wf-<id>.
inline constexpr std::string_view kRecStarted = "wf.started";
inline constexpr std::string_view kRecCommand = "wf.command";
inline constexpr std::string_view kRecScheduled = "wf.scheduled";
inline constexpr std::string_view kRecCompleted = "wf.completed";
inline constexpr std::string_view kRecFinished = "wf.finished";
inline constexpr std::string_view kRecSuspended = "wf.suspended";
inline constexpr std::string_view kRecContinued = "wf.continued";
inline constexpr std::string_view kRecUpgraded = "wf.upgraded";
inline constexpr std::string_view kRecCancelRequested = "wf.cancel_requested";
// Of $wf-instances and $wf-source-<hash>.
inline constexpr std::string_view kRecInstanceStarted = "wf.instance.started";
inline constexpr std::string_view kRecInstanceEnded = "wf.instance.ended";
inline constexpr std::string_view kRecSource = "wf.source";

inline constexpr std::string_view kInstancesStream = "$wf-instances";
inline constexpr std::string_view kRecordSource = "chorus.workflows";

std::string history_stream(std::string_view instance);  // "$wf-<id>"
std::string source_stream(std::string_view hash);       // "$wf-source-<hash>"

// One seq of a history: a command, or a waiting command and its end.
struct Recorded {
  std::string kind, key, at;
  bool waits = false;           // wf.scheduled (else wf.command)
  bool completed = false;       // wf.completed seen (always true for wf.command)
  std::string result = "null";  // JSON
  std::string error;            // wf.completed error
  bool timeout = false;
  uint32_t attempts = 0, end_seq = 0;
  int64_t deadline_ns = 0;
  uint64_t from_seq = 0;
};

struct StartedRecord {
  std::string workflow, script, path, source_hash;
  std::string trigger = "null";  // the event table, JSON
  uint64_t trigger_seq = 0;
  std::string correlation;
  std::string key;  // "" when none
  bool has_key = false;
  std::string input = "null";  // JSON
  std::string previous;
  uint32_t run = 1;
};

struct History {
  StartedRecord started;
  std::map<uint32_t, Recorded> commands;
  uint64_t version = 0;  // the stream's last version
  uint64_t records = 0;
  bool finished = false;
  std::string status;  // the wf.finished status, or "suspended", "running"
  std::string error;   // of wf.finished or wf.suspended
  std::string result = "null";
  std::string status_table = "null";  // the last set_status
  std::string continued_to;
  // wf.cancel_requested: the instance is being cancelled; its compensation
  // takes seqs from cancel_seq (none when !cancel_compensate).
  bool cancel_requested = false;
  bool cancel_compensate = true;
  std::string cancel_reason;
  uint32_t cancel_seq = 0;
};

// Decodes the events of $wf-<id> in order. Corruption names the stream and
// the version of a record that does not decode.
Result<History> decode_history(std::string_view stream,
                               const std::vector<store::StoredEvent>& events);

// A record event for `stream`, with JSON `data`.
EventPtr make_record(std::string_view stream, std::string_view type, std::string_view correlation,
                     std::string data);

// JSON objects of the records (fields as docs/workflows.md lists them).
std::string started_json(const StartedRecord& s);
std::string command_json(uint32_t seq, std::string_view kind, std::string_view key,
                         std::string_view at, std::string_view result);
std::string scheduled_json(uint32_t seq, std::string_view kind, std::string_view key,
                           std::string_view at, int64_t deadline_ns, uint64_t from_seq);
// Exactly one of result (JSON), error, timeout.
struct Completion {
  std::string result = "null";
  std::string error;
  bool is_error = false;
  bool timeout = false;
  uint32_t attempts = 0, end_seq = 0;
};
std::string completed_json(uint32_t seq, const Completion& c);
struct Finish {
  std::string status;  // completed, failed, compensated, continued, cancelled
  std::string result = "null";
  std::string reason;  // cancelled (or failed while cancelling): the cancel's reason
  std::string error;
  std::string failed_compensation;
  std::vector<std::string> compensated;
};
std::string finished_json(const Finish& f);
std::string suspended_json(std::string_view reason, std::string_view error, uint32_t seq);
std::string continued_json(std::string_view new_instance);
std::string upgraded_json(std::string_view from, std::string_view to);
std::string cancel_requested_json(std::string_view reason, uint32_t seq, bool compensate);
// `trigger_type`: the type of the event in s.trigger (given, not parsed back).
std::string instance_started_json(std::string_view instance, const StartedRecord& s,
                                  std::string_view trigger_type, int64_t started_ns);
std::string instance_ended_json(std::string_view instance, std::string_view workflow,
                                std::string_view status);
std::string source_json(std::string_view script, std::string_view path, std::string_view hash,
                        std::string_view source);

// The table an event is for Lua (docs/workflows.md "Commands"), as JSON:
// data decoded when it is JSON, else its text.
std::string event_table_json(const Event& e);

// A JSON string of `text`; the publish command's result {id, type}.
std::string json_string(std::string_view text);
std::string publish_result_json(std::string_view id, std::string_view type);

// Reading single fields of a stored record's JSON data (for the index and
// the source stream). Empty when absent.
std::string json_string_field(std::string_view json, const char* field);

}  // namespace chorus::workflows
