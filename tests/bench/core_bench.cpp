// Core benchmarks: UUIDv7 ids, event construction, the binary record and
// CloudEvents JSON codecs, topic validation. Prints one JSON line per result.
#include <string>
#include <vector>

#include "bench.h"
#include "core/clock.h"
#include "core/cloudevents.h"
#include "core/event_codec.h"
#include "core/topic.h"
#include "core/uuid.h"

using namespace chorus;
using namespace chorus::bench;

int main() {
  const std::string payload =
      R"({"task_id":"123","priority":"high","owner":"planner-01","steps":[1,2,3],"note":")" +
      std::string(200 - 87, 'x') + R"("})";

  report("clock.wall_clock_ns", run_for([](uint64_t n) {
           for (uint64_t i = 0; i < n; ++i)
             keep(wall_clock_ns());
           return n;
         }));
  report("uuid.new_v7", run_for([](uint64_t n) {
           for (uint64_t i = 0; i < n; ++i)
             keep(new_uuid_v7());
           return n;
         }));
  report("topic.validate", run_for([](uint64_t n) {
           for (uint64_t i = 0; i < n; ++i)
             keep(validate_topic("agent.planner-1.task.created"));
           return n;
         }));
  report("event.build_small", run_for([](uint64_t n) {
           for (uint64_t i = 0; i < n; ++i)
             keep(EventBuilder("task.created").source("bench").build());
           return n;
         }));
  report("event.build_200b", run_for([&](uint64_t n) {
           for (uint64_t i = 0; i < n; ++i)
             keep(EventBuilder("task.created").source("planner-01").data(payload).build());
           return n;
         }));

  EventPtr ev =
      *EventBuilder("task.created")
           .source("planner-01")
           .correlation_id("req_1703123456789_abc123")
           .stream("task-123")
           .metadata("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
           .data(payload)
           .build();
  std::string rec = encode_event(*ev);
  const std::string rec_bytes = "\"record_bytes\":" + std::to_string(rec.size());
  report("record.encode", run_for([&](uint64_t n) {
           for (uint64_t i = 0; i < n; ++i) {
             rec.clear();
             encode_event(*ev, rec);
             keep(rec);
           }
           return n;
         }),
         "", nullptr, rec_bytes);
  report("record.decode", run_for([&](uint64_t n) {
           for (uint64_t i = 0; i < n; ++i)
             keep(decode_event(rec));
           return n;
         }));
  std::string json = to_cloudevent_json(*ev);
  const std::string json_bytes = "\"json_bytes\":" + std::to_string(json.size());
  report("cloudevent.encode", run_for([&](uint64_t n) {
           for (uint64_t i = 0; i < n; ++i) {
             json.clear();
             append_cloudevent_json(*ev, json);
             keep(json);
           }
           return n;
         }),
         "", nullptr, json_bytes);
  report("cloudevent.decode", run_for([&](uint64_t n) {
           for (uint64_t i = 0; i < n; ++i)
             keep(parse_cloudevent_json(json));
           return n;
         }));
  return 0;
}
