// `chorus plugins`, `chorus scripts` and `chorus registry` of the real
// binary against a real `chorus run` (its API on a free port read from its
// log) with a real test plugin and a real Lua script: the text output,
// --json, and the exit codes (0 ok, 1 error, 2 usage, 3 not found, 4
// unavailable).
#include <filesystem>
#include <fstream>
#include <regex>
#include <signal.h>
#include <sys/stat.h>

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
const std::string kTestPlugins = CHORUS_TEST_PLUGINS_DIR;

// A running host with the probe plugin (answering calc.ask) and one script.
struct Host {
  TempDir dir;
  std::unique_ptr<Subprocess> process;
  std::string addr;

  Host() {
    const std::string plugins = dir.file("plugins");
    const std::string scripts = dir.file("scripts");
    std::filesystem::create_directories(plugins);
    std::filesystem::create_directories(scripts);
    REQUIRE(::chmod(plugins.c_str(), 0755) == 0);
    install("probe_v1", "probe");
    dir.write("scripts/counter.lua", "chorus.on('count.me', function(ev) end)\n");
    const std::string config = dir.write("host.yaml", R"(host:
  data_dir: )" + dir.file("data") + R"(
  workers: 2
api:
  listen: 127.0.0.1:0
plugins:
  folder: )" + plugins + R"(
  watch: false
  agents:
    probe:
      config: {requests: calc.ask}
scripts:
  folder: )" + scripts + R"(
  watch: false
  entries:
    counter: {}
)");
    process = std::make_unique<Subprocess>(std::vector<std::string>{kChorus, "run", config});
    addr = wait_for_api(*process);
  }
  ~Host() {
    process->signal(SIGTERM);
    process->wait_exit(20s);
  }
  void install(const std::string& plugin, const std::string& as) {
    const std::string folder = dir.file("plugins");
    const std::string tmp = folder + "/." + as + ".tmp";
    std::filesystem::copy_file(kTestPlugins + "/" + plugin + ".so", tmp,
                               std::filesystem::copy_options::overwrite_existing);
    REQUIRE(::chmod(tmp.c_str(), 0755) == 0);
    REQUIRE(::rename(tmp.c_str(), (folder + "/" + as + ".so").c_str()) == 0);
  }
  RunResult run(std::vector<std::string> args) const {
    args.insert(args.begin(), kChorus);
    args.push_back("--addr");
    args.push_back(addr);
    return run_command(args, 30s);
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("cli live: chorus plugins list, reload, unload, load") {
  Host host;
  auto r = host.run({"plugins"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "1 plugin instance running"));
  CHECK(contains(r.out, "probe  probe 1.0.0  " + host.dir.file("plugins") + "/probe.so"));

  r = host.run({"plugins", "list", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(json(r.out)["plugins"].Size() == 1);

  host.install("probe_v2", "probe");
  r = host.run({"plugins", "reload", "probe"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "reloaded probe"));
  CHECK(contains(r.out, "probe 2.0.0"));

  r = host.run({"plugins", "unload", "probe"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "unloaded probe"));
  r = host.run({"plugins", "unload", "probe"});
  CHECK(r.exit_code == 3);
  CHECK(contains(r.err, "no loaded plugin, instance or file is named 'probe'"));

  r = host.run({"plugins", "load", "probe.so", "--json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(std::string(json(r.out)["loaded"].GetString()) == "probe.so");
  r = host.run({"plugins", "load", "probe.so"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "is loaded already"));

  host.install("probe_badinit", "bad");
  r = host.run({"plugins", "load", "bad.so"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "bad.so: init failed"));
  r = host.run({"plugins"});
  CHECK(contains(r.out, "FAILED " + host.dir.file("plugins") + "/bad.so (init)"));

  CHECK(host.run({"plugins", "reload"}).exit_code == 2);  // missing NAME
}

TEST_CASE("cli live: chorus scripts list and reload") {
  Host host;
  auto r = host.run({"scripts"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "1 script"));
  CHECK(contains(r.out, "counter  loaded"));

  r = host.run({"scripts", "reload", "counter", "--json"});
  REQUIRE(r.exit_code == 0);
  CHECK(json(r.out)["script"]["generation"].GetUint64() == 2);

  host.dir.write("scripts/counter.lua", "chorus.on('count.me', function(ev)\n");
  r = host.run({"scripts", "reload", "counter"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "counter.lua:"));
  r = host.run({"scripts", "list"});
  CHECK(contains(r.out, "last error:"));
  r = host.run({"scripts", "reload", "nothere"});
  CHECK(r.exit_code == 3);
}

TEST_CASE("cli live: chorus registry register, list, select, heartbeat, unregister") {
  Host host;
  auto r = host.run({"registry", "register", "calc-1", "--agent", "probe", "--capability", "math",
                     "--tag", "eu", "--ttl", "0", "--meta", "zone=a"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "registered calc-1"));
  CHECK(contains(r.out, "calc-1  healthy  agent  agent probe  capabilities math  tags eu"));
  r = host.run({"registry", "register", "calc-1", "--capability", "math"});
  CHECK(r.exit_code == 1);
  CHECK(contains(r.err, "calc-1"));
  r = host.run({"registry", "register", "calc-2", "--meta", "novalue"});
  CHECK(r.exit_code == 2);

  r = host.run({"registry", "list", "--capability", "math", "--json"});
  REQUIRE(r.exit_code == 0);
  auto d = json(r.out);
  CHECK(d["count"].GetUint64() == 1);
  CHECK(std::string(d["services"][0]["metadata"]["zone"].GetString()) == "a");
  r = host.run({"registry", "list"});
  CHECK(contains(r.out, "2 services"));  // calc-1, and the loaded probe, which registers itself
  CHECK(contains(r.out, "calc-1  healthy"));

  r = host.run({"registry", "select", "math"});
  REQUIRE(r.exit_code == 0);
  CHECK(contains(r.out, "calc-1  healthy"));
  r = host.run({"registry", "select", "poetry"});
  CHECK(r.exit_code == 4);
  CHECK(contains(r.err, "poetry"));

  // A request by capability reaches the plugin through discovery.
  r = host.run({"request", "calc.ask", "--data", R"({"n":7})", "--capability", "math", "--json"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  d = json(r.out);
  CHECK(std::string(d["type"].GetString()) == "probe.reply");
  CHECK(d["data"]["n"].GetInt() == 7);
  r = host.run({"request", "calc.ask", "--capability", "poetry"});
  CHECK(r.exit_code == 4);

  CHECK(host.run({"registry", "heartbeat", "calc-1"}).exit_code == 0);
  CHECK(host.run({"registry", "heartbeat", "nothere"}).exit_code == 3);
  CHECK(host.run({"registry", "show", "calc-1"}).exit_code == 0);
  r = host.run({"registry", "unregister", "calc-1"});
  CHECK(r.exit_code == 0);
  CHECK(contains(r.out, "unregistered calc-1"));
  CHECK(host.run({"registry", "unregister", "calc-1"}).exit_code == 3);
  CHECK(host.run({"registry"}).exit_code == 2);
}

TEST_CASE("cli live: plugins, scripts and registry say when no host answers") {
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"plugins"}, {"scripts"}, {"registry", "list"}}) {
    std::vector<std::string> a = args;
    a.insert(a.begin(), kChorus);
    a.insert(a.end(), {"--addr", "127.0.0.1:1"});
    auto r = run_command(a, 30s);
    INFO(r.err);
    CHECK(r.exit_code == 4);
    CHECK(contains(r.err, "127.0.0.1:1"));
  }
}
