// End to end: the real `chorus` binary. run (ready line, signals, data-dir
// lock, bad configs), check (exit codes, messages, --json), version, help
// and usage errors. Every wait has a deadline; nothing sleeps.
#include <filesystem>
#include <signal.h>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include "support/subprocess.h"
#include "support/temp_dir.h"

using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kChorus = CHORUS_BINARY;

std::string config_for(const TempDir& dir, const std::string& extra = "") {
  // Port 0: tests run in parallel and must not compete for 7070.
  return dir.write("host.yaml", "host:\n  data_dir: " + dir.file("data") +
                                    "\n  workers: 2\napi:\n  listen: 127.0.0.1:0\n" + extra);
}

}  // namespace

TEST_CASE("run: prints the ready line and stops with exit 0 on SIGTERM") {
  TempDir dir;
  const std::string cfg = config_for(dir);
  Subprocess p({kChorus, "run", cfg});
  auto ready = p.wait_for_line("ready", 20s);
  INFO(p.err());
  REQUIRE(ready);
  CHECK(ready->find("version=0.1.0") != std::string::npos);
  CHECK(ready->find("config=" + cfg) != std::string::npos);
  CHECK(ready->find("data_dir=" + dir.file("data")) != std::string::npos);
  CHECK(ready->find("workers=2") != std::string::npos);
  CHECK(std::filesystem::is_directory(dir.file("data")));
  CHECK(read_file(dir.file("data/LOCK")) == std::to_string(p.pid()) + "\n");

  p.signal(SIGTERM);
  auto code = p.wait_exit(5s);
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(p.err().find("SIGTERM received: stopping") != std::string::npos);
  CHECK(p.err().find("stopped") != std::string::npos);
}

TEST_CASE("run: SIGINT stops with exit 0 and SIGHUP requests a reload") {
  TempDir dir;
  Subprocess p({kChorus, "run", config_for(dir)});
  REQUIRE(p.wait_for_line("ready", 20s));
  p.signal(SIGHUP);
  REQUIRE(p.wait_for_line("reload requested", 10s));
  p.signal(SIGINT);
  auto code = p.wait_exit(5s);
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("run: SIGHUP applies a valid edited config and refuses an invalid one") {
  TempDir dir;
  const std::string cfg = config_for(dir);
  Subprocess p({kChorus, "run", cfg});
  REQUIRE(p.wait_for_line("ready", 20s));

  // A valid edit: the log level applies now, the queue bound after a restart.
  config_for(dir, "log:\n  level: debug\nbus:\n  queue_bound: 5000\n");
  p.signal(SIGHUP);
  INFO(p.err());
  REQUIRE(p.wait_for_line(
      "reload: bus.queue_bound: (default) -> 5000 (takes effect after a restart)", 10s));
  REQUIRE(p.wait_for_line("reload: log.level: (default) -> debug (applied)", 10s));
  REQUIRE(p.wait_for_line("debug [host] reload: log level and format applied", 10s));
  REQUIRE(p.wait_for_line("reload: 2 changes read from " + cfg, 10s));

  // An invalid edit: every error with file:line:col, nothing changes.
  config_for(dir, "log:\n  level: loud\n");
  p.signal(SIGHUP);
  REQUIRE(p.wait_for_line(cfg + ":7:10: log.level: 'loud' is not valid", 10s));
  REQUIRE(p.wait_for_line("reload refused: " + cfg + " has 1 error; nothing changed", 10s));

  // The running configuration is still the valid one: reading it again
  // finds no change.
  config_for(dir, "log:\n  level: debug\nbus:\n  queue_bound: 5000\n");
  p.signal(SIGHUP);
  REQUIRE(p.wait_for_line("reload: " + cfg + " has no changes", 10s));
  p.signal(SIGTERM);
  CHECK(p.wait_exit(10s) == 0);
}

TEST_CASE("run: JSON log lines when log.format is json") {
  TempDir dir;
  Subprocess p({kChorus, "run", config_for(dir, "log:\n  format: json\n  level: debug\n")});
  auto ready = p.wait_for_line("\"msg\":\"ready ", 20s);
  REQUIRE(ready);
  rapidjson::Document d;
  d.Parse(ready->c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK(std::string(d["level"].GetString()) == "info");
  CHECK(std::string(d["logger"].GetString()) == "host");
  CHECK(std::string(d["time"].GetString()).back() == 'Z');
  p.signal(SIGTERM);
  CHECK(p.wait_exit(5s) == 0);
}

TEST_CASE("run: a second host on the same data dir is refused") {
  TempDir dir;
  const std::string cfg = config_for(dir);
  Subprocess first({kChorus, "run", cfg});
  REQUIRE(first.wait_for_line("ready", 20s));
  auto second = run_command({kChorus, "run", cfg}, 20s);
  CHECK(second.exit_code == 1);
  CHECK(second.err.find("is in use by another chorus process (pid " + std::to_string(first.pid()) +
                        ")") != std::string::npos);
  first.signal(SIGTERM);
  CHECK(first.wait_exit(5s) == 0);
}

TEST_CASE("run: a bad config exits 1 with file:line:col and touches nothing") {
  TempDir dir;
  const std::string cfg =
      dir.write("bad.yaml", "host:\n  data_dir: " + dir.file("data") + "\n  wrkers: 2\n");
  auto r = run_command({kChorus, "run", cfg}, 20s);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(cfg + ":3:3: host.wrkers: unknown key") != std::string::npos);
  CHECK(r.err.find("not started") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("data")));

  const std::string env_cfg =
      dir.write("env.yaml", "host:\n  data_dir: ${CHORUS_TEST_UNSET_VAR}\n");
  SpawnOptions opts;
  opts.unset_env = {"CHORUS_TEST_UNSET_VAR"};
  auto e = run_command({kChorus, "run", env_cfg}, 20s, opts);
  CHECK(e.exit_code == 1);
  CHECK(e.err.find(env_cfg +
                   ":2:13: host.data_dir: environment variable CHORUS_TEST_UNSET_VAR is not set") !=
        std::string::npos);

  auto missing = run_command({kChorus, "run", dir.file("missing.yaml")}, 20s);
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("missing.yaml: cannot open: No such file or directory") !=
        std::string::npos);
}

TEST_CASE("run: an unusable data dir is a clear error") {
  TempDir dir;
  dir.write("file", "not a directory");
  const std::string cfg = dir.write("host.yaml", "host:\n  data_dir: " + dir.file("file") + "\n");
  auto r = run_command({kChorus, "run", cfg}, 20s);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("data dir " + dir.file("file")) != std::string::npos);
}

TEST_CASE("check: good config exits 0 and bad config exits 1 with every error") {
  TempDir dir;
  const std::string good = config_for(dir);
  auto ok = run_command({kChorus, "check", good});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == good + ": ok\n");

  // From the repository's root, as `make run` runs it: the scripts folder
  // (./scripts) is relative to the working directory.
  SpawnOptions at_root;
  at_root.cwd = CHORUS_SOURCE_DIR;
  auto shipped = run_command({kChorus, "check", "config/host.yaml"}, 30s, at_root);
  INFO(shipped.err);
  CHECK(shipped.exit_code == 0);

  const std::string bad =
      dir.write("bad.yaml", "host:\n  workers: lots\nlog:\n  level: loud\n  colour: red\n");
  auto r = run_command({kChorus, "check", bad});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(bad + ":2:12: host.workers: 'lots' is not valid (expected auto or an integer "
                         "from 1 to 256)\n") != std::string::npos);
  CHECK(r.err.find(bad + ":4:10: log.level: 'loud' is not valid") != std::string::npos);
  CHECK(r.err.find(bad + ":5:3: log.colour: unknown key") != std::string::npos);
  CHECK(r.err.find(bad + ": 3 errors") != std::string::npos);
  CHECK_FALSE(std::filesystem::exists(dir.file("data")));
}

TEST_CASE("check --json reports errors as records") {
  TempDir dir;
  const std::string bad = dir.write("bad.yaml", "log:\n  format: xml\n");
  auto r = run_command({kChorus, "check", "--json", bad});
  CHECK(r.exit_code == 1);
  rapidjson::Document d;
  d.Parse(r.out.c_str());
  REQUIRE_FALSE(d.HasParseError());
  CHECK_FALSE(d["ok"].GetBool());
  REQUIRE(d["errors"].Size() == 1);
  const auto& e = d["errors"][0];
  CHECK(e["line"].GetInt() == 2);
  CHECK(e["column"].GetInt() == 11);
  CHECK(std::string(e["path"].GetString()) == "log.format");
  CHECK(std::string(e["message"].GetString()) == "'xml' is not valid (expected text or json)");

  auto ok = run_command({kChorus, "check", "--json", config_for(dir)});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("\"ok\":true") != std::string::npos);
}

TEST_CASE("version and help") {
  auto v = run_command({kChorus, "version"});
  CHECK(v.exit_code == 0);
  CHECK(v.out.rfind("chorus 0.1.0 (git ", 0) == 0);
  auto vj = run_command({kChorus, "version", "--json"});
  CHECK(vj.out.rfind("{\"version\":\"0.1.0\"", 0) == 0);
  auto vf = run_command({kChorus, "--version"});
  CHECK(vf.exit_code == 0);
  CHECK(vf.out.find("chorus 0.1.0") != std::string::npos);

  for (std::vector<std::string> args : {std::vector<std::string>{"--help"},
                                        {"run", "--help"},
                                        {"check", "--help"},
                                        {"version", "--help"}}) {
    args.insert(args.begin(), kChorus);
    auto h = run_command(args);
    INFO(args[1]);
    CHECK(h.exit_code == 0);
    CHECK(h.out.find("Usage:") != std::string::npos);
  }
  CHECK(run_command({kChorus, "run", "--help"}).out.find("SIGHUP") != std::string::npos);
}

TEST_CASE("usage errors exit 2 with a usage line") {
  auto unknown_flag = run_command({kChorus, "run", "--bogus", "x.yaml"});
  CHECK(unknown_flag.exit_code == 2);
  CHECK(unknown_flag.err.find("--bogus") != std::string::npos);
  CHECK(unknown_flag.err.find("Usage: chorus run") != std::string::npos);

  auto no_command = run_command({kChorus});
  CHECK(no_command.exit_code == 2);
  CHECK(no_command.err.find("Usage: chorus") != std::string::npos);

  auto unknown_command = run_command({kChorus, "frobnicate"});
  CHECK(unknown_command.exit_code == 2);

  auto check_without_file = run_command({kChorus, "check"});
  CHECK(check_without_file.exit_code == 2);
  CHECK(check_without_file.err.find("config") != std::string::npos);
}
