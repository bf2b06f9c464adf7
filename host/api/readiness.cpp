// The checks of GET /readyz (readiness.h).
#include "api/readiness.h"

#include <algorithm>

namespace chorus::api {

uint64_t Readiness::add(std::string name, Check check) {
  std::lock_guard l(mu_);
  const uint64_t id = next_id_++;
  entries_.push_back(Entry{id, std::move(name), std::move(check)});
  return id;
}

void Readiness::remove(uint64_t id) {
  std::lock_guard l(mu_);
  entries_.erase(
      std::remove_if(entries_.begin(), entries_.end(), [id](const Entry& e) { return e.id == id; }),
      entries_.end());
}

std::vector<Readiness::Outcome> Readiness::run() const {
  std::vector<Outcome> out;
  std::lock_guard l(mu_);
  for (const Entry& e : entries_) {
    Status s;
    try {
      s = e.check();
    } catch (const std::exception& ex) {
      s = Status::Internal(ex.what());
    }
    out.push_back(Outcome{e.name, std::move(s)});
  }
  return out;
}

}  // namespace chorus::api
