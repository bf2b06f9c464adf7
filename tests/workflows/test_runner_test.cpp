// `chorus test` in process (workflows/test_runner.h), with its crash matrix:
// real LuaJIT, real LMDB stores in temp dirs, real scripts. The matrix must
// pass on the example workflows and catch two planted bugs, naming the
// crash point: a receiver that charges again on a repeated request (it
// ignores the idempotency key), and a workflow that decides from in-memory
// state a restart forgets (its replay diverges).
#include "workflows/test_runner.h"

#include <regex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support/temp_dir.h"

namespace chorus::workflows {
namespace {

const std::string kSource = CHORUS_SOURCE_DIR;

struct Run {
  TestSummary sum;
  std::vector<std::string> lines;
  std::string text() const {
    std::string s;
    for (const auto& l : lines)
      s += l + "\n";
    return s;
  }
  size_t count(const std::string& prefix) const {
    size_t n = 0;
    for (const auto& l : lines)
      if (l.rfind(prefix, 0) == 0) ++n;
    return n;
  }
};

Run run(const std::vector<std::string>& paths, bool crash_matrix) {
  Run r;
  TestOptions o;
  o.crash_matrix = crash_matrix;
  r.sum = run_test_files(paths, o, [&r](std::string_view l) { r.lines.emplace_back(l); });
  return r;
}

// A checkout that asks billing to charge, then publishes order.paid.
// `receiver` is billing's handler of payment.charge.
std::string billing_script(const std::string& receiver) {
  return R"(
)" + receiver +
         R"(
chorus.workflow{
  name = "checkout",
  on = "order.placed",
  run = function(ctx, e)
    local r, err = ctx:request("payment.charge", {order_id = e.data.order_id}, {timeout = 5000})
    if not r then error("charge: " .. tostring(err), 0) end
    ctx:publish("order.paid", {order_id = e.data.order_id})
    return "paid"
  end,
}
)";
}

const char kChargesAlways[] = R"(
chorus.on("payment.charge", function(req)
  chorus.publish("payment.charged", {order_id = req.data.order_id})
  chorus.reply(req, {ok = true})
end))";

// The fix: the charge is taken once per idempotency key (a stream per key,
// created once), so a repeated request only gets its reply again.
const char kChargesOncePerKey[] = R"(
chorus.on("payment.charge", function(req)
  local key = req.metadata.idempotencykey
  local first = chorus.store.append("charge-" .. key, "payment.taken",
                                    {order_id = req.data.order_id},
                                    {expected_version = "no_stream"})
  if first then chorus.publish("payment.charged", {order_id = req.data.order_id}) end
  chorus.reply(req, {ok = true})
end))";

const char kCheckoutTest[] = R"(
test("an order is charged once and paid", function(h)
  h:load("billing.lua")
  h:publish("order.placed", {order_id = "o-1"})
  h:expect_published("payment.charged", {order_id = "o-1"}, 1)
  h:expect_published("order.paid", {order_id = "o-1"}, 1)
  h:expect_finished("checkout", "completed", "paid")
end)
)";

}  // namespace

TEST_CASE("test runner: the crash matrix passes on the example workflows") {
  const std::vector<std::string> files = {kSource + "/scripts/approval_test.lua",
                                          kSource + "/scripts/commissioning_test.lua",
                                          kSource + "/scripts/order_saga_test.lua"};
  Run r = run(files, /*crash_matrix=*/true);
  INFO(r.text());
  CHECK(r.sum.files == 3);
  CHECK(r.sum.failed == 0);
  CHECK(r.sum.passed == 8);
  CHECK(r.count("FAIL") == 0);
  // Every case that runs a workflow ran its matrix, with several restarts each.
  CHECK(r.count("ok   ") == 8);
  size_t with_matrix = 0;
  const std::regex restarts(R"(\(crash matrix: (\d+) restarts over (\d+) history records\))");
  for (const auto& l : r.lines) {
    std::smatch m;
    if (!std::regex_search(l, m, restarts)) continue;
    ++with_matrix;
    CHECK(std::stoul(m[1]) >= 2);
    CHECK(std::stoul(m[2]) >= 3);
  }
  CHECK(with_matrix == 8);
  CHECK(r.sum.crash_runs >= 8 * 2);
}

TEST_CASE("test runner: without --crash-matrix nothing is rerun") {
  Run r = run({kSource + "/scripts/approval_test.lua"}, /*crash_matrix=*/false);
  INFO(r.text());
  CHECK(r.sum.passed == 3);
  CHECK(r.sum.crash_runs == 0);
  CHECK(r.text().find("crash matrix") == std::string::npos);
}

TEST_CASE("test runner: a receiver that charges again on a repeated request is caught") {
  test::TempDir dir;
  dir.write("billing.lua", billing_script(kChargesAlways));
  const std::string file = dir.write("checkout_test.lua", kCheckoutTest);

  // Without the matrix the case passes: the bug needs a crash.
  Run plain = run({file}, /*crash_matrix=*/false);
  INFO(plain.text());
  REQUIRE(plain.sum.passed == 1);

  Run r = run({file}, /*crash_matrix=*/true);
  INFO(r.text());
  CHECK(r.sum.failed == 1);
  CHECK(r.sum.passed == 0);
  // The crash between the charge and the record of its reply: the replay
  // asks again and the receiver charges twice. The line names the case, the
  // crash point (record k of N, the request's record and seq) and the
  // case's failed expectation.
  const std::regex line("FAIL " +
                        std::regex_replace(file, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                        R"(: an order is charged once and paid \(crash after record (\d) of (\d) )"
                        R"(and what the host stored after it: wf\.scheduled seq 1 request )"
                        R"('payment\.charge' at [^)]*\): .*expected payment\.charged 1 time\(s\))"
                        R"( with the given fields, found 2)");
  size_t matched = 0;
  for (const auto& l : r.lines) {
    std::smatch m;
    if (!std::regex_search(l, m, line)) continue;
    ++matched;
    CHECK(m[1] == "2");
    CHECK(m[2] == "5");
  }
  CHECK(matched == 1);
  // Crashes right after a record lose the charge with the host: no failure there.
  CHECK(r.count("FAIL") == 1);
}

TEST_CASE("test runner: the receiver that charges once per idempotency key passes the matrix") {
  test::TempDir dir;
  dir.write("billing.lua", billing_script(kChargesOncePerKey));
  const std::string file = dir.write("checkout_test.lua", kCheckoutTest);
  Run r = run({file}, /*crash_matrix=*/true);
  INFO(r.text());
  CHECK(r.sum.failed == 0);
  CHECK(r.sum.passed == 1);
  CHECK(r.sum.crash_runs >= 5);
}

TEST_CASE("test runner: a workflow deciding from in-memory state diverges after a restart") {
  test::TempDir dir;
  // `seen` lives in the engine's Lua state: the second job publishes
  // job.repeat; after a restart that replays only the second job, `seen` is
  // 1 there and the replay gives another command than its history.
  dir.write("numbered.lua", R"(
local seen = 0
chorus.workflow{
  name = "numbered",
  on = "job.submitted",
  run = function(ctx, e)
    seen = seen + 1
    if seen > 1 then ctx:publish("job.repeat", {id = e.data.id}) end
    ctx:publish("job.accepted", {id = e.data.id})
    ctx:await("job.done", {match = function(d) return d.data.id == e.data.id end})
    return "done"
  end,
}
)");
  const std::string file = dir.write("numbered_test.lua", R"(
test("two jobs", function(h)
  h:load("numbered.lua")
  h:publish("job.submitted", {id = "a"})
  h:publish("job.submitted", {id = "b"})
  h:publish("job.done", {id = "a"})
  h:publish("job.done", {id = "b"})
  h:expect_finished("numbered", "completed")
end)
)");
  Run plain = run({file}, /*crash_matrix=*/false);
  INFO(plain.text());
  REQUIRE(plain.sum.passed == 1);

  Run r = run({file}, /*crash_matrix=*/true);
  INFO(r.text());
  CHECK(r.sum.failed == 1);
  // Once job a has ended, a restart replays job b alone: it diverges and is
  // suspended, so the ends differ from the normal run's, and the message
  // says why.
  const std::regex line(
      R"(FAIL .*numbered_test\.lua: two jobs \(crash after record (\d+) of (\d+)[^)]*\): )"
      R"(instances ended .*numbered suspended.*\(the normal run: numbered )"
      R"(completed, numbered completed\).*replay diverged at seq 1: history has )"
      R"(publish 'job\.repeat')");
  size_t matched = 0;
  for (const auto& l : r.lines)
    if (std::regex_search(l, line)) ++matched;
  CHECK(matched >= 1);
}

TEST_CASE("test runner: a case opts out of the matrix, or in without the flag") {
  test::TempDir dir;
  dir.write("billing.lua", billing_script(kChargesAlways));
  const std::string file = dir.write("checkout_test.lua", R"(
local function case(h)
  h:load("billing.lua")
  h:publish("order.placed", {order_id = "o-1"})
  h:expect_published("payment.charged", {order_id = "o-1"}, 1)
end
test("opted out", case, {crash_matrix = false})
test("opted in", case, {crash_matrix = true})
)");
  Run with = run({file}, /*crash_matrix=*/true);
  INFO(with.text());
  CHECK(with.count("ok   " + file + ": opted out") == 1);
  CHECK(with.count("FAIL " + file + ": opted in (crash after record 2 of 5") == 1);
  Run without = run({file}, /*crash_matrix=*/false);
  INFO(without.text());
  CHECK(without.count("ok   " + file + ": opted out") == 1);
  CHECK(without.count("FAIL " + file + ": opted in (crash after record 2 of 5") == 1);
}

}  // namespace chorus::workflows
