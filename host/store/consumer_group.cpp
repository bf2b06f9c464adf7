// ConsumerGroup: the member-facing calls. Each queues one writer op
// (group_ops.h) and waits for it; events handed out are decoded after the
// commit, outside the writer; read() waits for commits, nacks or ack
// deadlines when there is nothing yet.
#include "store/consumer_group.h"

#include <algorithm>

#include <fmt/core.h>

#include "core/clock.h"
#include "store/internal/cursor.h"
#include "store/internal/env.h"
#include "store/internal/event_lookup.h"
#include "store/internal/group_ops.h"
#include "store/internal/log.h"
#include "store/internal/write_txn.h"
#include "store/internal/writer.h"
#include "store/names.h"

namespace chorus::store {
namespace {

using std::chrono::milliseconds;

std::vector<GroupMessage> decode_handouts(const std::string& path, const GroupState& g,
                                          std::vector<Handout>& handouts) {
  std::vector<GroupMessage> out;
  out.reserve(handouts.size());
  for (Handout& h : handouts) {
    auto se = decode_stored(path, h.seq, h.value);
    if (!se.ok()) {
      // Left pending: it is re-delivered and finally dropped at max deliveries.
      store_log()->error("group '{}': {}", g.name, se.error().message());
      continue;
    }
    out.push_back(GroupMessage{std::move(*se), h.deliveries});
  }
  return out;
}

}  // namespace

ConsumerGroup::ConsumerGroup(Env& env, Writer& writer, std::shared_ptr<GroupState> state)
    : env_(env), writer_(writer), state_(std::move(state)), name_(state_->name) {}

ConsumerGroup::~ConsumerGroup() = default;

Result<std::vector<GroupMessage>> ConsumerGroup::read(std::string_view consumer, size_t max,
                                                      milliseconds wait) {
  return read_impl({}, consumer, max, wait);
}

Result<std::vector<GroupMessage>> ConsumerGroup::ack_and_read(std::span<const uint64_t> acks,
                                                              std::string_view consumer, size_t max,
                                                              milliseconds wait) {
  return read_impl(acks, consumer, max, wait);
}

Result<std::vector<GroupMessage>> ConsumerGroup::read_impl(std::span<const uint64_t> acks,
                                                           std::string_view consumer, size_t max,
                                                           milliseconds wait) {
  CHORUS_RETURN_IF_ERROR(validate_consumer_name(consumer));
  if (max == 0) return std::vector<GroupMessage>{};
  max = std::min(max, kMaxReadLimit);
  const auto deadline = Writer::Clock::now() + wait;
  GroupState& g = *state_;
  for (bool first = true;; first = false) {
    const uint64_t seen = writer_.durable_seq();
    std::vector<Handout> handouts;
    FnOp op(
        [&](WriteTxn& w) -> Status {
          if (first && !acks.empty()) {
            size_t acked = 0;
            CHORUS_RETURN_IF_ERROR(ack_entries(w, g, acks, acked));
          }
          return take(w, g, consumer, max, handouts);
        },
        [&] { handouts.clear(); });
    writer_.submit(&op);
    CHORUS_RETURN_IF_ERROR(op.wait());
    std::vector<GroupMessage> out = decode_handouts(env_.path(), g, handouts);
    if (!out.empty() || !handouts.empty() || Writer::Clock::now() >= deadline) return out;
    // Nothing yet: wait for a commit, a nack, the next ack deadline or ours.
    auto until = deadline;
    const int64_t next_ms = g.next_deadline_ms.load(std::memory_order_acquire);
    if (next_ms > 0) {
      const int64_t wall_ms = wall_clock_ns() / 1'000'000;
      until = std::min(
          until, Writer::Clock::now() + milliseconds(std::max<int64_t>(next_ms - wall_ms, 0)));
    }
    if (until > Writer::Clock::now()) writer_.wait_durable(seen, until);
  }
}

Result<size_t> ConsumerGroup::ack(std::span<const uint64_t> seqs) {
  size_t acked = 0;
  GroupState& g = *state_;
  FnOp op([&](WriteTxn& w) { return ack_entries(w, g, seqs, acked); }, [&] { acked = 0; });
  writer_.submit(&op);
  CHORUS_RETURN_IF_ERROR(op.wait());
  return acked;
}

Result<size_t> ConsumerGroup::nack(std::span<const uint64_t> seqs, std::string_view reason) {
  size_t nacked = 0;
  GroupState& g = *state_;
  FnOp op([&](WriteTxn& w) { return nack_entries(w, g, seqs, reason, nacked); },
          [&] { nacked = 0; });
  writer_.submit(&op);
  CHORUS_RETURN_IF_ERROR(op.wait());
  writer_.wake_waiters();
  return nacked;
}

Result<std::vector<GroupMessage>> ConsumerGroup::claim(std::string_view consumer,
                                                       milliseconds min_idle,
                                                       std::span<const uint64_t> seqs) {
  CHORUS_RETURN_IF_ERROR(validate_consumer_name(consumer));
  GroupState& g = *state_;
  std::vector<Handout> handouts;
  FnOp op([&](WriteTxn& w) { return claim_entries(w, g, consumer, min_idle, seqs, handouts); },
          [&] { handouts.clear(); });
  writer_.submit(&op);
  CHORUS_RETURN_IF_ERROR(op.wait());
  return decode_handouts(env_.path(), g, handouts);
}

Result<size_t> ConsumerGroup::drop(std::span<const uint64_t> seqs) {
  return ack(seqs);  // the same removal; only the intent differs
}

Result<std::vector<PendingEntry>> ConsumerGroup::pending(std::string_view consumer, uint64_t from,
                                                         size_t limit) {
  std::vector<PendingEntry> out;
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  const TxnView v = txn.view();
  CHORUS_ASSIGN_OR_RETURN(Cursor c, Cursor::open(v, v.dbs.group_pending, db::kGroupPending));
  CHORUS_RETURN_IF_ERROR(
      for_each_pending(c, v.path, *state_, from, [&](uint64_t seq, const PendingValueView& pv) {
        if (out.size() >= limit) return false;
        if (consumer.empty() || pv.consumer == consumer)
          out.push_back(
              PendingEntry{seq, std::string(pv.consumer), pv.deliveries, pv.delivered_ms});
        return true;
      }));
  return out;
}

Result<GroupInfo> ConsumerGroup::info() {
  CHORUS_ASSIGN_OR_RETURN(Env::ReadTxn txn, env_.begin_read());
  MDB_val k = to_val(name_), d;
  const int rc = mdb_get(txn.get(), env_.dbs().groups, &k, &d);
  if (rc != 0) return mdb_status(rc, env_.path(), fmt::format("read group '{}'", name_));
  CHORUS_ASSIGN_OR_RETURN(GroupRecord rec, decode_group_record(to_view(d), name_));
  GroupInfo info;
  info.name = name_;
  info.stream_source = rec.source_kind == kGroupSourceStream;
  info.source = rec.source;
  info.cursor = rec.cursor;
  info.pending = state_->pending.load();
  info.ack_timeout = milliseconds(rec.ack_timeout_ms);
  info.max_deliveries = rec.max_deliveries;
  return info;
}

}  // namespace chorus::store
