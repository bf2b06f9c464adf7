// Opening a store: creation, reopen, a newer format, something that is not a
// store, permissions, double open, read-only mode; corrupt bytes on disk.
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "raw_env.h"
#include "store/internal/store_format.h"
#include "store_test_util.h"

using namespace chorus;
using namespace chorus::store;
using namespace chorus::test;

TEST_CASE("env: create - reopen - format version recorded") {
  TempDir dir;
  auto o = options_for(dir);
  {
    auto store = open_store(o);
    REQUIRE(store->append(ev()).ok());
    auto st = store->stats();
    REQUIRE(st.ok());
    CHECK(st->format_version == kStoreFormatVersion);
    CHECK(st->databases.size() == 12);
    CHECK(st->last_seq == 1);
  }
  auto store = open_store(o);
  CHECK(store->read_all(1)->events.size() == 1);
}

TEST_CASE("env: a store from a newer format version is refused - untouched") {
  TempDir dir;
  auto o = options_for(dir);
  { open_store(o); }
  {
    RawEnv raw(o.path);
    char b[4];
    put_be32(b, kStoreFormatVersion + 1);
    raw.put(raw.dbi("meta"), "format", {b, 4});
  }
  const auto size_before = std::filesystem::file_size(o.path + "/data.mdb");
  auto s = EventStore::open(o);
  CHECK(s.status().is(StatusCode::kNotSupported));
  CHECK(s.status().message().find(o.path) != std::string::npos);
  CHECK(s.status().message().find("newer") != std::string::npos);
  CHECK(std::filesystem::file_size(o.path + "/data.mdb") == size_before);
  o.read_only = true;
  CHECK(EventStore::open(o).status().is(StatusCode::kNotSupported));
}

TEST_CASE("env: things that are not a store") {
  TempDir dir;
  SECTION("someone else's LMDB environment") {
    const std::string path = dir.file("other");
    std::filesystem::create_directories(path);
    {
      RawEnv raw(path);
      raw.put(raw.dbi("theirs", MDB_CREATE), "k", "v");
    }
    StoreOptions o;
    o.path = path;
    auto s = EventStore::open(o);
    CHECK(s.status().is(StatusCode::kCorruption));
    CHECK(s.status().message().find("not a chorus store") != std::string::npos);
  }
  SECTION("a data.mdb of garbage") {
    const std::string path = dir.file("garbage");
    std::filesystem::create_directories(path);
    std::ofstream(path + "/data.mdb") << std::string(100000, 'g');
    StoreOptions o;
    o.path = path;
    auto s = EventStore::open(o);
    CHECK_FALSE(s.ok());
    CHECK(s.status().message().find(path) != std::string::npos);
  }
  SECTION("a file where the directory should be") {
    const std::string path = dir.write("file", "x");
    StoreOptions o;
    o.path = path;
    auto s = EventStore::open(o);
    CHECK_FALSE(s.ok());
    CHECK(s.status().message().find(path) != std::string::npos);
  }
  SECTION("read-only where there is no store") {
    StoreOptions o;
    o.path = dir.file("none");
    o.read_only = true;
    auto s = EventStore::open(o);
    CHECK(s.status().is(StatusCode::kNotFound));
    CHECK(s.status().message().find(o.path) != std::string::npos);
  }
}

TEST_CASE("env: permission denied names the path") {
  if (::geteuid() == 0) return;  // root ignores file modes
  TempDir dir;
  const std::string locked = dir.file("locked");
  std::filesystem::create_directories(locked);
  ::chmod(locked.c_str(), 0500);
  StoreOptions o;
  o.path = locked + "/store";
  auto s = EventStore::open(o);
  ::chmod(locked.c_str(), 0700);
  CHECK(s.status().is(StatusCode::kPermissionDenied));
  CHECK(s.status().message().find(o.path) != std::string::npos);
}

TEST_CASE("env: one open per process - read-only refuses writes") {
  TempDir dir;
  auto o = options_for(dir);
  {
    auto store = open_store(o);
    auto twice = EventStore::open(o);
    CHECK(twice.status().is(StatusCode::kFailedPrecondition));
    REQUIRE(store->append("s", evs(3, "s")).ok());
  }
  o.read_only = true;
  auto ro = open_store(o);
  CHECK(ro->read_stream("s", 1)->events.size() == 3);
  auto r = ro->append(ev());
  CHECK(r.status.is(StatusCode::kFailedPrecondition));
  CHECK(r.status.message().find("read-only") != std::string::npos);
  CHECK(ro->save_snapshot("s", 1, "x").is(StatusCode::kFailedPrecondition));
  GroupOptions g;
  g.name = "g";
  g.type_pattern = "a.b";
  CHECK(ro->consumer_group(g).status().is(StatusCode::kFailedPrecondition));
  CHECK(ro->stats()->read_only);
}

TEST_CASE("env: stored bytes that do not decode give Corruption with the sequence number") {
  TempDir dir;
  auto o = options_for(dir);
  {
    auto store = open_store(o);
    REQUIRE(store->append("s", evs(3, "s")).ok());
  }
  SECTION("a flipped byte in a record") {
    {
      RawEnv raw(o.path);
      MDB_dbi events = raw.dbi("events");
      Key8 k(2);
      std::string v = raw.get(events, k.view());
      v[v.size() / 2] ^= 0x5a;
      raw.put(events, k.view(), v);
    }
    auto store = open_store(o);
    auto all = store->read_all(1);
    CHECK(all.status().is(StatusCode::kCorruption));
    CHECK(all.status().message().find("seq 2") != std::string::npos);
    CHECK(all.status().message().find(o.path) != std::string::npos);
    // Other events still read.
    CHECK(store->read_all(3)->events.size() == 1);
    CHECK(store->read_stream("s", 2).status().is(StatusCode::kCorruption));
  }
  SECTION("a truncated value, and a value version from the future") {
    {
      RawEnv raw(o.path);
      MDB_dbi events = raw.dbi("events");
      Key8 k1(1), k3(3);
      raw.put(events, k1.view(), std::string("\x01\x00\x00", 3));
      std::string v = raw.get(events, k3.view());
      v[0] = 9;
      raw.put(events, k3.view(), v);
    }
    auto store = open_store(o);
    auto a = store->read_all(1, Direction::kForward, 1);
    CHECK(a.status().is(StatusCode::kCorruption));
    CHECK(a.status().message().find("seq 1") != std::string::npos);
    auto c = store->read_all(3);
    CHECK(c.status().is(StatusCode::kNotSupported));
    CHECK(c.status().message().find("seq 3") != std::string::npos);
  }
  SECTION("a damaged stream record") {
    {
      RawEnv raw(o.path);
      raw.put(raw.dbi("streams"), "s", "\x01garbage");
    }
    auto store = open_store(o);
    CHECK(store->read_stream("s", 1).status().is(StatusCode::kCorruption));
    auto r = store->append("s", evs(1, "s"));
    CHECK(r.status.is(StatusCode::kCorruption));
    CHECK(r.status.message().find("'s'") != std::string::npos);
    // Appends elsewhere are unaffected.
    CHECK(store->append("t", evs(1, "t")).ok());
  }
}
