// The crash matrix's bookkeeping: history records by transaction, the crash
// points worth running, the copy of a committed prefix, and the outcome a
// crashed run must share with the normal one (crash_matrix.h).
#include "workflows/crash_matrix.h"

#include <algorithm>

#include <fmt/core.h>
#include <rapidjson/document.h>

#include "bus/event_bus.h"
#include "store/event_store.h"
#include "workflows/history_reader.h"
#include "workflows/history_records.h"

namespace chorus::workflows {
namespace {

// $wf-<id>, not the index or a stored source.
bool is_history_record(const Event& e) {
  const std::string_view s = e.stream();
  return s.starts_with("$wf-") && s != kInstancesStream && !s.starts_with("$wf-source-");
}

// "wf.command seq 2 publish 'approval.pending' at approval.lua:18": what a
// failure line names (describe_record has more: results, deadlines).
std::string short_description(const Event& e) {
  std::string line(e.type());
  rapidjson::Document d;
  d.Parse(e.data().data(), e.data().size());
  if (d.HasParseError() || !d.IsObject()) return line;
  auto str = [&d](const char* k) -> std::string {
    return d.HasMember(k) && d[k].IsString() ? d[k].GetString() : "";
  };
  if (d.HasMember("seq") && d["seq"].IsUint64())
    line += fmt::format(" seq {}", d["seq"].GetUint64());
  if (!str("kind").empty()) line += fmt::format(" {} '{}'", str("kind"), str("key"));
  if (!str("at").empty()) line += " at " + str("at");
  if (e.type() == kRecStarted) line += " " + str("workflow");
  if (!str("status").empty()) line += " " + str("status");
  if (d.HasMember("timeout")) line += " (timeout)";
  return line;
}

}  // namespace

void RecordTracker::on_commit(const store::CommittedBatch& batch) {
  std::lock_guard l(mu_);
  const size_t before = records_.size();
  for (const store::StoredEvent& se : batch.events) {
    if (!is_history_record(*se.event)) continue;
    records_.push_back({batch.first_seq, batch.last_seq, short_description(*se.event)});
  }
  last_seq_ = std::max(last_seq_, batch.last_seq);
  if (plan_.k == 0 || crash_due_) return;
  const size_t after = records_.size();
  if (plan_.point == CrashPoint::kAfterRecord && after >= plan_.k) {
    cut_ = batch.last_seq;
    crash_due_ = true;
  } else if (plan_.point == CrashPoint::kBeforeNext && before < plan_.k + 1 &&
             after >= plan_.k + 1) {
    cut_ = batch.first_seq - 1;
    crash_due_ = true;
  }
}

uint64_t RecordTracker::before_action() {
  std::lock_guard l(mu_);
  actions_.push_back(last_seq_);
  if (plan_.k == 0 || crash_due_ || plan_.point != CrashPoint::kBeforeNext) return 0;
  if (records_.size() < plan_.k) return 0;
  crash_due_ = true;
  return last_seq_;
}

uint64_t RecordTracker::take_cut() {
  std::lock_guard l(mu_);
  return std::exchange(cut_, 0);
}

bool RecordTracker::crashed() const {
  std::lock_guard l(mu_);
  return crash_due_;
}

void RecordTracker::restarted(uint64_t cut) {
  std::lock_guard l(mu_);
  std::erase_if(records_, [cut](const RecordMark& m) { return m.first_seq > cut; });
  last_seq_ = cut;
}

std::vector<RecordMark> RecordTracker::records() const {
  std::lock_guard l(mu_);
  return records_;
}

std::vector<uint64_t> RecordTracker::action_marks() const {
  std::lock_guard l(mu_);
  return actions_;
}

uint64_t RecordTracker::last_seq() const {
  std::lock_guard l(mu_);
  return last_seq_;
}

std::vector<CrashPlan> crash_plans(const std::vector<RecordMark>& records,
                                   const std::vector<uint64_t>& action_marks) {
  std::vector<CrashPlan> plans;
  const size_t n = records.size();
  for (size_t k = 1; k <= n; ++k) {
    const RecordMark& rec = records[k - 1];
    // Records of one transaction: crashing after the last of them is the
    // only state the store can be left in.
    if (k < n && records[k].first_seq == rec.first_seq) continue;
    plans.push_back({CrashPoint::kAfterRecord, k});
    if (k == n) continue;
    uint64_t late = records[k].first_seq - 1;
    for (uint64_t m : action_marks)
      if (m >= rec.last_seq) {
        late = std::min(late, m);
        break;
      }
    if (late > rec.last_seq) plans.push_back({CrashPoint::kBeforeNext, k});
  }
  return plans;
}

std::string describe_crash(const CrashPlan& plan, const std::vector<RecordMark>& records) {
  const std::string what = plan.k >= 1 && plan.k <= records.size() ? records[plan.k - 1].what : "";
  return fmt::format(
      "crash after record {} of {}{}: {}", plan.k, records.size(),
      plan.point == CrashPoint::kBeforeNext ? " and what the host stored after it" : "", what);
}

Status copy_prefix(store::EventStore& from, uint64_t last_seq, store::EventStore& to) {
  uint64_t next = 1;
  while (next <= last_seq) {
    auto page = from.read_all(next, store::Direction::kForward, 1000);
    if (!page.ok()) return page.error();
    for (const store::StoredEvent& se : page->events) {
      if (se.seq > last_seq) return Status::OK();
      const EventPtr& ev = se.event;
      uint64_t seq = 0, version = 0;
      if (ev->stream().empty()) {
        store::AppendResult r = to.append(ev);
        if (!r.ok()) return r.status;
        seq = r.first_seq;
      } else {
        const store::StreamAppend part{ev->stream(), std::span<const EventPtr>(&ev, 1),
                                       store::ExpectedVersion::any()};
        store::MultiAppendResult r =
            to.append_multi(std::span<const store::StreamAppend>(&part, 1));
        if (!r.ok()) return r.status;
        seq = r.parts.empty() ? 0 : r.parts[0].first_seq;
        version = r.parts.empty() ? 0 : r.parts[0].stream_version;
      }
      if (seq != se.seq || (!ev->stream().empty() && version != se.stream_version))
        return Status::Internal(fmt::format(
            "chorus test: the crashed store's copy of seq {} ({} version {}) became seq {} "
            "version {}",
            se.seq, ev->stream(), se.stream_version, seq, version));
      next = se.seq + 1;
    }
    if (page->end || page->events.empty()) break;
    next = page->next;
  }
  return Status::OK();
}

Result<Outcome> read_outcome(store::EventStore& store, std::string_view harness_source) {
  Outcome out;
  CHORUS_ASSIGN_OR_RETURN(auto all, list_instances(store, Which::kAll));
  for (const InstanceSummary& i : all) {
    out.ends.emplace(i.workflow, i.status);
    if (!i.error.empty())
      out.errors.push_back(fmt::format("{} {}: {}", i.workflow, i.status, i.error));
  }
  uint64_t next = 1;
  for (;;) {
    CHORUS_ASSIGN_OR_RETURN(auto page, store.read_all(next, store::Direction::kForward, 1000));
    for (const store::StoredEvent& se : page.events) {
      const Event& e = *se.event;
      if (e.stream().starts_with("$") || e.source() == harness_source ||
          e.source() == kRecordSource || bus::EventBus::is_reply(e) ||
          e.find_metadata("idempotencykey"))
        continue;
      ++out.effects[std::string(e.type())];
    }
    if (page.end || page.events.empty()) break;
    next = page.next;
  }
  return out;
}

std::string compare_outcomes(const Outcome& normal, const Outcome& crashed) {
  std::string diff;
  auto add = [&diff](std::string s) { diff += (diff.empty() ? "" : "; ") + s; };
  if (normal.ends != crashed.ends) {
    auto list = [](const std::multimap<std::string, std::string>& m) {
      std::string s;
      for (const auto& [w, status] : m)
        s += (s.empty() ? "" : ", ") + w + " " + status;
      return s.empty() ? std::string("none") : s;
    };
    add(fmt::format("instances ended {} (the normal run: {})", list(crashed.ends),
                    list(normal.ends)));
    for (const std::string& e : crashed.errors)
      add(e);
  }
  std::map<std::string, std::pair<size_t, size_t>> counts;
  for (const auto& [t, n] : normal.effects)
    counts[t].first = n;
  for (const auto& [t, n] : crashed.effects)
    counts[t].second = n;
  for (const auto& [t, c] : counts)
    if (c.first != c.second)
      add(fmt::format("{} stored {} time(s) ({} in the normal run)", t, c.second, c.first));
  return diff;
}

}  // namespace chorus::workflows
