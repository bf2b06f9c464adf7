// MapReader: reads one YAML mapping into a typed struct, recording an error
// with file:line:col and key path for every wrong, missing-typed or unknown
// key, and substituting ${VAR} in scalars. Config sections are written with it:
//
//   void parse_log_section(MapReader& r, LogSection& out) {
//     r.one_of("level", out.level, {{"info", Level::kInfo}, ...});
//     r.finish();  // reports keys nobody read
//   }
//
// A reader never throws; on a bad value it records the error and leaves the
// output at its default, so one pass reports every error in the file.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config_error.h"
#include "config/env_subst.h"

namespace chorus::config {

// Shared by every reader of one file.
struct ReadContext {
  std::string file;
  EnvLookup env;
  ConfigErrors errors;
  // Every value read, by key path (Config::settings).
  std::map<std::string, std::string> settings;

  void error(const YAML::Mark& mark, std::string path, std::string message);
};

// Returns an error message for a bad value, or "" when it is fine.
using Check = std::function<std::string(const std::string&)>;

class MapReader {
 public:
  // `node` must be a map (or null, treated as empty); otherwise an error is
  // recorded and every read finds nothing.
  MapReader(ReadContext& ctx, YAML::Node node, std::string path, YAML::Mark parent_mark = {});

  const std::string& path() const { return path_; }
  bool has(std::string_view key) const;

  // Returns true when the key was present and its value was stored.
  bool string(std::string_view key, std::string& out, const Check& check = {});
  void boolean(std::string_view key, bool& out);
  void integer(std::string_view key, int64_t& out, int64_t min, int64_t max);
  template <typename Int>
  void integer(std::string_view key, Int& out, int64_t min, int64_t max) {
    int64_t v = static_cast<int64_t>(out);
    integer(key, v, min, max);
    out = static_cast<Int>(v);
  }
  void number(std::string_view key, double& out, double min, double max);
  // "250ms", "5s", "2m", "1h", "50us"; bounds inclusive. A value finer than
  // the output's unit is rounded to it.
  void duration(std::string_view key, std::chrono::milliseconds& out, std::chrono::milliseconds min,
                std::chrono::milliseconds max);
  void duration(std::string_view key, std::chrono::microseconds& out, std::chrono::microseconds min,
                std::chrono::microseconds max);
  // "1048576", "512KiB", "64MiB", "1GiB", "10MB"; bounds inclusive.
  void bytes(std::string_view key, uint64_t& out, uint64_t min, uint64_t max);
  template <typename E>
  void one_of(std::string_view key, E& out,
              std::initializer_list<std::pair<std::string_view, E>> choices) {
    std::string text;
    std::vector<std::string_view> names;
    for (const auto& c : choices)
      names.push_back(c.first);
    if (!scalar(key, text, join_names(names))) return;
    for (const auto& c : choices) {
      if (c.first == text) {
        out = c.second;
        return;
      }
    }
    bad_value(key, fmt_unknown_choice(text, names));
  }
  // A list of scalars.
  void string_list(std::string_view key, std::vector<std::string>& out, const Check& check = {});

  // A nested mapping; std::nullopt (and no error) when the key is absent.
  std::optional<MapReader> map(std::string_view key);
  // Calls fn(key, reader) for each entry of a mapping whose keys are user
  // names (e.g. per-plugin blocks); errors name "path.key".
  void each_map(std::string_view key,
                const std::function<void(const std::string&, MapReader&)>& fn);

  // Calls fn(key, value) for each entry of a mapping whose keys are user
  // names and whose values are strings (e.g. metadata); errors name
  // "path.key". Values failing `check` are reported and skipped.
  void each_string(std::string_view key,
                   const std::function<void(const std::string&, const std::string&)>& fn,
                   const Check& check = {});

  // Records an error at `key` (or at this map when key is empty).
  void bad_value(std::string_view key, std::string message);

  // ---- added for the `scripts:` section ----

  // "file:line:col: path" of this mapping (or of `key` in it), for errors
  // that are found later, outside the config module (a script's function
  // named here does not exist).
  std::string origin(std::string_view key = {}) const;
  // A string or a list of strings ("on: a.*" or "on: [a.*, b.*]").
  void strings(std::string_view key, std::vector<std::string>& out, const Check& check = {});
  // Calls fn(index, reader) for each item of a list of mappings; errors name
  // "path.key[i]".
  void each_item(std::string_view key, const std::function<void(size_t, MapReader&)>& fn);
  // Any YAML value (a free-form block: a script's or a plugin's `config:`)
  // as compact JSON text (yaml_json.h): mappings become objects, lists
  // arrays; plain scalars that read as true/false, null/~ or numbers become
  // those, everything else (and every quoted scalar) strings; nested at most
  // 32 deep. ${VAR} is substituted in scalars. Returns true when the key was
  // present and converted.
  bool json(std::string_view key, std::string& out);
  // Records this mapping itself in the settings (as `value`), so that a
  // reload sees an entry appear or go even when it sets no key.
  void note(std::string value);

  // Records "unknown key" for every key not read above, with the list of
  // known keys and a did-you-mean hint. Call once, after all reads.
  void finish();

 private:
  // Finds `key`, substitutes the environment and returns its text. Records
  // an error (expecting `expected`) when the node is not a scalar.
  bool scalar(std::string_view key, std::string& out, std::string_view expected);
  // Reads a duration in microseconds within [min_us, max_us]; `unit` and
  // `scale_us` name and size the unit of the messages' bounds.
  bool duration_us(std::string_view key, int64_t& out_us, int64_t min_us, int64_t max_us,
                   std::string_view unit, int64_t scale_us);
  YAML::Node find(std::string_view key, YAML::Mark* mark);
  YAML::Mark mark_of(std::string_view key) const;
  std::string child_path(std::string_view key) const;
  static std::string join_names(const std::vector<std::string_view>& names);
  static std::string fmt_unknown_choice(const std::string& value,
                                        const std::vector<std::string_view>& names);

  ReadContext* ctx_;
  YAML::Node node_;
  std::string path_;
  YAML::Mark mark_;
  bool valid_ = true;
  std::vector<std::string> known_;  // keys asked for, in order
};

// Edit distance, for did-you-mean hints.
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace chorus::config
