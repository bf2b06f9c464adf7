// Catalog: workflow definitions by name.
#include "workflows/catalog.h"

#include <fmt/core.h>

namespace chorus::workflows {

Status Catalog::define(Definition d) {
  std::function<void(const Definition&)> listener;
  Definition copy;
  {
    std::lock_guard lock(mu_);
    auto it = defs_.find(d.name);
    if (it != defs_.end() && it->second->script != d.script)
      return Status::AlreadyExists(
          fmt::format("chorus.workflow: workflow '{}' is already defined by script '{}' at {}",
                      d.name, it->second->script, it->second->at));
    copy = d;
    auto shared = std::make_shared<const Definition>(std::move(d));
    defs_[shared->name] = std::move(shared);
    listener = listener_;
  }
  if (listener) listener(copy);
  return Status::OK();
}

std::shared_ptr<const Definition> Catalog::find(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = defs_.find(name);
  if (it == defs_.end()) return nullptr;
  return it->second;
}

std::vector<Definition> Catalog::all() const {
  std::lock_guard lock(mu_);
  std::vector<Definition> out;
  for (const auto& [name, d] : defs_)
    out.push_back(*d);
  return out;
}

void Catalog::set_listener(std::function<void(const Definition&)> listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

}  // namespace chorus::workflows
