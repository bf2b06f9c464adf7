// `chorus workflows` of the real binary against a real `chorus run` with a
// workflow script (its API on a free port read from its log): list, show
// and history from the store with --json, cancel through the API, upgrade
// through the API or, with no host, on the stopped host's store; the exit
// codes (0 ok, 1 error, 2 usage, 3 not found, 4 unavailable).
#include <regex>
#include <signal.h>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "api_address.h"
#include "json_check.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kChorus = CHORUS_BINARY;

constexpr const char* kFlows =
    R"(chorus.workflow{name = "hold", on = "hold.start", run = function(ctx, e)
  ctx:set_status({stage = "waiting"})
  ctx:await("hold.release", {match = function(r) return r.data.n == e.data.n end})
  return "released"
end}
)";

// A running host with the `hold` workflow; start() and stop() may repeat.
struct Host {
  TempDir dir;
  std::string config;
  std::unique_ptr<Subprocess> process;
  std::string addr;

  Host() {
    dir.write("scripts/flows.lua", kFlows);
    config = dir.write("host.yaml", "host:\n  data_dir: " + dir.file("data") +
                                        "\n  workers: 2\napi:\n  listen: 127.0.0.1:0\n"
                                        "scripts:\n  folder: " +
                                        dir.file("scripts") +
                                        "\n  watch: false\n  entries:\n    flows: {}\n");
    start();
  }
  ~Host() { stop(); }
  void start() {
    process = std::make_unique<Subprocess>(std::vector<std::string>{kChorus, "run", config});
    addr = wait_for_api(*process);
  }
  void stop() {
    if (!process) return;
    process->signal(SIGTERM);
    process->wait_exit(20s);
    process.reset();
  }
  // `chorus ARGS... --addr ADDR`.
  RunResult live(std::vector<std::string> args) const {
    args.insert(args.begin(), kChorus);
    args.insert(args.end(), {"--addr", addr});
    return run_command(args, 30s);
  }
  // `chorus ARGS... -c CONFIG` (the store).
  RunResult local(std::vector<std::string> args) const {
    args.insert(args.begin(), kChorus);
    args.insert(args.end(), {"-c", config});
    return run_command(args, 30s);
  }
  // Starts an instance for n; its id once it waits.
  std::string start_hold(int n) {
    REQUIRE(
        live({"publish", "hold.start", "--data", "{\"n\":" + std::to_string(n) + "}"}).exit_code ==
        0);
    std::string id;
    CHECK(spin_until([&] {
      auto r = local({"workflows", "list", "--json"});
      rapidjson::Document d;
      d.Parse(r.out.c_str());
      if (r.exit_code != 0 || d.HasParseError()) return false;
      for (const auto& i : d["instances"].GetArray())
        if (!i["waiting_on"].IsNull() && std::string(i["id"].GetString()) != last_id) {
          id = i["id"].GetString();
          return true;
        }
      return false;
    }));
    REQUIRE_FALSE(id.empty());
    last_id = id;
    return id;
  }
  std::string last_id;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("cli live: chorus workflows list, show and history read the store, with --json") {
  Host host;
  const std::string id = host.start_hold(1);
  auto r = host.local({"workflows", "list"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, id + "  hold"));
  CHECK(contains(r.out, "waits: await 'hold.release'"));

  r = host.local({"workflows", "show", id.substr(0, 20), "--json"});
  REQUIRE(r.exit_code == 0);
  auto d = json(r.out);
  CHECK(std::string(d["instance"]["id"].GetString()) == id);
  CHECK(std::string(d["instance"]["status_table"]["stage"].GetString()) == "waiting");
  CHECK(std::string(d["history"][0]["type"].GetString()) == "wf.started");

  r = host.local({"workflows", "history", id});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "flows.lua:3"));

  r = host.local({"workflows", "show", "nothere"});
  CHECK(r.exit_code == 3);
  CHECK(contains(r.err, "no workflow instance 'nothere'"));
  CHECK(host.local({"workflows", "show"}).exit_code == 2);
}

TEST_CASE("cli live: chorus workflows cancel: exit codes and --json") {
  Host host;
  const std::string id = host.start_hold(1);
  REQUIRE(host.live({"publish", "hold.release", "--data", R"({"n":1})"}).exit_code == 0);
  CHECK(spin_until([&] {
    auto r = host.local({"workflows", "list", "--all", "--json"});
    rapidjson::Document d;
    d.Parse(r.out.c_str());
    return r.exit_code == 0 && !d.HasParseError() && d["count"].GetUint64() == 1 &&
           std::string(d["instances"][0]["status"].GetString()) == "completed";
  }));

  auto r = host.live({"workflows", "cancel", id, "--reason", "test"});
  CHECK(r.exit_code == 1);  // ended already
  CHECK(contains(r.err, "has ended already: completed"));
  CHECK(contains(r.err, "HTTP 409"));
  r = host.live({"workflows", "cancel", "nothere", "--json"});
  CHECK(r.exit_code == 3);
  CHECK(r.out.empty());
  r = run_command({kChorus, "workflows", "cancel", id, "--addr", "127.0.0.1:1"}, 30s);
  CHECK(r.exit_code == 4);
  CHECK(contains(r.err, "127.0.0.1:1"));
  CHECK(host.live({"workflows", "cancel"}).exit_code == 2);
}

TEST_CASE("cli live: chorus workflows upgrade without a running host works on the store") {
  Host host;
  host.start_hold(1);
  // A host holds the data directory, and no API answers at --addr: refused.
  auto r = run_command(
      {kChorus, "workflows", "upgrade", "hold", "-c", host.config, "--addr", "127.0.0.1:1"}, 30s);
  CHECK(r.exit_code == 4);
  CHECK(contains(r.err, "no host answers at 127.0.0.1:1"));
  // --data-dir names a store: the API is not asked, the lock refuses.
  r = run_command({kChorus, "workflows", "upgrade", "hold", "--data-dir", host.dir.file("data")},
                  30s);
  CHECK(r.exit_code == 4);
  CHECK(contains(r.err, "--data-dir was given"));
  host.stop();

  r = run_command(
      {kChorus, "workflows", "upgrade", "hold", "-c", host.config, "--addr", "127.0.0.1:1"}, 60s);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "hold: upgrading in the store of the stopped host"));
  CHECK(contains(r.out, "already on"));
  // api.listen of the config has port 0: no API to ask, the store is used.
  r = run_command({kChorus, "workflows", "upgrade", "hold", "-c", host.config, "--json"}, 60s);
  REQUIRE(r.exit_code == 0);
  auto d = json(r.out);
  CHECK_FALSE(d["live"].GetBool());
  CHECK(d["already_current"].GetUint64() == 1);
  CHECK(std::string(d["outcomes"][0]["result"].GetString()) == "already_current");
}

TEST_CASE("cli live: chorus workflows cancel and upgrade through a running host", "[workflows]") {
  Host host;
  const std::string id = host.start_hold(1);
  auto r = host.live({"workflows", "upgrade", "hold"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "hold: upgrading through the running host at " + host.addr));
  r = host.live({"workflows", "upgrade", "hold", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(json(r.out)["live"].GetBool());
  CHECK(host.live({"workflows", "upgrade", "nosuch"}).exit_code == 3);

  r = host.live({"workflows", "cancel", id, "--reason", "test", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(std::string(json(r.out)["instance"]["status"].GetString()) == "cancelled");
  r = host.live({"workflows", "cancel", id});
  CHECK(r.exit_code == 1);
}
