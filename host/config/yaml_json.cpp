// MapReader::json: a free-form YAML value as JSON text (yaml_reader.h), for
// blocks the host passes on without knowing their keys (a plugin's config).
#include <charconv>
#include <cmath>

#include <fmt/core.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "config/yaml_reader.h"

namespace chorus::config {
namespace {

constexpr int kMaxDepth = 32;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

bool is_null_word(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// YAML 1.2 core-schema numbers: an integer or a decimal float.
bool plain_number(const std::string& s, Writer& w) {
  if (s.empty()) return false;
  int64_t i = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
  if (ec == std::errc() && p == s.data() + s.size()) {
    w.Int64(i);
    return true;
  }
  if (s.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
  double d = 0;
  auto [q, ec2] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec2 != std::errc() || q != s.data() + s.size() || !std::isfinite(d)) return false;
  w.Double(d);
  return true;
}

struct Converter {
  ReadContext& ctx;
  Writer& w;
  bool ok = true;

  void node(const YAML::Node& n, const std::string& path, int depth) {
    if (depth > kMaxDepth) {
      ctx.error(n.Mark(), path, fmt::format("nested deeper than {} levels", kMaxDepth));
      ok = false;
      return;
    }
    switch (n.Type()) {
      case YAML::NodeType::Map:
        w.StartObject();
        for (auto it = n.begin(); it != n.end(); ++it) {
          const YAML::Node k = it->first;
          if (!k.IsScalar()) {
            ctx.error(k.Mark(), path, "a key must be a plain name, not a list or mapping");
            ok = false;
            continue;
          }
          w.Key(k.Scalar().c_str(), static_cast<rapidjson::SizeType>(k.Scalar().size()));
          node(it->second, path + "." + k.Scalar(), depth + 1);
        }
        w.EndObject();
        break;
      case YAML::NodeType::Sequence:
        w.StartArray();
        for (size_t i = 0; i < n.size(); ++i)
          node(n[i], fmt::format("{}[{}]", path, i), depth + 1);
        w.EndArray();
        break;
      case YAML::NodeType::Scalar: {
        auto text = substitute_env(n.Scalar(), ctx.env);
        if (!text.ok()) {
          ctx.error(n.Mark(), path, text.error().message());
          ok = false;
          w.Null();
          break;
        }
        const bool quoted = n.Tag() == "!";
        if (!quoted && is_null_word(*text)) {
          w.Null();
        } else if (!quoted && (*text == "true" || *text == "false")) {
          w.Bool(*text == "true");
        } else if (quoted || !plain_number(*text, w)) {
          w.String(text->c_str(), static_cast<rapidjson::SizeType>(text->size()));
        }
        break;
      }
      default:
        w.Null();
    }
  }
};

}  // namespace

bool MapReader::json(std::string_view key, std::string& out) {
  YAML::Mark mark;
  YAML::Node n = find(key, &mark);
  if (!n.IsDefined()) return false;
  rapidjson::StringBuffer buf;
  Writer w(buf);
  Converter c{*ctx_, w};
  c.node(n, child_path(key), 0);
  if (!c.ok) return false;
  out.assign(buf.GetString(), buf.GetSize());
  ctx_->settings[child_path(key)] = out;
  return true;
}

}  // namespace chorus::config
