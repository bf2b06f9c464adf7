// Parsing of the `store:` section (keys in docs/config.md "store").
#include "config/store_section.h"

#include <fmt/core.h>

#include "config/yaml_reader.h"
#include "core/text.h"
#include "core/topic.h"

namespace chorus::config {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kHundredYears{100LL * 365 * 24 * 3'600'000};

std::string check_persist_pattern(const std::string& v) {
  Status s = validate_pattern(v, "persist pattern");
  return s.ok() ? std::string() : s.message();
}

}  // namespace

void parse_store_section(MapReader& r, StoreSection& out) {
  r.one_of("durability", out.durability,
           {{"always", StoreDurability::kAlways},
            {"interval", StoreDurability::kInterval},
            {"none", StoreDurability::kNone}});
  r.duration("sync_interval", out.sync_interval, milliseconds(1), milliseconds(10'000));
  r.string_list("persist", out.persist, check_persist_pattern);

  if (auto map = r.map("map")) {
    map->bytes("initial", out.map_initial, 1ull << 20, 1ull << 44);
    map->bytes("max", out.map_max, 1ull << 20, 1ull << 44);
    map->bytes("growth", out.map_growth, 1ull << 20, 1ull << 40);
    if (out.map_max < out.map_initial)
      map->bad_value("max", fmt::format("{} bytes is below store.map.initial ({} bytes)",
                                        out.map_max, out.map_initial));
    map->finish();
  }

  if (auto ret = r.map("retention")) {
    ret->duration("interval", out.retention_interval, milliseconds(0), milliseconds(86'400'000));
    ret->integer("batch", out.retention_batch, 1, 100'000);
    std::vector<StoreRetentionRule> rules;
    ret->each_map("rules", [&](const std::string& pattern, MapReader& rule) {
      StoreRetentionRule rr;
      rr.pattern = pattern;
      if (pattern.empty() || pattern.size() > 255) {
        rule.bad_value("", "a rule's pattern must be 1 to 255 bytes");
        rule.finish();
        return;
      }
      rule.duration("max_age", rr.max_age, milliseconds(0), kHundredYears);
      rule.integer("max_count", rr.max_count, 0, INT64_MAX);
      if (!rule.has("max_age") && !rule.has("max_count"))
        rule.bad_value("", "sets neither max_age nor max_count (expected at least one)");
      rule.finish();
      rules.push_back(std::move(rr));
    });
    out.retention = std::move(rules);
    ret->finish();
  }

  if (auto groups = r.map("groups")) {
    groups->duration("ack_timeout", out.group_ack_timeout, milliseconds(0),
                     milliseconds(86'400'000));
    groups->integer("max_deliveries", out.group_max_deliveries, 0, 1'000'000);
    groups->finish();
  }
  r.finish();
}

}  // namespace chorus::config
