// MapReader: typed reads from a YAML mapping with positions in every error.
#include "config/yaml_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <fmt/core.h>

#include "config/yaml_json.h"
#include "core/text.h"
#include "core/units.h"

namespace chorus::config {
namespace {

std::string_view kind_name(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    default:
      return "nothing";
  }
}

bool valid_mark(const YAML::Mark& m) {
  return m.line >= 0 && m.column >= 0;
}

}  // namespace

void ReadContext::error(const YAML::Mark& mark, std::string path, std::string message) {
  ConfigError e;
  e.file = file;
  if (valid_mark(mark)) {
    e.line = mark.line + 1;
    e.column = mark.column + 1;
  }
  e.path = std::move(path);
  e.message = std::move(message);
  errors.errors.push_back(std::move(e));
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

MapReader::MapReader(ReadContext& ctx, YAML::Node node, std::string path, YAML::Mark parent_mark)
    : ctx_(&ctx), node_(std::move(node)), path_(std::move(path)), mark_(parent_mark) {
  if (valid_mark(node_.Mark())) mark_ = node_.Mark();
  if (!node_.IsDefined() || node_.IsNull()) {
    node_ = YAML::Node(YAML::NodeType::Map);
    return;
  }
  if (!node_.IsMap()) {
    ctx_->error(mark_, path_,
                fmt::format("expected a mapping (key: value lines), got {}", kind_name(node_)));
    valid_ = false;
    return;
  }
  // Keys must be scalars and unique.
  std::vector<std::pair<std::string, int>> seen;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    const YAML::Node k = it->first;  // a copy: it-> returns a temporary proxy
    if (!k.IsScalar()) {
      ctx_->error(k.Mark(), path_, "a key must be a plain name, not a list or mapping");
      continue;
    }
    auto dup = std::find_if(seen.begin(), seen.end(),
                            [&](const auto& s) { return s.first == k.Scalar(); });
    if (dup != seen.end()) {
      ctx_->error(k.Mark(), child_path(k.Scalar()),
                  fmt::format("duplicate key (first given on line {})", dup->second));
    } else {
      seen.emplace_back(k.Scalar(), k.Mark().line + 1);
    }
  }
}

std::string MapReader::child_path(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  return path_ + "." + std::string(key);
}

bool MapReader::has(std::string_view key) const {
  if (!valid_) return false;
  for (auto it = node_.begin(); it != node_.end(); ++it)
    if (it->first.IsScalar() && it->first.Scalar() == key) return true;
  return false;
}

YAML::Node MapReader::find(std::string_view key, YAML::Mark* mark) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  if (!valid_) return YAML::Node(YAML::NodeType::Undefined);
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (it->first.IsScalar() && it->first.Scalar() == key) {
      if (mark)
        *mark = valid_mark(it->second.Mark()) && !it->second.IsNull() ? it->second.Mark()
                                                                      : it->first.Mark();
      return it->second;
    }
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Mark MapReader::mark_of(std::string_view key) const {
  if (valid_ && !key.empty()) {
    for (auto it = node_.begin(); it != node_.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == key)
        return valid_mark(it->second.Mark()) && !it->second.IsNull() ? it->second.Mark()
                                                                     : it->first.Mark();
    }
  }
  return mark_;
}

void MapReader::bad_value(std::string_view key, std::string message) {
  ctx_->error(mark_of(key), key.empty() ? path_ : child_path(key), std::move(message));
}

bool MapReader::scalar(std::string_view key, std::string& out, std::string_view expected) {
  YAML::Mark mark;
  YAML::Node n = find(key, &mark);
  if (!n.IsDefined()) return false;
  if (!n.IsScalar()) {
    ctx_->error(mark, child_path(key), fmt::format("has {} (expected {})", kind_name(n), expected));
    return false;
  }
  auto sub = substitute_env(n.Scalar(), ctx_->env);
  if (!sub.ok()) {
    ctx_->error(mark, child_path(key), sub.error().message());
    return false;
  }
  out = std::move(*sub);
  ctx_->settings[child_path(key)] = out;
  return true;
}

bool MapReader::string(std::string_view key, std::string& out, const Check& check) {
  std::string v;
  if (!scalar(key, v, "a string")) return false;
  if (check) {
    std::string why = check(v);
    if (!why.empty()) {
      bad_value(key, std::move(why));
      return false;
    }
  }
  out = std::move(v);
  return true;
}

void MapReader::boolean(std::string_view key, bool& out) {
  std::string v;
  if (!scalar(key, v, "true or false")) return;
  if (v == "true") {
    out = true;
  } else if (v == "false") {
    out = false;
  } else {
    bad_value(key, fmt::format("'{}' is not a boolean (expected true or false)", printable(v)));
  }
}

void MapReader::integer(std::string_view key, int64_t& out, int64_t min, int64_t max) {
  std::string v;
  const std::string expected = fmt::format("an integer from {} to {}", min, max);
  if (!scalar(key, v, expected)) return;
  int64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty()) {
    bad_value(key, fmt::format("'{}' is not an integer (expected {})", printable(v), expected));
    return;
  }
  if (x < min || x > max) {
    bad_value(key, fmt::format("{} is out of range (expected {})", x, expected));
    return;
  }
  out = x;
}

void MapReader::number(std::string_view key, double& out, double min, double max) {
  std::string v;
  const std::string expected = fmt::format("a number from {} to {}", min, max);
  if (!scalar(key, v, expected)) return;
  double x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || v.empty() || !std::isfinite(x)) {
    bad_value(key, fmt::format("'{}' is not a number (expected {})", printable(v), expected));
    return;
  }
  if (x < min || x > max) {
    bad_value(key, fmt::format("{} is out of range (expected {})", v, expected));
    return;
  }
  out = x;
}

bool MapReader::duration_us(std::string_view key, int64_t& out_us, int64_t min_us, int64_t max_us,
                            std::string_view unit, int64_t scale_us) {
  std::string v;
  const std::string expected = fmt::format(
      "a duration from {}{} to {}{}, like {}", min_us / scale_us, unit, max_us / scale_us, unit,
      scale_us == 1 ? "50us, 2ms or 1s" : "500ms, 5s, 2m or 1h");
  if (!scalar(key, v, expected)) return false;
  const auto d = parse_duration(v);
  if (!d) {
    bad_value(key, fmt::format("'{}' is not a duration (expected {})", printable(v), expected));
    return false;
  }
  const int64_t us = (d->count() + 500) / 1000;
  if (us < min_us || us > max_us) {
    bad_value(key, fmt::format("{} is out of range (expected {})", v, expected));
    return false;
  }
  out_us = us;
  return true;
}

void MapReader::duration(std::string_view key, std::chrono::milliseconds& out,
                         std::chrono::milliseconds min, std::chrono::milliseconds max) {
  int64_t us = 0;
  if (duration_us(key, us, min.count() * 1000, max.count() * 1000, "ms", 1000))
    out = std::chrono::milliseconds((us + 500) / 1000);
}

void MapReader::duration(std::string_view key, std::chrono::microseconds& out,
                         std::chrono::microseconds min, std::chrono::microseconds max) {
  int64_t us = 0;
  if (duration_us(key, us, min.count(), max.count(), "us", 1)) out = std::chrono::microseconds(us);
}

void MapReader::bytes(std::string_view key, uint64_t& out, uint64_t min, uint64_t max) {
  std::string v;
  const std::string expected =
      fmt::format("a size from {} to {} bytes, like 65536, 512KiB, 64MiB or 1GiB", min, max);
  if (!scalar(key, v, expected)) return;
  const auto x = parse_byte_size(v);
  if (!x) {
    bad_value(key, fmt::format("'{}' is not a size (expected {})", printable(v), expected));
    return;
  }
  if (*x > max || *x < min) {
    bad_value(key, fmt::format("{} is out of range (expected {})", v, expected));
    return;
  }
  out = *x;
}

void MapReader::string_list(std::string_view key, std::vector<std::string>& out,
                            const Check& check) {
  YAML::Mark mark;
  YAML::Node n = find(key, &mark);
  if (!n.IsDefined()) return;
  if (n.IsNull()) {
    out.clear();
    return;
  }
  if (!n.IsSequence()) {
    ctx_->error(mark, child_path(key),
                fmt::format("has {} (expected a list of strings)", kind_name(n)));
    return;
  }
  std::vector<std::string> result;
  bool ok = true;
  for (size_t i = 0; i < n.size(); ++i) {
    const YAML::Node item = n[i];
    const std::string item_path = fmt::format("{}[{}]", child_path(key), i);
    if (!item.IsScalar()) {
      ctx_->error(item.Mark(), item_path,
                  fmt::format("has {} (expected a string)", kind_name(item)));
      ok = false;
      continue;
    }
    auto sub = substitute_env(item.Scalar(), ctx_->env);
    if (!sub.ok()) {
      ctx_->error(item.Mark(), item_path, sub.error().message());
      ok = false;
      continue;
    }
    if (check) {
      std::string why = check(*sub);
      if (!why.empty()) {
        ctx_->error(item.Mark(), item_path, std::move(why));
        ok = false;
        continue;
      }
    }
    result.push_back(std::move(*sub));
  }
  if (!ok) return;
  std::string text = "[";
  for (size_t i = 0; i < result.size(); ++i)
    text += (i ? ", " : "") + result[i];
  ctx_->settings[child_path(key)] = text + "]";
  out = std::move(result);
}

std::optional<MapReader> MapReader::map(std::string_view key) {
  YAML::Mark mark;
  YAML::Node n = find(key, &mark);
  if (!n.IsDefined()) return std::nullopt;
  return MapReader(*ctx_, n, child_path(key), mark);
}

void MapReader::each_map(std::string_view key,
                         const std::function<void(const std::string&, MapReader&)>& fn) {
  auto outer = map(key);
  if (!outer || !outer->valid_) return;
  for (auto it = outer->node_.begin(); it != outer->node_.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const std::string name = it->first.Scalar();
    outer->known_.push_back(name);
    MapReader inner(*ctx_, it->second, outer->child_path(name), it->first.Mark());
    fn(name, inner);
  }
}

void MapReader::each_string(std::string_view key,
                            const std::function<void(const std::string&, const std::string&)>& fn,
                            const Check& check) {
  auto outer = map(key);
  if (!outer || !outer->valid_) return;
  std::vector<std::string> names;
  for (auto it = outer->node_.begin(); it != outer->node_.end(); ++it)
    if (it->first.IsScalar()) names.push_back(it->first.Scalar());
  for (const std::string& name : names) {
    std::string value;
    if (outer->string(name, value, check)) fn(name, value);
  }
}

std::string MapReader::join_names(const std::vector<std::string_view>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

std::string MapReader::fmt_unknown_choice(const std::string& value,
                                          const std::vector<std::string_view>& names) {
  return fmt::format("'{}' is not valid (expected {})", printable(value), join_names(names));
}

std::string MapReader::origin(std::string_view key) const {
  const YAML::Mark m = mark_of(key);
  const std::string where = key.empty() ? path_ : child_path(key);
  if (!valid_mark(m)) return fmt::format("{}: {}", ctx_->file, where);
  return fmt::format("{}:{}:{}: {}", ctx_->file, m.line + 1, m.column + 1, where);
}

void MapReader::strings(std::string_view key, std::vector<std::string>& out, const Check& check) {
  YAML::Mark mark;
  YAML::Node n = find(key, &mark);
  if (!n.IsDefined()) return;
  if (!n.IsScalar()) {
    string_list(key, out, check);
    return;
  }
  std::string v;
  if (!string(key, v, check)) return;
  out = {std::move(v)};
}

void MapReader::each_item(std::string_view key, const std::function<void(size_t, MapReader&)>& fn) {
  YAML::Mark mark;
  YAML::Node n = find(key, &mark);
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsSequence()) {
    ctx_->error(mark, child_path(key),
                fmt::format("has {} (expected a list of mappings)", kind_name(n)));
    return;
  }
  for (size_t i = 0; i < n.size(); ++i) {
    const YAML::Node item = n[i];
    const std::string item_path = fmt::format("{}[{}]", child_path(key), i);
    if (!item.IsMap()) {
      ctx_->error(item.Mark(), item_path,
                  fmt::format("has {} (expected a mapping)", kind_name(item)));
      continue;
    }
    MapReader r(*ctx_, item, item_path, item.Mark());
    fn(i, r);
  }
}

bool MapReader::json(std::string_view key, std::string& out) {
  YAML::Mark mark;
  YAML::Node n = find(key, &mark);
  if (!n.IsDefined()) return false;
  YAML::Mark at;
  auto j = yaml_to_json(n, ctx_->env, &at);
  if (!j.ok()) {
    ctx_->error(valid_mark(at) ? at : mark, child_path(key), j.error().message());
    return false;
  }
  out = std::move(*j);
  ctx_->settings[child_path(key)] = out;
  return true;
}

void MapReader::note(std::string value) {
  ctx_->settings[path_] = std::move(value);
}

void MapReader::finish() {
  if (!valid_) return;
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const std::string k = it->first.Scalar();
    if (std::find(known_.begin(), known_.end(), k) != known_.end()) continue;
    std::string msg = "unknown key";
    if (known_.empty()) {
      msg += " (this section takes no keys)";
    } else {
      std::vector<std::string_view> names(known_.begin(), known_.end());
      msg += " (expected " + join_names(names);
      std::string_view best;
      size_t best_d = 3;  // suggest only close matches
      for (const auto& cand : known_) {
        const size_t d = edit_distance(k, cand);
        if (d < best_d) {
          best_d = d;
          best = cand;
        }
      }
      if (!best.empty()) msg += fmt::format("; did you mean '{}'?", best);
      msg += ")";
    }
    ctx_->error(it->first.Mark(), child_path(k), std::move(msg));
  }
}

}  // namespace chorus::config
