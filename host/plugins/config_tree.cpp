// An instance's config block and its path lookups (config_tree.h).
#include "plugins/config_tree.h"

#include <charconv>
#include <cstring>

#include <fmt/core.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

namespace chorus::plugins {

struct ConfigTree::Doc {
  rapidjson::Document d;
};

ConfigTree::ConfigTree() : doc_(std::make_unique<Doc>()) {}
ConfigTree::~ConfigTree() = default;

Result<std::unique_ptr<ConfigTree>> ConfigTree::parse(std::string_view json,
                                                      std::string_view what) {
  std::unique_ptr<ConfigTree> t(new ConfigTree());
  const std::string text(json.empty() ? std::string_view("{}") : json);
  t->doc_->d.Parse(text.c_str(), text.size());
  if (t->doc_->d.HasParseError())
    return Status::InvalidArgument(fmt::format(
        "{}: config is not valid JSON: {} at byte {}", what,
        rapidjson::GetParseError_En(t->doc_->d.GetParseError()), t->doc_->d.GetErrorOffset()));
  if (!t->doc_->d.IsObject())
    return Status::InvalidArgument(fmt::format("{}: config must be a JSON object", what));
  return t;
}

Status ConfigTree::lookup(std::string_view path, chorus_config_value& out) const {
  const rapidjson::Value* v = &doc_->d;
  std::string_view rest = path;
  while (!rest.empty()) {
    const size_t dot = rest.find('.');
    const std::string_view key = rest.substr(0, dot);
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    if (v->IsObject()) {
      auto it = v->FindMember(rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
      v = it == v->MemberEnd() ? nullptr : &it->value;
    } else if (v->IsArray()) {
      size_t index = 0;
      auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
      v = (ec == std::errc() && p == key.data() + key.size() && index < v->Size())
              ? &(*v)[static_cast<rapidjson::SizeType>(index)]
              : nullptr;
    } else {
      v = nullptr;
    }
    if (!v) break;
  }
  chorus_config_value r{};
  r.struct_size = sizeof(r);
  if (!v) {
    r.kind = CHORUS_CONFIG_MISSING;
  } else if (v->IsNull()) {
    r.kind = CHORUS_CONFIG_NULL;
  } else if (v->IsBool()) {
    r.kind = CHORUS_CONFIG_BOOL;
    r.number = v->GetBool() ? 1 : 0;
  } else if (v->IsNumber()) {
    r.kind = CHORUS_CONFIG_NUMBER;
    r.number = v->GetDouble();
  } else if (v->IsString()) {
    r.kind = CHORUS_CONFIG_STRING;
    r.string = {v->GetString(), v->GetStringLength()};
  } else if (v->IsArray()) {
    r.kind = CHORUS_CONFIG_ARRAY;
    r.count = v->Size();
  } else {
    r.kind = CHORUS_CONFIG_OBJECT;
    r.count = v->MemberCount();
  }
  const uint32_t n = out.struct_size < sizeof(r) ? out.struct_size : sizeof(r);
  const uint32_t keep = out.struct_size;
  std::memcpy(&out, &r, n);
  out.struct_size = keep;
  if (!v) return Status::NotFound(fmt::format("config has no '{}'", path));
  return Status::OK();
}

}  // namespace chorus::plugins
