// End to end with the real `chorus` binary: the example agents load from a
// plugins folder and show their work in the log; a plugin dropped into the
// folder of the running host starts, a replaced one reloads, a removed one
// stops; SIGHUP applies a changed `plugins:` section; SIGTERM unloads
// everything. Every wait has a deadline.
#include <filesystem>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support/subprocess.h"
#include "support/temp_dir.h"

using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kChorus = CHORUS_BINARY;
const std::string kExamples = CHORUS_EXAMPLE_PLUGINS_DIR;
const std::string kTestPlugins = CHORUS_TEST_PLUGINS_DIR;

// Copies a built .so into `folder` as <as>.so (to a temporary name, then
// renamed: how a file should be installed into a watched folder).
void install(const std::string& from, const std::string& folder, const std::string& as) {
  const std::string tmp = folder + "/." + as + ".tmp";
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing);
  REQUIRE(::chmod(tmp.c_str(), 0755) == 0);
  REQUIRE(::rename(tmp.c_str(), (folder + "/" + as + ".so").c_str()) == 0);
}

std::string config(const TempDir& dir, const std::string& order_desk_enabled) {
  return dir.write("host.yaml", R"(host:
  data_dir: )" + dir.file("data") + R"(
  workers: 2
api:
  listen: 127.0.0.1:0
store:
  durability: none
  persist: ["sensor.**", "safety.**", "order.**", "report.**"]
plugins:
  folder: )" + dir.file("plugins") + R"(
  heartbeat_interval: 200ms
  agents:
    sensor_gateway:
      config: {interval_ms: 20, hot_every: 5, summary_every: 10}
    temperature_monitor:
      config: {threshold: 80.0}
    data_logger:
      config: {summary_ms: 300}
    calculator:
      instances: [calculator-1, calculator-2]
    order_desk:
      enabled: )" + order_desk_enabled +
                                    R"(
      config: {interval_ms: 50}
    probe:
      publish: ["probe.**"]
)");
}

}  // namespace

TEST_CASE("chorus run: the example agents work, and plugins come and go with the folder") {
  TempDir dir;
  const std::string folder = dir.file("plugins");
  std::filesystem::create_directories(folder);
  REQUIRE(::chmod(folder.c_str(), 0755) == 0);
  for (const char* p : {"sensor_gateway", "temperature_monitor", "data_logger", "calculator",
                        "order_desk", "validator", "reporter"})
    install(kExamples + "/" + p + ".so", folder, p);
  const std::string cfg = config(dir, "true");

  Subprocess host({kChorus, "run", cfg});
  INFO(host.err());
  // (Each wait reads on from the line the previous one matched.)
  REQUIRE(host.wait_for_line(
      "calculator.so: calculator-1, calculator-2 started (capabilities: statistics)", 20s));
  REQUIRE(host.wait_for_line("ready version=", 20s));
  REQUIRE(host.wait_for_line("[temperature_monitor] ALERT sensor s3 at", 20s));
  // Plugins load in file-name order, so the first orders may be submitted
  // before the validator subscribed: later ones go all the way.
  REQUIRE(host.wait_for_line("[reporter] order o-21 (c-2): rejected, item A1 has quantity 0", 20s));
  REQUIRE(host.wait_for_line("[reporter] order o-22 (c-3): priced", 20s));
  REQUIRE(host.wait_for_line("[data_logger] last 300 ms:", 20s));
  REQUIRE(host.wait_for_line("readings published; latest: s1 ", 20s));

  // Drop-in, replace, remove, on the running host.
  install(kTestPlugins + "/probe_v1.so", folder, "probe");
  REQUIRE(
      host.wait_for_line("loaded probe 1.0.0 from " + folder + "/probe.so: probe started", 20s));
  install(kTestPlugins + "/probe_v2.so", folder, "probe");
  REQUIRE(host.wait_for_line("reloaded probe 1.0.0 -> 2.0.0 from " + folder + "/probe.so", 20s));
  install(kTestPlugins + "/probe_badinit.so", folder, "probe");
  REQUIRE(host.wait_for_line(folder + "/probe.so: the new version was not loaded; the running "
                                      "one stays",
                             20s));
  REQUIRE(::unlink((folder + "/probe.so").c_str()) == 0);
  REQUIRE(host.wait_for_line("unloaded probe 2.0.0 from " + folder + "/probe.so (removed)", 20s));

  // SIGHUP: a changed plugins section applies now.
  config(dir, "false");
  host.signal(SIGHUP);
  REQUIRE(host.wait_for_line("reload: plugins.agents.order_desk.enabled: true -> false (applied)",
                             20s));
  REQUIRE(host.wait_for_line(
      "unloaded order_desk 1.0.0 from " + folder + "/order_desk.so (disabled)", 20s));

  host.signal(SIGTERM);
  auto code = host.wait_exit(30s);
  REQUIRE(code);
  CHECK(*code == 0);
  CHECK(host.err().find("unloaded calculator 1.0.0 from " + folder + "/calculator.so (shutdown)") !=
        std::string::npos);
  // The one error-level line is the failed replace.
  const std::string& err = host.err();
  const size_t first = err.find(" error [");
  CHECK(first != std::string::npos);
  CHECK(err.find(" error [", first + 1) == std::string::npos);
}

TEST_CASE("chorus run: a bad plugin is reported and the host runs on") {
  TempDir dir;
  const std::string folder = dir.file("plugins");
  std::filesystem::create_directories(folder);
  REQUIRE(::chmod(folder.c_str(), 0755) == 0);
  install(kTestPlugins + "/abi_major.so", folder, "old_agent");
  Subprocess host({kChorus, "run", config(dir, "true")});
  INFO(host.err());
  REQUIRE(
      host.wait_for_line(folder + "/old_agent.so: not loaded: " + folder +
                             "/old_agent.so: built for plugin ABI 2.0, but this host has ABI 1.0",
                         20s));
  REQUIRE(host.wait_for_line("ready version=", 20s));
  host.signal(SIGTERM);
  auto code = host.wait_exit(30s);
  REQUIRE(code);
  CHECK(*code == 0);
}
