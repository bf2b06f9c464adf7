// GET /metrics of a test host, parsed and checked against the Prometheus
// text format (prom_check.h): a status other than 200 ends the test, every
// rule the text breaks is a failed check (the caller's own checks still run).
#pragma once

#include <cstdint>
#include <string>

#include <catch2/catch.hpp>

#include "prom_check.h"
#include "wire_client.h"

namespace chorus::test {

inline PromDoc scrape_metrics(uint16_t port) {
  auto r = http(port, "GET", "/metrics");
  REQUIRE(r.status == 200);
  PromDoc doc = parse_prometheus(r.body);
  INFO(r.body);
  for (const std::string& p : doc.problems)
    FAIL_CHECK(p);
  return doc;
}

}  // namespace chorus::test
