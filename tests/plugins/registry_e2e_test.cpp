// End to end with the real `chorus` binary: discovery joins plugins and
// scripts. The calculator instances are registered as services with
// capability "statistics" while they run; the example script
// order_stats.lua reaches them with chorus.registry.request, and a script
// that registers a capability is reached by another script the same way.
#include <filesystem>
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>

#include "support/subprocess.h"
#include "support/temp_dir.h"

using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kChorus = CHORUS_BINARY;
const std::string kExamples = CHORUS_EXAMPLE_PLUGINS_DIR;
const std::string kScripts = CHORUS_SOURCE_DIR "/scripts";

void install(const std::string& from, const std::string& folder, const std::string& as) {
  const std::string tmp = folder + "/." + as + ".tmp";
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing);
  REQUIRE(::chmod(tmp.c_str(), 0755) == 0);
  REQUIRE(::rename(tmp.c_str(), (folder + "/" + as + ".so").c_str()) == 0);
}

}  // namespace

TEST_CASE("chorus run: scripts reach plugins and scripts by capability through discovery") {
  TempDir dir;
  const std::string plugins = dir.file("plugins");
  std::filesystem::create_directories(plugins);
  REQUIRE(::chmod(plugins.c_str(), 0755) == 0);
  for (const char* p : {"calculator", "order_desk"})
    install(kExamples + "/" + p + ".so", plugins, p);
  std::filesystem::create_directories(dir.file("scripts"));
  std::filesystem::copy_file(kScripts + "/order_stats.lua", dir.file("scripts/order_stats.lua"));
  dir.write("scripts/greeter.lua", R"(
chorus.registry.register{capabilities = {"greeting"}}
chorus.on("greet.request", function(req)
  chorus.reply(req, {text = "hello " .. req.data.name, by = chorus.name})
end)
)");
  dir.write("scripts/caller.lua", R"(
chorus.every(100, function()
  local r, err = chorus.registry.request("greeting", "greet.request", {name = "chorus"})
  chorus.log.info("greeting: " .. (r and (r.data.text .. " from " .. r.data.by) or err))
end)
)");
  const std::string cfg = dir.write("host.yaml", R"(host:
  data_dir: )" + dir.file("data") + R"(
  workers: 2
api:
  listen: 127.0.0.1:0
store:
  durability: none
plugins:
  folder: )" + plugins + R"(
  heartbeat_interval: 200ms
  agents:
    calculator:
      instances: [calculator-1, calculator-2]
    order_desk:
      config: {interval_ms: 50}
scripts:
  folder: )" + dir.file("scripts") + R"(
  entries:
    order_stats:
      config: {every: 100ms}
    greeter: {}
    caller: {}
)");

  Subprocess host({kChorus, "run", cfg});
  INFO(host.err());
  REQUIRE(host.wait_for_line("service 'script:greeter' registered", 20s));
  REQUIRE(host.wait_for_line("service 'calculator-1' registered", 20s));
  REQUIRE(host.wait_for_line("service 'calculator-2' registered", 20s));
  REQUIRE(host.wait_for_line("ready version=", 20s));
  // Both instances answer in turn (round robin).
  REQUIRE(host.wait_for_line("order_stats: mean order amount over the last", 20s));
  REQUIRE(host.wait_for_line("(from calculator-1)", 20s));
  REQUIRE(host.wait_for_line("(from calculator-2)", 20s));
  REQUIRE(host.wait_for_line("caller: greeting: hello chorus from greeter", 20s));

  host.signal(SIGTERM);
  auto code = host.wait_exit(30s);
  REQUIRE(code);
  CHECK(*code == 0);
  const std::string& err = host.err();
  CHECK(err.find("service 'calculator-1' unregistered") != std::string::npos);
  CHECK(err.find("service 'script:greeter' unregistered") != std::string::npos);
  CHECK(err.find(" error [") == std::string::npos);
}
