// MetricsWriter: the Prometheus text exposition format 0.0.4, written one
// family at a time so that each family's # HELP and # TYPE appear exactly
// once, ahead of all its samples. Histograms are written from per-bucket
// counts: the writer makes the buckets cumulative and the +Inf bucket equal
// to _count, so a collector cannot get those invariants wrong.
//
// Conventions for Chorus families (docs/api.md "Metrics"): names start with
// `chorus_`, counters end in `_total`, times are in seconds, sizes in bytes.
// The writer checks name and label syntax; a family whose name was already
// written in this document is skipped (its samples too) and reported by
// duplicates(), so one bad collector cannot make the scrape invalid.
//
// Threading: one writer per scrape; not thread-safe.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace chorus::api {

enum class MetricType { kCounter, kGauge, kHistogram, kSummary };

struct Label {
  std::string_view name;
  std::string_view value;
};
using Labels = std::initializer_list<Label>;

// One histogram's observations. counts[i] are the observations in
// (bounds[i-1], bounds[i]]; counts.back() (index bounds.size()) those above
// the last bound. Bounds ascend, in the family's unit (seconds for times).
struct HistogramData {
  std::vector<double> bounds;
  std::vector<uint64_t> counts;  // bounds.size() + 1 entries
  double sum = 0;
};

// Quantiles of a summary, e.g. {0.5, v}, {0.99, v}.
struct Quantile {
  double q;
  double value;
};

class MetricsWriter {
 public:
  // Starts family `name` and writes its HELP and TYPE lines. False when the
  // name is invalid or already written: the samples that follow, up to the
  // next family(), are dropped.
  bool family(std::string_view name, MetricType type, std::string_view help);

  // A sample of the current family, named after it (counters and gauges;
  // ignored in other families, as histogram() and summary() are outside
  // theirs).
  void sample(double value, Labels labels = {});
  void sample(uint64_t value, Labels labels = {});
  void sample(double value, const std::vector<Label>& labels);
  void sample(uint64_t value, const std::vector<Label>& labels);
  // The current family's histogram: _bucket lines (cumulative, +Inf last),
  // _sum and _count. REQUIRES: counts.size() == bounds.size() + 1.
  void histogram(const HistogramData& h, Labels labels = {});
  // The current family's summary: {quantile="q"} lines, _sum and _count.
  void summary(std::initializer_list<Quantile> quantiles, double sum, uint64_t count,
               Labels labels = {});

  // The document so far.
  const std::string& text() const noexcept { return out_; }
  std::string take() { return std::move(out_); }
  // Families skipped because their name was already written, or invalid.
  const std::vector<std::string>& duplicates() const noexcept { return skipped_; }

 private:
  // A counter or gauge family is current (sample() applies to nothing else).
  bool scalar_family() const noexcept {
    return !name_.empty() && (type_ == MetricType::kCounter || type_ == MetricType::kGauge);
  }
  void line(std::string_view suffix, const Label* labels, size_t n, const Label* extra,
            std::string_view value);

  std::string out_;
  std::string name_;  // the current family; empty while skipping
  MetricType type_ = MetricType::kGauge;
  std::unordered_set<std::string> seen_;
  std::vector<std::string> skipped_;
};

// Prometheus name rules: metric [a-zA-Z_:][a-zA-Z0-9_:]*, label
// [a-zA-Z_][a-zA-Z0-9_]* (not starting with "__").
bool valid_metric_name(std::string_view name) noexcept;
bool valid_label_name(std::string_view name) noexcept;

// Bucket bounds in seconds for request/delivery latencies: 100us to 10s.
const std::vector<double>& latency_buckets_seconds();

}  // namespace chorus::api
