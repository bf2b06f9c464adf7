// TokenCheck: the bearer tokens of the API and the check of one request's
// Authorization header against them. The list can be replaced at any time
// (a reload); each check sees one whole list.
//
// Threading: every member is thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace chorus::api {

class TokenCheck {
 public:
  enum class Outcome {
    kOk,         // no tokens are configured, or the header names one of them
    kMissing,    // tokens are configured and the request has no Authorization header
    kMalformed,  // the header is not "Bearer <token>"
    kWrong,      // the token is none of the configured ones
  };

  void set(std::vector<std::string> tokens);
  bool required() const;
  // Compares in time independent of where the bytes differ.
  Outcome check(std::string_view authorization) const;

 private:
  std::shared_ptr<const std::vector<std::string>> load() const;

  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<std::string>> tokens_ =
      std::make_shared<const std::vector<std::string>>();
};

}  // namespace chorus::api
