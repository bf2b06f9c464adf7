// Bearer-token checks (token_check.h).
#include "api/token_check.h"

namespace chorus::api {
namespace {

// True when a == b, in time depending only on the lengths.
bool equal_in_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool starts_with_bearer(std::string_view h) {
  static constexpr std::string_view kBearer = "bearer ";
  if (h.size() < kBearer.size()) return false;
  for (size_t i = 0; i < kBearer.size(); ++i) {
    char c = h[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != kBearer[i]) return false;
  }
  return true;
}

}  // namespace

void TokenCheck::set(std::vector<std::string> tokens) {
  auto next = std::make_shared<const std::vector<std::string>>(std::move(tokens));
  std::lock_guard l(mu_);
  tokens_ = std::move(next);
}

std::shared_ptr<const std::vector<std::string>> TokenCheck::load() const {
  std::lock_guard l(mu_);
  return tokens_;
}

bool TokenCheck::required() const {
  return !load()->empty();
}

TokenCheck::Outcome TokenCheck::check(std::string_view authorization) const {
  const auto tokens = load();
  if (tokens->empty()) return Outcome::kOk;
  if (authorization.empty()) return Outcome::kMissing;
  if (!starts_with_bearer(authorization)) return Outcome::kMalformed;
  std::string_view token = authorization.substr(7);
  while (!token.empty() && token.front() == ' ')
    token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t'))
    token.remove_suffix(1);
  bool match = false;
  for (const std::string& t : *tokens)
    match |= equal_in_constant_time(token, t);
  return match ? Outcome::kOk : Outcome::kWrong;
}

}  // namespace chorus::api
