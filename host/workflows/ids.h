// Name-based ids of workflow instances and of the events they publish
// (docs/workflows.md "Instances"): the same text always gives the same id,
// so a trigger seen twice names one instance and a replayed publish names
// the event already stored.
#pragma once

#include <string>
#include <string_view>

#include "core/uuid.h"

namespace chorus::workflows {

// A UUID version 8 made of two FNV-1a-64 hashes of `text` (stable across
// builds and hosts), with the RFC 9562 version and variant bits.
Uuid name_uuid(std::string_view text);

// The instance started by `trigger_id` for `workflow`.
std::string instance_id_for(std::string_view workflow, const Uuid& trigger_id);
// The event published by command `seq` of `instance` ("<instance>:<seq>").
Uuid command_event_id(std::string_view instance, uint32_t seq, std::string_view role = {});
// The idempotency key of command `seq` of `instance`.
std::string idempotency_key(std::string_view instance, uint32_t seq);

}  // namespace chorus::workflows
