// Every refusal of the loader, with real files and real dlopen: each is an
// agent.failed event and a failure record naming the file and what was
// wrong, and the host goes on loading other plugins.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin_fixture.h"

using namespace chorus;
using namespace chorus::test;

namespace {

// Waits for agent.failed about `file`; returns its error text.
std::string failure_of(PluginFixture& f, const std::string& file) {
  EventPtr e = f.log.wait_for(
      [&](const Event& x) { return x.type() == "agent.failed" && data_field(x, "file") == file; });
  REQUIRE(e);
  return data_field(*e, "error");
}

// The host still loads a good plugin after a refusal.
void still_loads_others(PluginFixture& f) {
  f.install("probe_v1", "good");
  REQUIRE(f.wait_lifecycle("started", "probe"));
}

}  // namespace

TEST_CASE("a plugin built for another ABI major is refused, naming the file and both versions") {
  PluginFixture f;
  const std::string file = f.install("abi_major", "abi_major");
  f.start();
  const std::string err = failure_of(f, file);
  CHECK(err.find(file) != std::string::npos);
  CHECK(err.find("plugin ABI 2.0") != std::string::npos);
  CHECK(err.find("this host has ABI 1.0") != std::string::npos);
  CHECK(f.host().plugins().empty());
  still_loads_others(f);
}

TEST_CASE("a plugin built for a newer ABI minor is refused") {
  PluginFixture f;
  const std::string file = f.install("abi_minor", "abi_minor");
  f.start();
  const std::string err = failure_of(f, file);
  CHECK(err.find("plugin ABI 1.3, newer than this host's ABI 1.0") != std::string::npos);
  still_loads_others(f);
}

TEST_CASE("malformed descriptors are refused: too small, NULL, no init") {
  PluginFixture f;
  const std::string small = f.install("abi_small", "abi_small");
  const std::string null = f.install("abi_null", "abi_null");
  const std::string noinit = f.install("abi_noinit", "abi_noinit");
  f.start();
  CHECK(failure_of(f, small).find("struct_size 16 is smaller than ABI 1.0's") != std::string::npos);
  CHECK(failure_of(f, null).find("chorus_plugin_entry() returned NULL") != std::string::npos);
  CHECK(failure_of(f, noinit).find("'bad_abi' has no init callback") != std::string::npos);
  CHECK(f.host().failures().size() == 3);
  still_loads_others(f);
}

TEST_CASE("a library without the entry symbol is refused before any of its code runs") {
  PluginFixture f;
  f.start();
  const std::string file = f.install("no_entry", "no_entry");
  const std::string err = failure_of(f, file);
  CHECK(err.find("no entry symbol 'chorus_plugin_entry'") != std::string::npos);
  still_loads_others(f);
}

TEST_CASE("a file that is not ELF, or is cut short, is refused") {
  PluginFixture f;
  f.start();
  const std::string text = f.dir.write("plugins/.notes.tmp", "these are not machine instructions");
  const std::string not_elf = f.folder() + "/notes.so";
  REQUIRE(::rename(text.c_str(), not_elf.c_str()) == 0);
  CHECK(failure_of(f, not_elf).find("not an ELF file") != std::string::npos);

  const std::string bytes = built_plugin("probe_v1");
  const std::string half = f.dir.write("plugins/.half.tmp", bytes.substr(0, bytes.size() / 2));
  const std::string truncated = f.folder() + "/half.so";
  REQUIRE(::rename(half.c_str(), truncated.c_str()) == 0);
  CHECK(failure_of(f, truncated).find("file truncated") != std::string::npos);
  still_loads_others(f);
}

TEST_CASE("a file still being written is not loaded until its writer closes it") {
  PluginFixture f;
  f.start();
  const std::string bytes = built_plugin("probe_v1");
  const std::string path = f.folder() + "/slow.so";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, bytes.data(), bytes.size() / 2) > 0);
  // The watcher handles changes in order: once a later file is loaded, the
  // half-written one has been seen, and ignored.
  f.install("abi_major", "later");
  REQUIRE(f.log.wait_type("agent.failed"));
  CHECK(f.log.count([&](const Event& e) { return data_field(e, "file") == path; }) == 0);

  size_t put = bytes.size() / 2;
  while (put < bytes.size())
    put += static_cast<size_t>(::write(fd, bytes.data() + put, bytes.size() - put));
  ::close(fd);
  EventPtr started = f.wait_lifecycle("started", "probe");
  REQUIRE(started);
  CHECK(data_field(*started, "file") == path);
}

TEST_CASE("a group-writable plugin file is refused, and loaded once it is fixed") {
  PluginFixture f;
  const std::string bytes = built_plugin("probe_v1");
  const std::string tmp = f.dir.write("plugins/.w.tmp", bytes);
  REQUIRE(::chmod(tmp.c_str(), 0775) == 0);
  const std::string file = f.folder() + "/writable.so";
  REQUIRE(::rename(tmp.c_str(), file.c_str()) == 0);
  f.start();
  const std::string err = failure_of(f, file);
  CHECK(err.find(file + ": refused: writable by group (mode 0775") != std::string::npos);
  CHECK(f.host().plugins().empty());

  REQUIRE(::chmod(file.c_str(), 0755) == 0);  // IN_ATTRIB: tried again
  REQUIRE(f.wait_lifecycle("started", "probe"));
}

TEST_CASE("a plugin file owned by another user is refused") {
  if (::geteuid() != 0) {
    WARN("not root: cannot give a file to another user; skipped");
    return;
  }
  PluginFixture f;
  const std::string file = f.install("probe_v1", "foreign");
  REQUIRE(::chown(file.c_str(), 65534, 65534) == 0);
  f.start();
  CHECK(failure_of(f, file).find("owned by uid 65534, not by this user (uid 0) or root") !=
        std::string::npos);
}

TEST_CASE("a plugins folder writable by others loads nothing and says why") {
  PluginFixture f;
  f.install("probe_v1", "probe");
  REQUIRE(::chmod(f.folder().c_str(), 0777) == 0);
  f.start();
  const auto failures = f.host().failures();
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].stage == "folder");
  CHECK(failures[0].error.find(f.folder() + ": folder refused: writable by group and others") !=
        std::string::npos);
  CHECK(f.host().plugins().empty());
}

TEST_CASE("a plugin whose init fails is reported and the host goes on") {
  PluginFixture f;
  f.settings("probe").config_json = R"({"fail_init": true})";
  const std::string file = f.install("probe_v1", "probe");
  f.start();
  EventPtr e = f.wait_lifecycle("failed", "probe");
  REQUIRE(e);
  CHECK(data_field(*e, "stage") == "init");
  CHECK(data_field(*e, "error").find("probe (" + file + "): init failed: fail_init is set") !=
        std::string::npos);
  CHECK(data_field(*e, "still_running") == "false");
  CHECK(f.host().plugins().empty());
  f.install("gnu_unique", "unique");  // another plugin still loads
  REQUIRE(f.wait_lifecycle("started", "unique"));
}

TEST_CASE("a library with GNU unique symbols loads with a warning naming one") {
  PluginFixture f;
  f.install("gnu_unique", "unique");
  f.start();
  REQUIRE(f.wait_lifecycle("started", "unique"));
  auto info = f.info("unique");
  REQUIRE(info);
  REQUIRE(!info->warnings.empty());
  bool named = false;
  for (const auto& w : info->warnings)
    named = named || w.find("shared_counter()::counter") != std::string::npos;
  CHECK(named);
}

TEST_CASE("two plugins may not take the same instance name") {
  PluginFixture f;
  f.install("probe_v1", "first");
  f.start();
  REQUIRE(f.wait_lifecycle("started", "probe"));
  const std::string second = f.install("probe_v2", "second");
  const std::string err = failure_of(f, second);
  CHECK(err.find("instance name 'probe' is already used by " + f.folder() + "/first.so") !=
        std::string::npos);
  auto info = f.info("probe");
  REQUIRE(info);
  CHECK(info->agent.version == "1.0.0");
}
