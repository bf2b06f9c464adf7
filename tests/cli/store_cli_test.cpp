// End to end: `chorus store ...` with the real binary. Import/export round
// trips (also of random events whose strings hold escaped control
// characters), idempotent re-import, expected-version conflicts, bad input,
// exit codes, --json, and reading while a host runs (import refused then).
// Every wait has a deadline; nothing sleeps.
#include <algorithm>
#include <map>
#include <random>
#include <signal.h>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/base64.h"
#include "core/cloudevents.h"
#include "core/text.h"
#include "core/time_format.h"
#include "core/uuid.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

using namespace chorus::test;
using namespace std::chrono_literals;

namespace {

const std::string kChorus = CHORUS_BINARY;

const char* kEvents =
    R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-000000000001","source":"t","type":"order.placed","time":"2026-01-01T00:00:01Z","stream":"order-1","correlationid":"op-1","data":{"n":1}})"
    "\n"
    R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-000000000002","source":"t","type":"order.paid","time":"2026-01-01T00:00:02Z","stream":"order-1","correlationid":"op-1","data":{"n":2}})"
    "\n"
    R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-000000000003","source":"t","type":"user.created","time":"2026-01-01T00:00:03Z","correlationid":"op-2","data":{"n":3}})"
    "\n\n"
    R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-000000000004","source":"t","type":"order.placed","time":"2026-01-01T00:00:04Z","stream":"order-2","data":{"n":4}})"
    "\n";

RunResult run_chorus(std::vector<std::string> args) {
  args.insert(args.begin(), kChorus);
  return run_command(std::move(args), 60s);
}

size_t lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// RapidJSON's SSE2 scanner reads 16 bytes at a time: parse a padded copy.
void parse(rapidjson::Document& d, const std::string& text) {
  std::string padded = text;
  padded.append(16, '\0');
  d.Parse(padded.c_str());
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t from = 0;
  for (size_t nl; (nl = s.find('\n', from)) != std::string::npos; from = nl + 1)
    out.push_back(s.substr(from, nl - from));
  if (from < s.size()) out.push_back(s.substr(from));
  return out;
}

// Export lines (CloudEvents JSON written by another writer than ours:
// RapidJSON's, which escapes control characters as \u001F or \n) of random
// events: every string mixes quotes, backslashes and multi-byte UTF-8; data
// strings and data keys also every control character U+0000..U+001F. Stream
// events carry `streamversion` as an export does.
class ExportLineGen {
 public:
  explicit ExportLineGen(uint64_t seed) : rng_(seed) {}

  std::string next() {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    auto member = [&](const char* k, const std::string& v) {
      w.Key(k);
      w.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    };
    w.StartObject();
    member("specversion", "1.0");
    member("id", chorus::new_uuid_v7().to_string());
    member("source", text(12, kFieldPieces));
    member("type", "order." + std::string(1, static_cast<char>('a' + pick(5))));
    member("time", chorus::format_rfc3339(1'700'000'000'000'000'000 +
                                          static_cast<int64_t>(pick(1u << 30)) * 1000 + 1));
    if (coin()) member("correlationid", text(12, kFieldPieces));
    if (coin()) member("target", text(12, kFieldPieces));
    if (coin()) {
      const std::string stream = "s-" + std::to_string(pick(8));
      member("stream", stream);
      w.Key("streamversion");
      w.Uint64(++versions_[stream]);
    }
    for (size_t i = pick(3); i > 0; --i)
      member(("x" + std::to_string(i) + std::string(pick(3), 'k')).c_str(), text(12, kFieldPieces));
    switch (pick(3)) {
      case 0: {
        member("datacontenttype", "application/json");
        rapidjson::StringBuffer data;
        rapidjson::Writer<rapidjson::StringBuffer> dw(data);
        json(dw, 0);
        w.Key("data");
        w.RawValue(data.GetString(), data.GetSize(), rapidjson::kObjectType);
        break;
      }
      case 1:
        member("datacontenttype", "text/plain; charset=utf-8");
        member("data", text(60, kDataPieces));
        break;
      default: {
        member("datacontenttype", "application/octet-stream");
        std::string bytes(pick(40) + 1, '\0');
        for (auto& c : bytes)
          c = static_cast<char>(rng_());
        member("data_base64", chorus::base64_encode(bytes));
      }
    }
    w.EndObject();
    return std::string(buf.GetString(), buf.GetSize());
  }

 private:
  static constexpr const char* kFieldPieces[] = {
      "a", "Z", " ", "\"", "\\", "\\u001f", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
      "/", "{}"};
  static constexpr const char* kDataPieces[] = {"a",
                                                "Z",
                                                " ",
                                                "\"",
                                                "\\",
                                                "\\u001f",
                                                "caf\xc3\xa9",
                                                "\xe2\x82\xac",
                                                "\xf0\x9f\x98\x80",
                                                "\x01",
                                                "\x08",
                                                "\x09",
                                                "\x0a",
                                                "\x0b",
                                                "\x0c",
                                                "\x0d",
                                                "\x1a",
                                                "\x1f",
                                                "\x7f",
                                                "\x10"};

  template <size_t N>
  std::string text(size_t max, const char* const (&pieces)[N]) {
    const bool data = &pieces[0] == &kDataPieces[0];
    std::string s;
    for (size_t n = 1 + pick(max); n > 0; --n) {
      s += pieces[pick(N)];
      if (data && pick(30) == 0) s += '\0';  // only data can hold a NUL
    }
    return s;
  }

  template <typename Writer>
  void json(Writer& w, int depth) {
    switch (depth > 2 ? pick(3) : pick(5)) {
      case 0: {
        const std::string s = text(20, kDataPieces);
        w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
        break;
      }
      case 1:
        w.Int64(static_cast<int64_t>(rng_()) >> pick(60));
        break;
      case 2:
        w.Bool(coin());
        break;
      case 3:
        w.StartArray();
        for (size_t i = pick(4); i > 0; --i)
          json(w, depth + 1);
        w.EndArray();
        break;
      default:
        w.StartObject();
        for (size_t i = pick(4); i > 0; --i) {
          const std::string k = text(6, kDataPieces) + std::to_string(i);  // keys differ
          w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
          json(w, depth + 1);
        }
        w.EndObject();
    }
  }

  size_t pick(size_t n) { return rng_() % n; }
  bool coin() { return rng_() & 1; }

  std::mt19937_64 rng_;
  std::map<std::string, uint64_t> versions_;
};

}  // namespace

TEST_CASE(
    "store cli: export -> import round trip of random events with escaped control characters") {
  TempDir dir;
  ExportLineGen gen(13);
  std::vector<std::string> input;
  std::string text;
  for (int i = 0; i < 400; ++i) {
    input.push_back(gen.next());
    text += input.back() + "\n";
  }
  // The generator's escapes really are in the input.
  CHECK(text.find("\\u001F") != std::string::npos);
  CHECK(text.find("\\u0000") != std::string::npos);
  CHECK(text.find("\\n") != std::string::npos);

  const std::string a = dir.file("a"), b = dir.file("b");
  auto r = run_chorus({"store", "import", dir.write("in.jsonl", text), "--data-dir", a});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("imported 400 events (0 already stored)") != std::string::npos);
  const std::string out_a = dir.file("a.jsonl"), out_b = dir.file("b.jsonl");
  REQUIRE(run_chorus({"store", "export", "--data-dir", a, "-o", out_a}).exit_code == 0);
  r = run_chorus({"store", "import", out_a, "--data-dir", b});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  REQUIRE(run_chorus({"store", "export", "--data-dir", b, "-o", out_b}).exit_code == 0);

  const std::string exported = read_file(out_a);
  // No raw control character but the line ends.
  CHECK(std::none_of(exported.begin(), exported.end(),
                     [](char c) { return c >= 0 && c < 0x20 && c != '\n'; }));
  CHECK(read_file(out_b) == exported);
  // Event by event: what was imported is what was exported, both times.
  const auto lines_a = split_lines(exported), lines_b = split_lines(read_file(out_b));
  REQUIRE(lines_a.size() == input.size());
  REQUIRE(lines_b.size() == input.size());
  size_t different = 0;
  for (size_t i = 0; i < input.size(); ++i) {
    auto in = chorus::parse_cloudevent_json(input[i]);
    auto ea = chorus::parse_cloudevent_json(lines_a[i]);
    auto eb = chorus::parse_cloudevent_json(lines_b[i]);
    REQUIRE(in.ok());
    REQUIRE(ea.ok());
    REQUIRE(eb.ok());
    if (!(**in == **ea) || !(**ea == **eb)) {
      if (++different <= 3) {
        INFO("input:    " << chorus::printable(input[i], 400));
        INFO("exported: " << chorus::printable(lines_a[i], 400));
        CHECK(**in == **ea);
        CHECK(**ea == **eb);
      }
    }
  }
  CHECK(different == 0);
  // The two stores hold the same events at the same positions.
  r = run_chorus({"store", "events", "--data-dir", a, "--json"});
  REQUIRE(r.exit_code == 0);
  auto rb = run_chorus({"store", "events", "--data-dir", b, "--json"});
  REQUIRE(rb.exit_code == 0);
  CHECK(r.out == rb.out);

  // Issue 13's line (raw 0x1F in a data string) is refused on import, by
  // line, attribute and byte, instead of being stored and exported raw.
  const std::string raw =
      R"({"specversion":"1.0","id":"01936f0e-1c2a-7b3c-8d4e-5f6a7b8c9d0e","source":"s","type":"a",)"
      "\"data\":\"$datacontenmd\x1f\x1f\x1f\"}\n";
  r = run_chorus({"store", "import", dir.write("raw.jsonl", raw), "--data-dir", dir.file("c")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("line 1: cloudevent: attribute 'data': unescaped control character U+001F at "
                   "byte " +
                   std::to_string(raw.find('\x1f'))) != std::string::npos);
}

TEST_CASE("store cli: import - read - events - export - stat") {
  TempDir dir;
  const std::string data = dir.file("data");
  const std::string in = dir.write("in.jsonl", kEvents);

  auto r = run_chorus({"store", "import", in, "--data-dir", data});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("imported 4 events (0 already stored)") != std::string::npos);

  // Importing again stores nothing new.
  r = run_chorus({"store", "import", in, "--data-dir", data, "--json"});
  REQUIRE(r.exit_code == 0);
  rapidjson::Document d;
  parse(d, r.out);
  REQUIRE_FALSE(d.HasParseError());
  CHECK(d["written"].GetUint64() == 0);
  CHECK(d["duplicates"].GetUint64() == 4);

  r = run_chorus({"store", "read", "order-1", "--data-dir", data});
  REQUIRE(r.exit_code == 0);
  CHECK(lines(r.out) == 2);
  CHECK(r.out.find("order.placed") < r.out.find("order.paid"));
  r = run_chorus(
      {"store", "read", "order-1", "--data-dir", data, "--backward", "--limit", "1", "--json"});
  REQUIRE(r.exit_code == 0);
  parse(d, r.out);
  REQUIRE_FALSE(d.HasParseError());
  REQUIRE(d.IsArray());
  REQUIRE(d.Size() == 1);
  CHECK(d[0]["version"].GetUint64() == 2);
  CHECK(std::string(d[0]["event"]["type"].GetString()) == "order.paid");

  r = run_chorus({"store", "events", "--correlation", "op-1", "--data-dir", data});
  REQUIRE(r.exit_code == 0);
  CHECK(lines(r.out) == 2);
  CHECK(r.out.find("order-1@2") != std::string::npos);
  r = run_chorus({"store", "events", "--type", "order.*", "--since", "2026-01-01T00:00:02Z",
                  "--data-dir", data, "--json"});
  REQUIRE(r.exit_code == 0);
  parse(d, r.out);
  REQUIRE(d.IsArray());
  REQUIRE(d.Size() == 2);
  CHECK(d[0]["seq"].GetUint64() == 2);
  CHECK(d[1]["seq"].GetUint64() == 4);
  r = run_chorus({"store", "events", "--data-dir", data, "--since", "2026-01-01T00:00:03Z",
                  "--until", "2026-01-01T00:00:04Z"});
  CHECK(lines(r.out) == 1);
  CHECK(r.out.find("user.created") != std::string::npos);

  // Export, import into a second store, export again: the same bytes.
  const std::string out1 = dir.file("out1.jsonl"), out2 = dir.file("out2.jsonl");
  r = run_chorus({"store", "export", "--data-dir", data, "-o", out1});
  REQUIRE(r.exit_code == 0);
  CHECK(lines(read_file(out1)) == 4);
  CHECK(read_file(out1).find("\"streamversion\":2") != std::string::npos);
  r = run_chorus({"store", "import", out1, "--data-dir", dir.file("data2")});
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  r = run_chorus({"store", "export", "--data-dir", dir.file("data2"), "-o", out2});
  REQUIRE(r.exit_code == 0);
  CHECK(read_file(out1) == read_file(out2));
  r = run_chorus({"store", "export", "--data-dir", data, "--stream", "order-1"});
  CHECK(lines(r.out) == 2);

  r = run_chorus({"store", "stat", "--data-dir", data, "--json"});
  REQUIRE(r.exit_code == 0);
  parse(d, r.out);
  REQUIRE_FALSE(d.HasParseError());
  CHECK(d["events"].GetUint64() == 4);
  CHECK(d["streams"].GetUint64() == 2);
  CHECK(d["last_seq"].GetUint64() == 4);
  CHECK(d["format"].GetUint() == 1);
  CHECK(d["databases"]["event_ids"]["entries"].GetUint64() == 4);
  r = run_chorus({"store", "stat", "--data-dir", data});
  CHECK(r.out.find("events    4") != std::string::npos);
}

TEST_CASE("store cli: import checks expected versions and names the line") {
  TempDir dir;
  const std::string data = dir.file("data");
  // Version 3 of a stream that does not exist: the expected version (2) fails.
  const std::string bad = dir.write(
      "bad.jsonl",
      R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-0000000000aa","source":"t","type":"a.b","stream":"s","streamversion":3})"
      "\n");
  auto r = run_chorus({"store", "import", bad, "--data-dir", data});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("line 1") != std::string::npos);
  CHECK(r.err.find("expected version 2, actual version no stream") != std::string::npos);

  const std::string ok = dir.write(
      "ok.jsonl",
      R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-0000000000bb","source":"t","type":"a.b","stream":"s"})"
      "\n");
  REQUIRE(run_chorus({"store", "import", ok, "--data-dir", data}).exit_code == 0);
  const std::string more = dir.write(
      "more.jsonl",
      R"({"specversion":"1.0","id":"0190a1b2-0000-7000-8000-0000000000cc","source":"t","type":"a.b","stream":"s"})"
      "\n");
  r = run_chorus({"store", "import", more, "--data-dir", data, "--expected", "no_stream"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("expected version no_stream, actual version 1") != std::string::npos);

  const std::string garbage =
      dir.write("garbage.jsonl", std::string(kEvents).substr(0, 100) + "\n");
  r = run_chorus({"store", "import", garbage, "--data-dir", data});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("line 1") != std::string::npos);
}

TEST_CASE("store cli: errors and usage") {
  TempDir dir;
  auto r = run_chorus({"store", "stat", "--data-dir", dir.file("none")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(dir.file("none") + "/store") != std::string::npos);
  CHECK(run_chorus({"store"}).exit_code == 2);
  CHECK(run_chorus({"store", "read"}).exit_code == 2);
  CHECK(run_chorus({"store", "nope"}).exit_code == 2);
  CHECK(run_chorus({"store", "import", "x", "--expected", "maybe"}).exit_code == 2);
  const std::string in = dir.write("in.jsonl", kEvents);
  REQUIRE(run_chorus({"store", "import", in, "--data-dir", dir.file("d")}).exit_code == 0);
  r = run_chorus({"store", "read", "missing", "--data-dir", dir.file("d")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("'missing' does not exist") != std::string::npos);
  CHECK(run_chorus({"store", "events", "--type", "Bad Type", "--data-dir", dir.file("d")})
            .exit_code == 2);
  CHECK(run_chorus({"store", "events", "--since", "yesterday", "--data-dir", dir.file("d")})
            .exit_code == 2);
  CHECK(run_chorus({"store", "import", dir.file("absent.jsonl"), "--data-dir", dir.file("d")})
            .exit_code == 1);
  CHECK(run_chorus({"store", "read", "--help"}).exit_code == 0);
}

TEST_CASE("store cli: reads work while a host runs - import is refused") {
  TempDir dir;
  const std::string data = dir.file("data");
  REQUIRE(run_chorus({"store", "import", dir.write("in.jsonl", kEvents), "--data-dir", data})
              .exit_code == 0);
  const std::string cfg = dir.write(
      "host.yaml", "host:\n  data_dir: " + data + "\n  workers: 2\napi:\n  listen: 127.0.0.1:0\n");
  Subprocess host({kChorus, "run", cfg});
  REQUIRE(host.wait_for_line("ready", 20s));
  CHECK(host.err().find("store open path=" + data + "/store") != std::string::npos);
  CHECK(host.err().find("last_seq=4") != std::string::npos);

  auto r = run_chorus({"store", "stat", "-c", cfg, "--json"});
  CHECK(r.exit_code == 0);
  r = run_chorus({"store", "read", "order-1", "-c", cfg});
  CHECK(r.exit_code == 0);
  CHECK(lines(r.out) == 2);
  r = run_chorus({"store", "export", "-c", cfg});
  CHECK(r.exit_code == 0);
  CHECK(lines(r.out) == 4);
  r = run_chorus({"store", "import", dir.write("x.jsonl", kEvents), "-c", cfg});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("in use by another chorus process") != std::string::npos);
  CHECK(r.err.find("stop the host first") != std::string::npos);

  host.signal(SIGTERM);
  auto code = host.wait_exit(10s);
  REQUIRE(code);
  CHECK(*code == 0);
}

TEST_CASE("store cli: a host refuses to start on a store it cannot open") {
  TempDir dir;
  // A store directory that is not an LMDB environment at all.
  const std::string other = dir.file("other");
  dir.write("other/store/data.mdb", std::string(70000, 'x'));
  const std::string cfg =
      dir.write("host.yaml", "host:\n  data_dir: " + other + "\n  workers: 2\n");
  Subprocess host({kChorus, "run", cfg});
  auto code = host.wait_exit(20s);
  REQUIRE(code);
  CHECK(*code == 1);
  CHECK(host.err().find(other + "/store") != std::string::npos);
  CHECK(host.err().find("not started") != std::string::npos);
}
