// Status and Result: OK is free, errors carry code and message, context
// prefixes, the helper macros.
#include "core/status.h"

#include <set>

#include <catch2/catch.hpp>

using namespace chorus;

namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return Status::InvalidArgument("value must be positive");
  return v;
}

Result<int> doubled(int v) {
  CHORUS_ASSIGN_OR_RETURN(int x, parse_positive(v));
  return x * 2;
}

Status check_both(int a, int b) {
  CHORUS_RETURN_IF_ERROR(parse_positive(a).status());
  CHORUS_RETURN_IF_ERROR(parse_positive(b).status());
  return Status::OK();
}

}  // namespace

TEST_CASE("OK status is empty and cheap") {
  Status s;
  CHECK(s.ok());
  CHECK(s.code() == StatusCode::kOk);
  CHECK(s.message().empty());
  CHECK(s.to_string() == "ok");
  CHECK(sizeof(Status) == sizeof(void*));
}

TEST_CASE("error status keeps code and message - copies deeply") {
  Status s = Status::NotFound("stream 'order-1'");
  CHECK_FALSE(s.ok());
  CHECK(s.is(StatusCode::kNotFound));
  CHECK(s.to_string() == "not_found: stream 'order-1'");
  Status copy = s;
  CHECK(copy.message() == s.message());
  Status ctx = s.with_context("store.read");
  CHECK(ctx.message() == "store.read: stream 'order-1'");
  CHECK(ctx.code() == StatusCode::kNotFound);
  CHECK(Status().with_context("x").ok());
}

TEST_CASE("every code has a distinct name") {
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(StatusCode::kInternal); ++c)
    names.insert(status_code_name(static_cast<StatusCode>(c)));
  CHECK(names.size() == static_cast<size_t>(StatusCode::kInternal) + 1);
  CHECK(status_code_name(StatusCode::kConflict) == "conflict");
  CHECK(status_code_name(StatusCode::kNoHealthyInstance) == "no_healthy_instance");
  CHECK(Status::NoHealthyInstance("x").is(StatusCode::kNoHealthyInstance));
}

TEST_CASE("Result holds a value or an error - macros propagate") {
  auto ok = doubled(21);
  REQUIRE(ok.ok());
  CHECK(*ok == 42);
  auto bad = doubled(-1);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message() == "value must be positive");
  CHECK(bad.value_or(7) == 7);
  CHECK(check_both(1, 2).ok());
  CHECK(check_both(1, -2).is(StatusCode::kInvalidArgument));
  Result<int> from_ok{Status::OK()};
  CHECK(from_ok.error().is(StatusCode::kInternal));
}
