// End to end: `chorus store ...` with the real binary. Import/export round
// trips, idempotent re-import, expected-version conflicts, bad input, exit
// codes, --json, and reading while a host runs (import refused then).
// Every wait has a deadline; nothing sleeps.
#include <algorithm>
#include <signal.h>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "support/subprocess.h"
#include "support/temp_dir.h"

using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kChorus = CHORUS_BINARY;

const char* kEvents =
    R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-000000000001","source":"t","type":"order.placed","time":"2026-01-01T00:00:01Z","stream":"order-1","correlationid":"op-1","data":{"n":1}})"
    "\n"
    R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-000000000002","source":"t","type":"order.paid","time":"2026-01-01T00:00:02Z","stream":"order-1","correlationid":"op-1","data":{"n":2}})"
    "\n"
    R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-000000000003","source":"t","type":"user.created","time":"2026-01-01T00:00:03Z","correlationid":"op-2","data":{"n":3}})"
    "\n\n"
    R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-000000000004","source":"t","type":"order.placed","time":"2026-01-01T00:00:04Z","stream":"order-2","data":{"n":4}})"
    "\n";

RunResult run_chorus(std::vector<std::string> args) {
  args.insert(args.begin(), kChorus);
  return run_command(std::move(args), 60s);
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// RapidJSON's SSE2 scanner reads 16 bytes at a time: parse a padded copy.
void parse(rapidjson::Document& d, const std::string& text) {
  std::string padded = text;
  padded.append(16, '\0');
  d.Parse(padded.c_str());
}

}  // namespace

TEST_CASE("store cli: import - read - events - export - stat") {
  TempDir dir;
  const std::string data = dir.file("data");
  const std::string in = dir.write("in.jsonl", kEvents);

  auto r = run_chorus({"store", "import", in, "--data-dir", data});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("imported 4 events (0 already stored)") != std::string::npos);

  // Importing again stores nothing new.
  r = run_chorus({"store", "import", in, "--data-dir", data, "--json"});
  REQUIRE(r.exit_code == 0);
  rapidjson::Document d;
  parse(d, r.out);
  REQUIRE_FALSE(d.HasParseError());
  CHECK(d["written"].GetUint64() == 0);
  CHECK(d["duplicates"].GetUint64() == 4);

  r = run_chorus({"store", "read", "order-1", "--data-dir", data});
  REQUIRE(r.exit_code == 0);
  CHECK(lines(r.out) == 2);
  CHECK(r.out.find("order.placed") < r.out.find("order.paid"));
  r = run_chorus(
      {"store", "read", "order-1", "--data-dir", data, "--backward", "--limit", "1", "--json"});
  REQUIRE(r.exit_code == 0);
  parse(d, r.out);
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsArray());
  REQUIRE(d.Size() == 1);
  CHECK(d[0]["version"].GetUint64() == 2);
  CHECK(std::string(d[0]["event"]["type"].GetString()) == "order.paid");

  r = run_chorus({"store", "events", "--correlation", "op-1", "--data-dir", data});
  REQUIRE(r.exit_code == 0);
  CHECK(lines(r.out) == 2);
  CHECK(r.out.find("order-1@2") != std::string::npos);
  r = run_chorus({"store", "events", "--type", "order.*", "--since", "2026-01-01T00:00:02Z",
                  "--data-dir", data, "--json"});
  REQUIRE(r.exit_code == 0);
  parse(d, r.out);
  REQUIRE(d.IsArray());
  REQUIRE(d.Size() == 2);
  CHECK(d[0]["seq"].GetUint64() == 2);
  CHECK(d[1]["seq"].GetUint64() == 4);
  r = run_chorus({"store", "events", "--data-dir", data, "--since", "2026-01-01T00:00:03Z",
                  "--until", "2026-01-01T00:00:04Z"});
  CHECK(lines(r.out) == 1);
  CHECK(r.out.find("user.created") != std::string::npos);

  // Export, import into a second store, export again: the same bytes.
  const std::string out1 = dir.file("out1.jsonl"), out2 = dir.file("out2.jsonl");
  r = run_chorus({"store", "export", "--data-dir", data, "-o", out1});
  REQUIRE(r.exit_code == 0);
  CHECK(lines(read_file(out1)) == 4);
  CHECK(read_file(out1).find("\"streamversion\":2") != std::string::npos);
  r = run_chorus({"store", "import", out1, "--data-dir", dir.file("data2")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  r = run_chorus({"store", "export", "--data-dir", dir.file("data2"), "-o", out2});
  REQUIRE(r.exit_code == 0);
  CHECK(read_file(out1) == read_file(out2));
  r = run_chorus({"store", "export", "--data-dir", data, "--stream", "order-1"});
  CHECK(lines(r.out) == 2);

  r = run_chorus({"store", "stat", "--data-dir", data, "--json"});
  REQUIRE(r.exit_code == 0);
  parse(d, r.out);
  REQUIRE_FALSE(d.HasParseError());
  CHECK(d["events"].GetUint64() == 4);
  CHECK(d["streams"].GetUint64() == 2);
  CHECK(d["last_seq"].GetUint64() == 4);
  CHECK(d["format"].GetUint() == 1);
  CHECK(d["databases"]["event_ids"]["entries"].GetUint64() == 4);
  r = run_chorus({"store", "stat", "--data-dir", data});
  CHECK(r.out.find("events    4") != std::string::npos);
}

TEST_CASE("store cli: import checks expected versions and names the line") {
  TempDir dir;
  const std::string data = dir.file("data");
  // Version 3 of a stream that does not exist: the expected version (2) fails.
  const std::string bad = dir.write(
      "bad.jsonl",
      R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-0000000000aa","source":"t","type":"a.b","stream":"s","streamversion":3})"
      "\n");
  auto r = run_chorus({"store", "import", bad, "--data-dir", data});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("line 1") != std::string::npos);
  CHECK(r.err.find("expected version 2, actual version no stream") != std::string::npos);

  const std::string ok = dir.write(
      "ok.jsonl",
      R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-0000000000bb","source":"t","type":"a.b","stream":"s"})"
      "\n");
  REQUIRE(run_chorus({"store", "import", ok, "--data-dir", data}).exit_code == 0);
  const std::string more = dir.write(
      "more.jsonl",
      R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-0000000000cc","source":"t","type":"a.b","stream":"s"})"
      "\n");
  r = run_chorus({"store", "import", more, "--data-dir", data, "--expected", "no_stream"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("expected version no_stream, actual version 1") != std::string::npos);

  const std::string garbage =
      dir.write("garbage.jsonl", std::string(kEvents).substr(0, 100) + "\n");
  r = run_chorus({"store", "import", garbage, "--data-dir", data});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("line 1") != std::string::npos);
}

TEST_CASE("store cli: errors and usage") {
  TempDir dir;
  auto r = run_chorus({"store", "stat", "--data-dir", dir.file("none")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(dir.file("none") + "/store") != std::string::npos);
  CHECK(run_chorus({"store"}).exit_code == 2);
  CHECK(run_chorus({"store", "read"}).exit_code == 2);
  CHECK(run_chorus({"store", "nope"}).exit_code == 2);
  CHECK(run_chorus({"store", "import", "x", "--expected", "maybe"}).exit_code == 2);
  const std::string in = dir.write("in.jsonl", kEvents);
  REQUIRE(run_chorus({"store", "import", in, "--data-dir", dir.file("d")}).exit_code == 0);
  r = run_chorus({"store", "read", "missing", "--data-dir", dir.file("d")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("'missing' does not exist") != std::string::npos);
  CHECK(run_chorus({"store", "events", "--type", "Bad Type", "--data-dir", dir.file("d")})
            .exit_code == 2);
  CHECK(run_chorus({"store", "events", "--since", "yesterday", "--data-dir", dir.file("d")})
            .exit_code == 2);
  CHECK(run_chorus({"store", "import", dir.file("absent.jsonl"), "--data-dir", dir.file("d")})
            .exit_code == 1);
  CHECK(run_chorus({"store", "read", "--help"}).exit_code == 0);
}

TEST_CASE("store cli: reads work while a host runs - import is refused") {
  TempDir dir;
  const std::string data = dir.file("data");
  REQUIRE(run_chorus({"store", "import", dir.write("in.jsonl", kEvents), "--data-dir", data})
              .exit_code == 0);
  const std::string cfg = dir.write(
      "host.yaml", "host:\n  data_dir: " + data + "\n  workers: 2\napi:\n  listen: 127.0.0.1:0\n");
  Subprocess host({kChorus, "run", cfg});
  REQUIRE(host.wait_for_line("ready", 20s));
  CHECK(host.err().find("store open path=" + data + "/store") != std::string::npos);
  CHECK(host.err().find("last_seq=4") != std::string::npos);

  auto r = run_chorus({"store", "stat", "-c", cfg, "--json"});
  CHECK(r.exit_code == 0);
  r = run_chorus({"store", "read", "order-1", "-c", cfg});
  CHECK(r.exit_code == 0);
  CHECK(lines(r.out) == 2);
  r = run_chorus({"store", "export", "-c", cfg});
  CHECK(r.exit_code == 0);
  CHECK(lines(r.out) == 4);
  r = run_chorus({"store", "import", dir.write("x.jsonl", kEvents), "-c", cfg});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("in use by another chorus process") != std::string::npos);
  CHECK(r.err.find("stop the host first") != std::string::npos);

  host.signal(SIGTERM);
  auto code = host.wait_exit(10s);
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("store cli: a host refuses to start on a store it cannot open") {
  TempDir dir;
  // A store directory that is not an LMDB environment at all.
  const std::string other = dir.file("other");
  dir.write("other/store/data.mdb", std::string(70000, 'x'));
  const std::string cfg =
      dir.write("host.yaml", "host:\n  data_dir: " + other + "\n  workers: 2\n");
  Subprocess host({kChorus, "run", cfg});
  auto code = host.wait_exit(20s);
  REQUIRE(code);
  CHECK(*code == 1);
  CHECK(host.err().find(other + "/store") != std::string::npos);
  CHECK(host.err().find("not started") != std::string::npos);
}
