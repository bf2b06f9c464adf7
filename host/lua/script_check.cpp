// check_scripts: compile and bind every configured script in check mode.
#include "lua/script_check.h"

#include <filesystem>
#include <map>
#include <memory>

#include <fmt/core.h>

#include "lua/script_version.h"
#include "lua/source_file.h"

namespace chorus::lua {
namespace {

// "host.yaml:40:9: scripts..." -> file "host.yaml", line 40.
void locate(ScriptProblem& p, const std::string& origin) {
  const auto c1 = origin.find(':');
  if (c1 == std::string::npos) return;
  p.file = origin.substr(0, c1);
  p.line = std::atoi(origin.c_str() + c1 + 1);
}

class Checker {
 public:
  Checker(const ScriptHostOptions& o, const ModuleExtensions& ext)
      : options_(o), extensions_(std::make_shared<const ModuleExtensions>(ext)) {
    folder_ = display_folder(o.folder);
    folder_real_ = real_path(o.folder);
    if (folder_real_.empty())
      folder_real_ = std::filesystem::absolute(o.folder).lexically_normal().string();
    while (folder_real_.size() > 1 && folder_real_.back() == '/')
      folder_real_.pop_back();
  }

  std::vector<ScriptProblem> run() {
    for (const ScriptSpec& spec : options_.scripts)
      check(spec);
    return std::move(problems_);
  }

 private:
  std::string path_of(const ScriptSpec& s) const {
    if (s.file.starts_with('/')) return s.file;
    return folder_ == "." ? s.file : folder_ + "/" + s.file;
  }

  // The check-mode version of `spec` (loaded once), or null after reporting.
  std::shared_ptr<ScriptVersion> version(const ScriptSpec& spec) {
    auto it = versions_.find(spec.name);
    if (it != versions_.end()) return it->second;
    std::shared_ptr<ScriptVersion>& slot = versions_[spec.name];
    const std::string path = path_of(spec);
    const std::string full =
        spec.file.starts_with('/') ? spec.file : folder_real_ + "/" + spec.file;
    std::string source;
    if (Status s = read_source(full, path, source); !s.ok()) {
      ScriptProblem p{spec.name, path, 0, s.message()};
      if (!spec.origin.empty()) {
        locate(p, spec.origin);
        p.message = fmt::format("{}: file: {}", spec.origin, s.message());
      }
      problems_.push_back(std::move(p));
      return nullptr;
    }
    VersionSpec vs;
    vs.name = spec.name;
    vs.path = path;
    vs.folder = folder_;
    vs.folder_real = folder_real_;
    vs.real_path = real_path(full);
    vs.source = std::move(source);
    vs.trust = spec.trust;
    vs.limits = spec.limits;
    vs.config_json = spec.config_json;
    vs.mode = Mode::kCheck;
    vs.extensions = extensions_;
    LoadError e;
    slot = ScriptVersion::load(vs, {}, nullptr, &e);
    if (!slot) problems_.push_back({spec.name, path, line_of(e.message, path), e.message});
    return slot;
  }

  const ScriptSpec* find(const std::string& name) const {
    for (const auto& s : options_.scripts)
      if (s.name == name) return &s;
    return nullptr;
  }

  void binding_problem(const ScriptSpec& spec, const std::string& origin, std::string message) {
    ScriptProblem p{spec.name, path_of(spec), 0, std::move(message)};
    locate(p, origin);
    problems_.push_back(std::move(p));
  }

  void check(const ScriptSpec& spec) {
    auto v = version(spec);
    if (!v) return;
    if (Status s = v->bind(spec.subscriptions); !s.ok()) {
      for (const auto& sub : spec.subscriptions) {
        if (s.message().starts_with(sub.origin)) {
          binding_problem(spec, sub.origin, s.message());
          break;
        }
      }
      if (spec.subscriptions.empty() || problems_.empty() ||
          problems_.back().message != s.message())
        problems_.push_back({spec.name, path_of(spec), 0, s.message()});
    }
    for (const auto& sub : spec.subscriptions) {
      if (sub.filter.empty()) continue;
      const auto dot = sub.filter.find('.');
      const std::string script = dot == std::string::npos ? spec.name : sub.filter.substr(0, dot);
      const std::string fn = dot == std::string::npos ? sub.filter : sub.filter.substr(dot + 1);
      const ScriptSpec* other = find(script);
      if (other == nullptr) {
        binding_problem(spec, sub.origin,
                        fmt::format("{}: filter: no script named '{}'", sub.origin, script));
        continue;
      }
      auto ov = version(*other);
      if (ov && !ov->has_function(fn))
        binding_problem(spec, sub.origin,
                        fmt::format("{}: filter: {} defines no global function '{}'", sub.origin,
                                    path_of(*other), fn));
    }
  }

  const ScriptHostOptions& options_;
  std::shared_ptr<const ModuleExtensions> extensions_;
  std::string folder_, folder_real_;
  std::map<std::string, std::shared_ptr<ScriptVersion>> versions_;
  std::vector<ScriptProblem> problems_;
};

}  // namespace

std::vector<ScriptProblem> check_scripts(const ScriptHostOptions& options,
                                         const ModuleExtensions& extensions) {
  return Checker(options, extensions).run();
}

}  // namespace chorus::lua
