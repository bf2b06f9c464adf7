// The SDK as an author outside this tree uses it: `cmake --install` of the
// sdk component into a temporary prefix, the installed template copied,
// configured with find_package(ChorusSDK) and built with CMake as a user
// would, and the resulting my_agent.so loaded into a host, where it works.
#include <filesystem>

#include "plugin_fixture.h"
#include "plugins/elf_inspect.h"
#include "support/subprocess.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// Runs a command to completion; its output is shown when it fails.
void run(std::vector<std::string> argv) {
  std::string line;
  for (const auto& a : argv)
    line += a + " ";
  RunResult r = run_command(std::move(argv), 300s);
  INFO(line << "\n" << r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

}  // namespace

TEST_CASE("sdk: installed, the template builds out of tree and its agent runs in a host") {
  PluginFixture f;
  const std::string prefix = f.dir.file("prefix");
  run({CHORUS_CMAKE, "--install", CHORUS_BUILD_DIR, "--component", "sdk", "--prefix", prefix});

  // What the package holds: the headers, the CMake package, the docs and the template.
  for (const char* file :
       {"include/chorus/plugin.h", "include/chorus/plugin.hpp", "include/chorus/json.hpp",
        "lib/cmake/ChorusSDK/ChorusSDKConfig.cmake",
        "lib/cmake/ChorusSDK/ChorusSDKConfigVersion.cmake",
        "lib/cmake/ChorusSDK/ChorusPlugin.cmake", "lib/cmake/ChorusSDK/ChorusSDKTargets.cmake",
        "share/doc/chorus-sdk/README.md", "share/doc/chorus-sdk/ABI.md",
        "share/chorus-sdk/template/CMakeLists.txt", "share/chorus-sdk/template/my_agent.cpp"}) {
    INFO(file);
    CHECK(fs::exists(prefix + "/" + file));
  }
  CHECK(!fs::exists(prefix + "/bin"));  // nothing of the host comes with it

  // The author's side: a copy of the template, configured and built.
  const std::string src = f.dir.file("my_agent");
  fs::copy(prefix + "/share/chorus-sdk/template", src, fs::copy_options::recursive);
  const std::string build = src + "/build";
  run({CHORUS_CMAKE, "-S", src, "-B", build, "-DCMAKE_PREFIX_PATH=" + prefix,
       "-DCMAKE_BUILD_TYPE=Release"});
  run({CHORUS_CMAKE, "--build", build});
  const std::string so = build + "/my_agent.so";
  REQUIRE(fs::exists(so));
  auto elf = plugins::inspect_elf(read_file(so), "chorus_plugin_entry", so);
  REQUIRE(elf.ok());
  CHECK(elf->defines_entry);
  CHECK(elf->gnu_unique.empty());  // chorus_add_plugin passed -fno-gnu-unique

  // Loaded into a host, it answers a ping.
  f.settings("my_agent").config_json = R"({"greeting": "hi from outside", "interval_ms": 20})";
  f.install_file(so, "my_agent");
  f.start();
  REQUIRE(f.wait_lifecycle("started", "my_agent"));
  REQUIRE(f.log.wait_type("my_agent.tick"));
  auto ping = EventBuilder("my_agent.ping").source("test").build();
  REQUIRE(ping.ok());
  REQUIRE(f.bus->publish(*ping).ok());
  EventPtr pong = f.log.wait_type("my_agent.pong");
  REQUIRE(pong);
  CHECK(data_field(*pong, "greeting") == "hi from outside");
  CHECK(pong->causation_id() == (*ping)->id().to_string());
}
