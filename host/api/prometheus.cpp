// The Prometheus text format 0.0.4 (prometheus.h).
#include "api/prometheus.h"

#include <cmath>

#include <fmt/core.h>

namespace chorus::api {
namespace {

std::string_view type_name(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kSummary:
      return "summary";
  }
  return "untyped";
}

// HELP text: backslash and newline escaped.
void append_help(std::string& out, std::string_view s) {
  for (const char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
}

// Label values: backslash, double quote and newline escaped.
void append_label_value(std::string& out, std::string_view s) {
  for (const char c : s) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out.push_back(c);
  }
}

std::string format_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

}  // namespace

bool valid_metric_name(std::string_view n) noexcept {
  if (n.empty()) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

bool valid_label_name(std::string_view n) noexcept {
  if (n.empty() || n.starts_with("__")) return false;
  for (size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

const std::vector<double>& latency_buckets_seconds() {
  static const std::vector<double> kBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                              0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                              1,      2.5,     5,      10};
  return kBounds;
}

bool MetricsWriter::family(std::string_view name, MetricType type, std::string_view help) {
  name_.clear();
  if (!valid_metric_name(name) || !seen_.emplace(name).second) {
    skipped_.emplace_back(name);
    return false;
  }
  name_.assign(name);
  type_ = type;
  out_ += "# HELP ";
  out_ += name;
  out_.push_back(' ');
  append_help(out_, help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_.push_back(' ');
  out_ += type_name(type);
  out_.push_back('\n');
  return true;
}

void MetricsWriter::line(std::string_view suffix, const Label* labels, size_t n, const Label* extra,
                         std::string_view value) {
  out_ += name_;
  out_ += suffix;
  bool any = false;
  auto label = [&](const Label& l) {
    if (!valid_label_name(l.name)) return;
    out_.push_back(any ? ',' : '{');
    any = true;
    out_ += l.name;
    out_ += "=\"";
    append_label_value(out_, l.value);
    out_.push_back('"');
  };
  for (size_t i = 0; i < n; ++i)
    label(labels[i]);
  if (extra) label(*extra);
  if (any) out_.push_back('}');
  out_.push_back(' ');
  out_ += value;
  out_.push_back('\n');
}

void MetricsWriter::sample(double value, Labels labels) {
  if (!scalar_family()) return;
  line("", labels.begin(), labels.size(), nullptr, format_double(value));
}

void MetricsWriter::sample(uint64_t value, Labels labels) {
  if (!scalar_family()) return;
  line("", labels.begin(), labels.size(), nullptr, fmt::format("{}", value));
}

void MetricsWriter::sample(double value, const std::vector<Label>& labels) {
  if (!scalar_family()) return;
  line("", labels.data(), labels.size(), nullptr, format_double(value));
}

void MetricsWriter::sample(uint64_t value, const std::vector<Label>& labels) {
  if (!scalar_family()) return;
  line("", labels.data(), labels.size(), nullptr, fmt::format("{}", value));
}

void MetricsWriter::histogram(const HistogramData& h, Labels labels) {
  if (name_.empty() || type_ != MetricType::kHistogram || h.counts.size() != h.bounds.size() + 1)
    return;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    const std::string le = format_double(h.bounds[i]);
    const Label l{"le", le};
    line("_bucket", labels.begin(), labels.size(), &l, fmt::format("{}", cumulative));
  }
  cumulative += h.counts.back();
  const Label inf{"le", "+Inf"};
  line("_bucket", labels.begin(), labels.size(), &inf, fmt::format("{}", cumulative));
  line("_sum", labels.begin(), labels.size(), nullptr, format_double(h.sum));
  line("_count", labels.begin(), labels.size(), nullptr, fmt::format("{}", cumulative));
}

void MetricsWriter::summary(std::initializer_list<Quantile> quantiles, double sum, uint64_t count,
                            Labels labels) {
  if (name_.empty() || type_ != MetricType::kSummary) return;
  for (const Quantile& q : quantiles) {
    const std::string qs = format_double(q.q);
    const Label l{"quantile", qs};
    line("", labels.begin(), labels.size(), &l, format_double(q.value));
  }
  line("_sum", labels.begin(), labels.size(), nullptr, format_double(sum));
  line("_count", labels.begin(), labels.size(), nullptr, fmt::format("{}", count));
}

}  // namespace chorus::api
