// The Prometheus text checker (prom_check.h).
#include "prom_check.h"

#include <cmath>
#include <set>
#include <sstream>

namespace chorus::test {
namespace {

bool name_char(char c, bool first) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
         (!first && c >= '0' && c <= '9');
}

bool parse_value(const std::string& s, double& out) {
  if (s == "+Inf") {
    out = INFINITY;
    return true;
  }
  if (s == "-Inf") {
    out = -INFINITY;
    return true;
  }
  if (s == "NaN") {
    out = NAN;
    return true;
  }
  try {
    size_t used = 0;
    out = std::stod(s, &used);
    return used == s.size();
  } catch (...) {
    return false;
  }
}

// The family a sample name belongs to, given the declared types.
std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  if (types.count(name)) return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary") &&
          !(s == "_bucket" && it->second == "summary"))
        return base;
    }
  }
  return {};
}

}  // namespace

double PromDoc::value(const std::string& name,
                      const std::map<std::string, std::string>& labels) const {
  for (const PromSample& s : samples)
    if (s.name == name && s.labels == labels) return s.value;
  return NAN;
}

PromDoc parse_prometheus(const std::string& text) {
  PromDoc doc;
  std::set<std::string> helped, finished;
  std::string current;  // family whose lines we are in
  auto problem = [&](const std::string& p) { doc.problems.push_back(p); };
  auto enter = [&](const std::string& family, size_t line) {
    if (family == current) return;
    if (!current.empty()) finished.insert(current);
    if (finished.count(family))
      problem("line " + std::to_string(line) + ": family " + family + " is not contiguous");
    current = family;
  };
  std::istringstream in(text);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const bool help = line[2] == 'H';
      const std::string rest = line.substr(7);
      const size_t sp = rest.find(' ');
      const std::string family = rest.substr(0, sp);
      enter(family, n);
      if (help) {
        if (!helped.insert(family).second) problem("HELP twice for " + family);
      } else {
        const std::string type = sp == std::string::npos ? "" : rest.substr(sp + 1);
        if (doc.types.count(family)) problem("TYPE twice for " + family);
        if (type != "counter" && type != "gauge" && type != "histogram" && type != "summary" &&
            type != "untyped")
          problem("bad TYPE '" + type + "' for " + family);
        doc.types[family] = type;
        if (type == "counter" &&
            (family.size() < 6 || family.compare(family.size() - 6, 6, "_total") != 0))
          problem("counter " + family + " does not end in _total");
        if (family.rfind("chorus_", 0) != 0) problem("family " + family + " lacks chorus_");
      }
      continue;
    }
    if (line[0] == '#') continue;
    PromSample s;
    size_t i = 0;
    while (i < line.size() && name_char(line[i], i == 0))
      ++i;
    s.name = line.substr(0, i);
    if (s.name.empty()) {
      problem("line " + std::to_string(n) + ": no metric name");
      continue;
    }
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t k = i;
        while (k < line.size() && name_char(line[k], k == i) && line[k] != ':')
          ++k;
        const std::string key = line.substr(i, k - i);
        if (key.empty() || k + 1 >= line.size() || line[k] != '=' || line[k + 1] != '"') {
          problem("line " + std::to_string(n) + ": bad label");
          break;
        }
        std::string value;
        k += 2;
        while (k < line.size() && line[k] != '"') {
          if (line[k] == '\\' && k + 1 < line.size()) {
            const char e = line[++k];
            value.push_back(e == 'n' ? '\n' : e);
          } else {
            value.push_back(line[k]);
          }
          ++k;
        }
        if (k >= line.size()) {
          problem("line " + std::to_string(n) + ": unterminated label value");
          break;
        }
        if (s.labels.count(key)) problem("line " + std::to_string(n) + ": label twice");
        s.labels[key] = value;
        i = k + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') {
      problem("line " + std::to_string(n) + ": no value");
      continue;
    }
    std::string v = line.substr(i + 1);
    const size_t sp = v.find(' ');  // an optional timestamp
    if (sp != std::string::npos) v = v.substr(0, sp);
    if (!parse_value(v, s.value)) problem("line " + std::to_string(n) + ": bad value " + v);
    const std::string family = family_of(s.name, doc.types);
    if (family.empty()) {
      problem("line " + std::to_string(n) + ": sample " + s.name + " has no TYPE before it");
    } else {
      enter(family, n);
    }
    doc.samples.push_back(std::move(s));
  }

  // Histograms: per label set, ascending bounds, cumulative counts, +Inf == _count.
  for (const auto& [family, type] : doc.types) {
    if (type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> series;
    for (const PromSample& s : doc.samples) {
      if (s.name != family + "_bucket") continue;
      auto labels = s.labels;
      auto le = labels.find("le");
      if (le == labels.end()) {
        problem(family + ": bucket without le");
        continue;
      }
      double bound = 0;
      if (!parse_value(le->second, bound)) problem(family + ": bad le " + le->second);
      labels.erase(le);
      series[labels].emplace_back(bound, s.value);
    }
    if (series.empty()) problem(family + ": histogram without buckets");
    for (const auto& [labels, buckets] : series) {
      for (size_t i = 1; i < buckets.size(); ++i) {
        if (!(buckets[i].first > buckets[i - 1].first)) problem(family + ": le not ascending");
        if (buckets[i].second < buckets[i - 1].second) problem(family + ": not cumulative");
      }
      if (buckets.empty() || !std::isinf(buckets.back().first))
        problem(family + ": no +Inf bucket");
      const double count = doc.value(family + "_count", labels);
      if (std::isnan(count)) problem(family + ": no _count");
      if (std::isnan(doc.value(family + "_sum", labels))) problem(family + ": no _sum");
      if (!buckets.empty() && buckets.back().second != count)
        problem(family + ": +Inf bucket differs from _count");
    }
  }
  return doc;
}

}  // namespace chorus::test
