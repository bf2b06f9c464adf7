// Multi-stream appends: the batches of append.cpp, several in one op.
#include "store/internal/multi_append.h"

#include <algorithm>
#include <set>
#include <string>

#include <fmt/core.h>

#include "core/text.h"
#include "store/dead_letter.h"
#include "store/names.h"

namespace chorus::store {
namespace {

std::string part_label(std::string_view stream) {
  return stream.empty() ? std::string("the global log")
                        : fmt::format("stream '{}'", printable(stream));
}

}  // namespace

Status prepare_multi_append(std::span<const StreamAppend> parts,
                            std::vector<std::unique_ptr<AppendSpec>>& out) {
  if (parts.empty()) return Status::InvalidArgument("append_multi: no parts");
  if (parts.size() > kMaxMultiAppendParts)
    return Status::InvalidArgument(
        fmt::format("append_multi: {} parts (at most {})", parts.size(), kMaxMultiAppendParts));
  std::set<std::string_view> streams;
  std::vector<Uuid> ids;
  out.clear();
  for (const StreamAppend& p : parts) {
    if (p.stream == kDeadLetterStream || p.stream == kResolvedDeadLetterStream)
      return Status::InvalidArgument(fmt::format(
          "append_multi: stream '{}' is written by the store only", printable(p.stream)));
    if (!streams.insert(p.stream).second)
      return Status::InvalidArgument(
          fmt::format("append_multi: {} appears in two parts", part_label(p.stream)));
    auto spec = std::make_unique<AppendSpec>();
    if (Status s = prepare_append(p.stream, p.events, p.expected, SystemStreams::kAllow, *spec);
        !s.ok())
      return s.with_context(fmt::format("append_multi: {}", part_label(p.stream)));
    for (const EventPtr& e : spec->events)
      ids.push_back(e->id());
    out.push_back(std::move(spec));
  }
  std::sort(ids.begin(), ids.end());
  if (auto dup = std::adjacent_find(ids.begin(), ids.end()); dup != ids.end())
    return Status::InvalidArgument(
        fmt::format("append_multi: event id {} appears in two parts", dup->to_string()));
  return Status::OK();
}

Status MultiAppendOp::apply(WriteTxn& w) {
  result = MultiAppendResult{};
  result.parts.resize(specs.size());
  bool wrote = false;
  for (size_t i = 0; i < specs.size(); ++i) {
    CHORUS_RETURN_IF_ERROR(apply_append(w, *specs[i], result.parts[i]));
    AppendResult& r = result.parts[i];
    if (!r.ok()) {
      result.status = r.status.with_context(
          fmt::format("append_multi: part {} ({})", i + 1, part_label(specs[i]->stream)));
      // Nothing written yet: this op is simply refused. Otherwise the writer
      // must undo the earlier parts: fail the op on its own.
      return wrote ? result.status : Status::OK();
    }
    wrote = wrote || r.written > 0;
  }
  return Status::OK();
}

void MultiAppendOp::reset() {
  result = MultiAppendResult{};
}

size_t MultiAppendOp::weight() const {
  size_t n = 0;
  for (const auto& s : specs)
    n += s->events.size();
  return n;
}

void MultiAppendOp::complete(const Status& txn_status) {
  if (!txn_status.ok()) {
    const Status own = result.status;
    result = MultiAppendResult{};
    result.status = own.ok() ? txn_status : own;
  }
  if (waiter) {
    waiter->signal();  // the op lives on the waiter's stack: not touched after this
  } else {
    if (callback) callback(result);
    delete this;
  }
}

}  // namespace chorus::store
