// The live commands of the real `chorus` binary against a real `chorus run`
// (its API on a free port, read from its log): publish, request, tail,
// events, timeline and dlq, with their exit codes (0 ok, 1 error, 2 usage,
// 3 not found, 4 unavailable) and --json; where the address and token come
// from; and a host that refuses to listen beyond loopback without a token.
#include <regex>
#include <signal.h>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "api_address.h"
#include "json_check.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kChorus = CHORUS_BINARY;

// A running host; its API address comes from the "api listening on" line.
struct Host {
  TempDir dir;
  std::string config;
  std::unique_ptr<Subprocess> process;
  std::string addr;

  explicit Host(const std::string& extra = "") {
    config = dir.write(
        "host.yaml",
        "host:\n  data_dir: " + dir.file("data") +
            "\n  workers: 2\nstore:\n  persist: [\"order.*\"]\n" + extra +
            (extra.find("api:") == std::string::npos ? "api:\n  listen: 127.0.0.1:0\n" : ""));
    process = std::make_unique<Subprocess>(std::vector<std::string>{kChorus, "run", config});
    addr = wait_for_api(*process);
  }
  ~Host() {
    process->signal(SIGTERM);
    process->wait_exit(20s);
  }
  RunResult run(std::vector<std::string> args, SpawnOptions opts = {}) const {
    args.insert(args.begin(), kChorus);
    args.push_back("--addr");
    args.push_back(addr);
    return run_command(args, 30s, opts);
  }
};

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace

TEST_CASE("cli live: publish, events and timeline against a running host") {
  Host host;
  auto p = host.run({"publish", "order.placed", "--data", R"({"n":1})", "--stream", "order-1",
                     "--correlation", "op-1", "--json"});
  INFO(p.err);
  REQUIRE(p.exit_code == 0);
  auto d = json(p.out);
  const std::string root = d["events"][0]["id"].GetString();
  CHECK(d["events"][0]["seq"].GetUint64() == 1);
  auto child = host.run({"publish", "order.paid", "--stream", "order-1", "--correlation", "op-1",
                         "--causation", root, "--priority", "high"});
  REQUIRE(child.exit_code == 0);
  CHECK(child.out.find("published order.paid ") == 0);
  CHECK(child.out.find("(seq 2)") != std::string::npos);
  auto note = host.run({"publish", "note.added", "--data", R"("hello")"});
  CHECK(note.exit_code == 0);
  CHECK(note.out.find("(seq") == std::string::npos);  // not persistent

  auto events = host.run({"events", "--type", "order.*"});
  CHECK(events.exit_code == 0);
  CHECK(lines(events.out) == 2);
  CHECK(events.out.find("order.placed  order-1@1  " + root) != std::string::npos);
  auto events_json = host.run({"events", "--correlation", "op-1", "--json"});
  CHECK(events_json.exit_code == 0);
  CHECK(json(events_json.out)["events"].Size() == 2);
  // The offline query finds the same events in the store files.
  auto offline = run_command({kChorus, "store", "events", "--type", "order.*", "-c", host.config});
  CHECK(offline.exit_code == 0);
  CHECK(lines(offline.out) == 2);

  auto tl = host.run({"timeline", "op-1"});
  CHECK(tl.exit_code == 0);
  CHECK(tl.out.find("timeline op-1 (2 events)\n") == 0);
  CHECK(tl.out.find("\n  └ ") != std::string::npos);  // the paid event under the placed one
  CHECK(tl.out.find("order.paid") > tl.out.find("order.placed"));
  CHECK(json(host.run({"timeline", "op-1", "--json"}).out)["tree"][0]["children"].Size() == 1);
  auto missing = host.run({"timeline", "op-none"});
  CHECK(missing.exit_code == 3);
  CHECK(missing.err.find("no stored event has correlation id 'op-none'") != std::string::npos);
}

TEST_CASE("cli live: tail prints matching events as they are published") {
  Host host;
  Subprocess tail({kChorus, "tail", "order.*", "--count", "2", "--json", "--addr", host.addr});
  REQUIRE(tail.wait_for_line("tailing order.* on " + host.addr, 20s));
  CHECK(host.run({"publish", "other.thing"}).exit_code == 0);
  CHECK(host.run({"publish", "order.placed", "--data", "1", "--stream", "o-1"}).exit_code == 0);
  CHECK(host.run({"publish", "order.paid", "--data", "2", "--stream", "o-1"}).exit_code == 0);
  REQUIRE(tail.wait_exit(20s) == 0);
  REQUIRE(lines(tail.out()) == 2);
  const std::string first = tail.out().substr(0, tail.out().find('\n'));
  CHECK(std::string(json(first)["type"].GetString()) == "order.placed");

  Subprocess text({kChorus, "tail", "order.*", "--count", "1", "--addr", host.addr});
  REQUIRE(text.wait_for_line("tailing", 20s));
  CHECK(host.run({"publish", "order.shipped", "--data", R"({"to":"x"})"}).exit_code == 0);
  REQUIRE(text.wait_exit(20s) == 0);
  CHECK(text.out().find(" order.shipped chorus-cli {\"to\":\"x\"}") != std::string::npos);
  CHECK(text.out().find("\033[") == std::string::npos);  // no colour into a pipe
}

TEST_CASE("cli live: exit codes: usage 2, not found 3, unavailable 4, errors 1") {
  Host host;
  CHECK(host.run({"publish"}).exit_code == 2);
  auto bad_type = host.run({"publish", "Not.A.Type"});
  CHECK(bad_type.exit_code == 2);
  CHECK(bad_type.err.find("TYPE") != std::string::npos);
  CHECK(host.run({"publish", "a.b", "--data", "{oops"}).exit_code == 2);
  CHECK(host.run({"publish", "a.b", "--priority", "urgent"}).exit_code == 2);
  auto no_responder = host.run({"request", "math.x", "--data", "1", "--timeout", "1s"});
  CHECK(no_responder.exit_code == 4);
  CHECK(no_responder.err.find("no subscriber takes this type") != std::string::npos);
  auto list = host.run({"dlq", "list"});
  CHECK(list.exit_code == 0);
  CHECK(list.out == "0 dead letters\n");
  CHECK(json(host.run({"dlq", "list", "--json"}).out)["count"].GetUint() == 0);
  CHECK(host.run({"dlq", "show", "7"}).exit_code == 3);
  CHECK(host.run({"dlq", "replay", "7"}).exit_code == 3);
  CHECK(host.run({"dlq", "drop", "7"}).exit_code == 3);
  CHECK(host.run({"dlq", "replay", "7", "--to", "moon"}).exit_code == 2);
  CHECK(host.run({"dlq", "frobnicate"}).exit_code == 2);

  // Nothing listens here: unavailable, naming the address and its origin.
  TempDir dir;
  for (const std::string cmd : {"publish", "events", "tail", "timeline"}) {
    std::vector<std::string> args{kChorus, cmd};
    if (cmd == "publish") args.push_back("a.b");
    if (cmd == "tail") args.push_back("a.*");
    if (cmd == "timeline") args.push_back("op");
    SpawnOptions env;
    env.env = {{"CHORUS_ADDR", "127.0.0.1:1"}};
    auto r = run_command(args, 30s, env);
    INFO(cmd << ": " << r.err);
    CHECK(r.exit_code == 4);
    CHECK(r.err.find("no chorus host answers at 127.0.0.1:1") != std::string::npos);
    CHECK(r.err.find("address from CHORUS_ADDR") != std::string::npos);
  }
}

TEST_CASE("cli live: tokens from --token, CHORUS_TOKEN or the config file") {
  Host host("api:\n  listen: 127.0.0.1:0\n  tokens: [\"cli-secret\"]\n");
  auto denied = host.run({"publish", "a.b"});
  CHECK(denied.exit_code == 1);
  CHECK(denied.err.find("requires a bearer token") != std::string::npos);
  CHECK(denied.err.find("--token, CHORUS_TOKEN or --config") != std::string::npos);
  CHECK(host.run({"publish", "a.b", "--token", "cli-secret"}).exit_code == 0);
  CHECK(host.run({"publish", "a.b", "--token", "wrong"}).exit_code == 1);
  SpawnOptions env;
  env.env = {{"CHORUS_TOKEN", "cli-secret"}};
  CHECK(host.run({"events"}, env).exit_code == 0);
  // The config gives both the address and the token.
  TempDir dir;
  const std::string cfg =
      dir.write("client.yaml", "api:\n  listen: " + host.addr + "\n  tokens: [cli-secret]\n");
  auto r = run_command({kChorus, "dlq", "list", "-c", cfg}, 30s);
  INFO(r.err);
  CHECK(r.exit_code == 0);
}

TEST_CASE("cli live: a host that would listen beyond loopback without a token does not start") {
  TempDir dir;
  const std::string cfg = dir.write(
      "host.yaml", "host:\n  data_dir: " + dir.file("data") + "\napi:\n  listen: 0.0.0.0:0\n");
  auto run = run_command({kChorus, "run", cfg}, 30s);
  CHECK(run.exit_code == 1);
  CHECK(run.err.find(cfg + ":4:11: api.listen: api.listen '0.0.0.0:0' is beyond loopback") !=
        std::string::npos);
  auto check = run_command({kChorus, "check", cfg}, 30s);
  CHECK(check.exit_code == 1);
  CHECK(check.err.find("api.tokens must list at least one bearer token") != std::string::npos);
  const std::string ok = dir.write("ok.yaml", "host:\n  data_dir: " + dir.file("data") +
                                                  "\napi:\n  listen: 0.0.0.0:0\n  tokens: [t]\n");
  CHECK(run_command({kChorus, "check", ok}, 30s).exit_code == 0);
}
