// Allowed topic patterns per plugin (pattern_policy.h).
#include "plugins/pattern_policy.h"

#include <fmt/core.h>

#include "core/topic.h"

namespace chorus::plugins {
namespace {

std::string list_text(const std::optional<std::vector<std::string>>& l) {
  if (!l) return "any";
  std::string out = "[";
  for (size_t i = 0; i < l->size(); ++i)
    out += (i ? ", " : "") + (*l)[i];
  return out + "]";
}

}  // namespace

bool pattern_covers(std::string_view outer, std::string_view inner) noexcept {
  const TopicSegments o(outer), in(inner);
  if (o.count() == 0 || in.count() == 0) return false;
  for (size_t i = 0; i < o.count(); ++i) {
    if (o[i] == "**") return i < in.count();  // covers one or more remaining segments
    if (i >= in.count()) return false;
    if (in[i] == "**") return false;  // only `**` covers `**`
    if (o[i] == "*") continue;        // covers a literal or `*`
    if (in[i] != o[i]) return false;  // a literal covers only itself
  }
  return o.count() == in.count();
}

Result<PatternPolicy> PatternPolicy::make(std::optional<std::vector<std::string>> publish,
                                          std::optional<std::vector<std::string>> subscribe) {
  for (const auto* list : {&publish, &subscribe}) {
    if (!*list) continue;
    for (const std::string& p : **list)
      CHORUS_RETURN_IF_ERROR(validate_pattern(
          p, list == &publish ? "allowed publish pattern" : "allowed subscribe pattern"));
  }
  PatternPolicy policy;
  policy.publish_ = std::move(publish);
  policy.subscribe_ = std::move(subscribe);
  return policy;
}

bool PatternPolicy::may_publish(std::string_view type) const noexcept {
  if (!publish_) return true;
  for (const std::string& p : *publish_)
    if (topic_matches(p, type)) return true;
  return false;
}

bool PatternPolicy::may_subscribe(std::string_view pattern) const noexcept {
  if (!subscribe_) return true;
  for (const std::string& p : *subscribe_)
    if (pattern_covers(p, pattern)) return true;
  return false;
}

bool PatternPolicy::may_read(std::string_view type) const noexcept {
  if (!subscribe_) return true;
  for (const std::string& p : *subscribe_)
    if (topic_matches(p, type)) return true;
  return false;
}

std::string PatternPolicy::publish_text() const {
  return list_text(publish_);
}

std::string PatternPolicy::subscribe_text() const {
  return list_text(subscribe_);
}

}  // namespace chorus::plugins
