// WriterState: what the writer keeps in memory between transactions: the
// next sequence number, the largest stored id, the id counters, the type
// dictionary, a cache of stream states and the open consumer groups.
// Loaded from disk at start and after an aborted transaction.
//
// Writer thread only (writer.h): no locks.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"
#include "core/uuid.h"

namespace chorus::store {

class Env;
struct GroupState;

// A stream as the writer knows it (cached; reloaded from disk on a miss).
struct StreamState {
  bool exists = false;  // a stream record is stored
  uint64_t stream_id = 0;
  uint64_t version = 0;  // current version
  uint64_t truncate_before = 0;
  int64_t created_ns = 0;
  uint8_t flags = 0;
};

// Hash for string-keyed maps looked up by string_view without a copy.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

struct WriterState {
  uint64_t next_seq = 1;
  Uuid max_id;  // the largest id in event_ids as of the last commit
  uint64_t next_stream_id = 1, next_group_id = 1;
  uint32_t next_type_id = 1;
  StringMap<uint32_t> types;                                            // every stored type
  StringMap<StreamState> streams;                                       // bounded cache
  std::unordered_map<std::string, std::shared_ptr<GroupState>> groups;  // open groups

  // Reads everything but the stream cache (cleared) and the groups from
  // disk. Opens its own read transaction.
  Status load(Env& env);
};

}  // namespace chorus::store
