// YAML -> JSON for free-form configuration blocks, written with RapidJSON.
#include "config/yaml_json.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace chorus::config {
namespace {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

constexpr int kMaxDepth = 32;

// The JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(const std::string& s) {
  size_t i = 0;
  auto digits = [&] {
    const size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9')
      ++i;
    return i > start;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

class Converter {
 public:
  Converter(const EnvLookup& env, Writer& w) : env_(env), w_(w) {}
  Status error;
  YAML::Mark mark;

  bool value(const YAML::Node& n, int depth = 0) {
    if (depth > kMaxDepth)
      return fail(n.Mark(), "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    switch (n.Type()) {
      case YAML::NodeType::Map:
        w_.StartObject();
        for (auto it = n.begin(); it != n.end(); ++it) {
          const YAML::Node k = it->first;
          if (!k.IsScalar())
            return fail(k.Mark(), "a key must be a plain name, not a list or mapping");
          std::string key;
          if (!text(k, key)) return false;
          w_.Key(key.c_str(), static_cast<rapidjson::SizeType>(key.size()));
          if (!value(it->second, depth + 1)) return false;
        }
        w_.EndObject();
        return true;
      case YAML::NodeType::Sequence:
        w_.StartArray();
        for (size_t i = 0; i < n.size(); ++i)
          if (!value(n[i], depth + 1)) return false;
        w_.EndArray();
        return true;
      case YAML::NodeType::Scalar:
        return scalar(n);
      default:
        w_.Null();
        return true;
    }
  }

 private:
  bool fail(const YAML::Mark& m, std::string what) {
    error = Status::InvalidArgument(std::move(what));
    mark = m;
    return false;
  }

  bool text(const YAML::Node& n, std::string& out) {
    auto sub = substitute_env(n.Scalar(), env_);
    if (!sub.ok()) return fail(n.Mark(), sub.error().message());
    out = std::move(*sub);
    return true;
  }

  bool scalar(const YAML::Node& n) {
    std::string s;
    if (!text(n, s)) return false;
    if (n.Tag() != "!") {  // a plain (unquoted) scalar
      if (s == "true" || s == "True" || s == "TRUE") return w_.Bool(true);
      if (s == "false" || s == "False" || s == "FALSE") return w_.Bool(false);
      if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return w_.Null();
      if (is_json_number(s)) return w_.RawValue(s.c_str(), s.size(), rapidjson::kNumberType);
    }
    w_.String(s.c_str(), static_cast<rapidjson::SizeType>(s.size()));
    return true;
  }

  const EnvLookup& env_;
  Writer& w_;
};

}  // namespace

Result<std::string> yaml_to_json(const YAML::Node& node, const EnvLookup& env,
                                 YAML::Mark* error_mark) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  Converter c(env, w);
  if (!c.value(node)) {
    if (error_mark) *error_mark = c.mark;
    return c.error;
  }
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace chorus::config
