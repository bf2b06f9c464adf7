// Lua filters named in a plugin's settings (`plugins.agents.<name>.filters`):
// a real ScriptHost lends a script's function to the plugin host, which
// applies it to events of the filter's pattern before the plugin's own
// subscriptions take them; events of other types pass; a filter naming a
// missing function keeps the plugin from loading, saying which.
#include <memory>

#include "lua/script_host.h"
#include "plugin_fixture.h"

using namespace chorus;
using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kFilterScript = R"(
function big_only(ev)
  return ev.data.n >= 10
end
)";

struct LuaFilterFixture {
  PluginFixture f;
  std::unique_ptr<lua::ScriptHost> scripts;

  LuaFilterFixture() {
    f.dir.write("scripts/gate.lua", kFilterScript);
    lua::ScriptHostOptions o;
    o.folder = f.dir.file("scripts");
    o.watch = false;
    lua::ScriptSpec s;
    s.name = "gate";
    s.file = "gate.lua";
    o.scripts.push_back(s);
    scripts = std::make_unique<lua::ScriptHost>(
        std::move(o), lua::ScriptHostServices{&f.io.io, f.bus.get(), nullptr, nullptr, {}});
    REQUIRE(scripts->start().ok());
    lua::ScriptHost* host = scripts.get();
    f.options().script_filters = [host](std::string_view script,
                                        std::string_view function) -> Result<plugins::EventFilter> {
      CHORUS_ASSIGN_OR_RETURN(bus::Filter fn, host->filter(script, function));
      return plugins::EventFilter(std::move(fn));
    };
  }
  ~LuaFilterFixture() {
    f.stop_host();
    scripts->stop();
  }
};

}  // namespace

TEST_CASE("a Lua filter in a plugin's settings decides which events of its pattern reach it") {
  LuaFilterFixture x;
  PluginFixture& f = x.f;
  f.settings("probe").config_json = R"({"subscribe": ["probe.in", "probe.other"]})";
  f.settings("probe").filters.push_back({"probe.in", "gate", "big_only"});
  f.install("probe_v1", "probe");
  f.start();
  REQUIRE(f.wait_lifecycle("started", "probe"));

  for (int n : {1, 12, 3, 40})
    REQUIRE(f.publish("probe.in", n).ok());
  REQUIRE(f.publish("probe.other", 2).ok());  // not the filter's pattern: passes
  auto seen = [&](const std::string& type, double n) {
    return [type, n](const Event& e) {
      return e.type() == "probe.seen" && data_field(e, "type") == type && data_number(e, "n") == n;
    };
  };
  REQUIRE(f.log.wait_for(seen("probe.other", 2)));
  REQUIRE(f.log.wait_for(seen("probe.in", 40)));
  REQUIRE(f.log.wait_for(seen("probe.in", 12)));
  // Deliveries to one subscriber are in order: once 40 was seen, 1 and 3
  // were refused, not late.
  CHECK(f.log.count(seen("probe.in", 1)) == 0);
  CHECK(f.log.count(seen("probe.in", 3)) == 0);
}

TEST_CASE("a plugin whose Lua filter names a missing function is not loaded, saying which") {
  LuaFilterFixture x;
  PluginFixture& f = x.f;
  f.settings("probe").filters.push_back({"probe.in", "gate", "big_onyl"});
  f.install("probe_v1", "probe");
  f.start();
  EventPtr failed = f.wait_lifecycle("failed", "probe");
  REQUIRE(failed);
  const std::string error = data_field(*failed, "error");
  INFO(error);
  CHECK(error.find("filters: 'probe.in': gate.big_onyl") != std::string::npos);
  CHECK(error.find("script gate defines no global function 'big_onyl'") != std::string::npos);
}
