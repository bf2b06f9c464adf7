// The `chorus test` harness: test files in a plain LuaJIT state, each case
// on a fresh host (store, bus, scripts, engine with virtual time); with the
// crash matrix, each case again per crash point, its host restarted from
// the store a crash there leaves (crash_matrix.h).
#include "workflows/test_runner.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include <fmt/core.h>
#include <lua.hpp>

#include "lua/lua_json.h"
#include "workflows/crash_matrix.h"
#include "workflows/history_reader.h"
#include "workflows/test_host.h"

namespace chorus::workflows {
namespace {

namespace fs = std::filesystem;

const char kHarnessMeta[] = "chorus.test.harness";

Harness& harness(lua_State* L) {
  return **static_cast<Harness**>(luaL_checkudata(L, 1, kHarnessMeta));
}

void started_or_raise(lua_State* L, Harness& h) {
  if (Status s = h.start(); !s.ok())
    luaL_error(L, "the test host did not start: %s", s.message().c_str());
}

void settle_or_raise(lua_State* L, Harness& h) {
  if (Status s = h.settle(); !s.ok())
    luaL_error(L, "the test host did not restart after its crash: %s", s.message().c_str());
}

void before_action_or_raise(lua_State* L, Harness& h) {
  if (Status s = h.before_action(); !s.ok())
    luaL_error(L, "the test host did not restart after its crash: %s", s.message().c_str());
}

int h_load(lua_State* L) {
  Harness& h = harness(L);
  if (h.started) return luaL_error(L, "h:load: load every script before the first publish");
  lua::ScriptSpec s;
  s.file = luaL_checkstring(L, 2);
  s.name = fs::path(s.file).stem().string();
  if (!lua_isnoneornil(L, 3)) {
    std::string err;
    if (!lua::encode_json(L, 3, s.config_json, &err))
      return luaL_error(L, "h:load: config: %s", err.c_str());
  }
  h.specs.push_back(std::move(s));
  return 0;
}

int h_respond(lua_State* L) {
  Harness& h = harness(L);
  if (h.started) return luaL_error(L, "h:respond: register responders before the first publish");
  const std::string type = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TFUNCTION);
  lua_pushvalue(L, 3);
  h.responders[type] = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int h_publish(lua_State* L) {
  Harness& h = harness(L);
  started_or_raise(L, h);
  const char* type = luaL_checkstring(L, 2);
  std::string data = "{}", err;
  if (!lua_isnoneornil(L, 3) && !lua::encode_json(L, 3, data, &err))
    return luaL_error(L, "h:publish: %s", err.c_str());
  auto ev = EventBuilder(type).source(kHarnessSource).data(data, "application/json").build();
  if (!ev.ok()) return luaL_error(L, "h:publish: %s", ev.error().message().c_str());
  before_action_or_raise(L, h);
  if (Status s = h.bus->publish(*ev); !s.ok())
    return luaL_error(L, "h:publish: %s", s.message().c_str());
  settle_or_raise(L, h);
  return 0;
}

int h_advance(lua_State* L) {
  Harness& h = harness(L);
  started_or_raise(L, h);
  before_action_or_raise(L, h);
  const bool fired = h.engine->fire_next_timer();
  settle_or_raise(L, h);
  lua_pushboolean(L, fired);
  return 1;
}

// The data of the stored events of `type`, as Lua tables, in a new table.
int push_published(lua_State* L, Harness& h, const char* type) {
  auto page = h.store->read_types(type, 0, store::Direction::kForward, 100'000);
  if (!page.ok()) return luaL_error(L, "%s", page.error().message().c_str());
  lua_newtable(L);
  int i = 0;
  for (const auto& se : page->events) {
    std::string err;
    if (!lua::push_json(L, se.event->data().empty() ? "null" : se.event->data(), &err))
      lua_pushnil(L);
    lua_rawseti(L, -2, ++i);
  }
  return 1;
}

// True when every field of the table at `want` equals the same field of `have`.
bool fields_match(lua_State* L, int have, int want) {
  if (!lua_istable(L, have)) return false;
  lua_pushnil(L);
  while (lua_next(L, want) != 0) {
    lua_pushvalue(L, -2);
    lua_gettable(L, have);
    const bool eq = lua_equal(L, -1, -2);
    lua_pop(L, 2);
    if (!eq) {
      lua_pop(L, 1);
      return false;
    }
  }
  return true;
}

int h_published(lua_State* L) {
  Harness& h = harness(L);
  started_or_raise(L, h);
  return push_published(L, h, luaL_checkstring(L, 2));
}

int h_expect_published(lua_State* L) {
  Harness& h = harness(L);
  started_or_raise(L, h);
  const char* type = luaL_checkstring(L, 2);
  const bool want_fields = lua_istable(L, 3);
  const int times = static_cast<int>(luaL_optinteger(L, 4, 0));  // 0: at least once
  push_published(L, h, type);
  const int list = lua_gettop(L);
  const int n = static_cast<int>(lua_objlen(L, list));
  int matched = 0;
  for (int i = 1; i <= n; ++i) {
    lua_rawgeti(L, list, i);
    if (!want_fields || fields_match(L, lua_gettop(L), 3)) ++matched;
    lua_pop(L, 1);
  }
  if ((times == 0 && matched == 0) || (times > 0 && matched != times))
    return luaL_error(L, "expected %s %s%s, found %d matching of %d published", type,
                      times > 0 ? fmt::format("{} time(s)", times).c_str() : "at least once",
                      want_fields ? " with the given fields" : "", matched, n);
  return 0;
}

int h_expect_finished(lua_State* L) {
  Harness& h = harness(L);
  started_or_raise(L, h);
  const std::string workflow = luaL_checkstring(L, 2);
  const std::string status = luaL_checkstring(L, 3);
  auto all = list_instances(*h.store, Which::kAll);
  if (!all.ok()) return luaL_error(L, "%s", all.error().message().c_str());
  std::string seen;
  for (const auto& i : *all) {
    if (i.workflow != workflow) continue;
    seen += (seen.empty() ? "" : ", ") + i.status;
    if (i.status != status) continue;
    if (lua_isnoneornil(L, 4)) return 0;
    auto events = instance_history(*h.store, i.id);
    if (!events.ok()) continue;
    auto hist = decode_history(history_stream(i.id), *events);
    if (!hist.ok()) continue;
    std::string err;
    if (!lua::push_json(L, hist->result, &err)) continue;
    const bool eq = lua_istable(L, 4) ? fields_match(L, lua_gettop(L), 4) : lua_equal(L, -1, 4);
    lua_pop(L, 1);
    if (eq) return 0;
    seen += " (another result)";
  }
  return luaL_error(L, "expected an instance of %s to end %s; instances: %s", workflow.c_str(),
                    status.c_str(), seen.empty() ? "none" : seen.c_str());
}

// test(name, fn [, {crash_matrix = true|false}])
int test_fn(lua_State* L) {
  luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  lua_getfield(L, LUA_REGISTRYINDEX, "chorus.test.cases");
  const int n = static_cast<int>(lua_objlen(L, -1));
  lua_newtable(L);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "name");
  lua_pushvalue(L, 2);
  lua_setfield(L, -2, "fn");
  if (lua_istable(L, 3)) {
    lua_getfield(L, 3, "crash_matrix");
    lua_setfield(L, -2, "crash_matrix");
  }
  lua_rawseti(L, -2, n + 1);
  return 0;
}

int harness_gc(lua_State* L) {
  auto** p = static_cast<Harness**>(luaL_checkudata(L, 1, kHarnessMeta));
  delete *p;
  *p = nullptr;
  return 0;
}

// The message handler: keeps the message (it starts with the test file:line).
int keep_message(lua_State*) {
  return 1;
}

// A new state with the test API that ran `file` (its cases registered), or
// null with the error in `err`.
lua_State* open_test_file(const std::string& file, std::string& err) {
  lua_State* L = luaL_newstate();
  luaL_openlibs(L);
  lua_newtable(L);
  lua_setfield(L, LUA_REGISTRYINDEX, "chorus.test.cases");
  lua_pushcfunction(L, test_fn);
  lua_setglobal(L, "test");
  luaL_newmetatable(L, kHarnessMeta);
  lua_newtable(L);
  const luaL_Reg methods[] = {{"load", h_load},
                              {"respond", h_respond},
                              {"publish", h_publish},
                              {"advance", h_advance},
                              {"published", h_published},
                              {"expect_published", h_expect_published},
                              {"expect_finished", h_expect_finished},
                              {nullptr, nullptr}};
  for (const luaL_Reg* m = methods; m->name; ++m) {
    lua_pushcfunction(L, m->func);
    lua_setfield(L, -2, m->name);
  }
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, harness_gc);
  lua_setfield(L, -2, "__gc");
  lua_pop(L, 1);
  if (luaL_loadfile(L, file.c_str()) != 0 || lua_pcall(L, 0, 0, 0) != 0) {
    err = lua_tostring(L, -1) ? lua_tostring(L, -1) : "error";
    lua_close(L);
    return nullptr;
  }
  return L;
}

struct CaseInfo {
  std::string name;
  enum class Matrix : uint8_t { kDefault, kAlways, kNever } matrix = Matrix::kDefault;
};

std::vector<CaseInfo> cases_of(lua_State* L) {
  std::vector<CaseInfo> out;
  lua_getfield(L, LUA_REGISTRYINDEX, "chorus.test.cases");
  const int n = static_cast<int>(lua_objlen(L, -1));
  for (int i = 1; i <= n; ++i) {
    lua_rawgeti(L, -1, i);
    CaseInfo c;
    lua_getfield(L, -1, "name");
    c.name = lua_tostring(L, -1);
    lua_getfield(L, -2, "crash_matrix");
    if (lua_isboolean(L, -1))
      c.matrix = lua_toboolean(L, -1) ? CaseInfo::Matrix::kAlways : CaseInfo::Matrix::kNever;
    lua_pop(L, 3);
    out.push_back(std::move(c));
  }
  lua_pop(L, 1);
  return out;
}

struct CaseRun {
  bool ok = false;
  std::string message;              // the failure
  std::vector<RecordMark> records;  // history records, in commit order
  std::vector<uint64_t> actions;    // action marks (crash_matrix.h)
  bool crashed = false;             // the plan's crash happened
  std::optional<Outcome> outcome;   // when asked for and the case passed
};

// Runs case `index` (1-based) of the file in `L` on a fresh host that
// crashes as `plan` says.
CaseRun run_case(lua_State* L, int index, const std::string& file, const CrashPlan& plan,
                 bool want_outcome) {
  CaseRun run;
  lua_getfield(L, LUA_REGISTRYINDEX, "chorus.test.cases");
  lua_rawgeti(L, -1, index);
  lua_pushcfunction(L, keep_message);
  lua_getfield(L, -2, "fn");
  auto** ud = static_cast<Harness**>(lua_newuserdata(L, sizeof(Harness*)));
  *ud = new Harness();
  Harness& h = **ud;
  h.folder = fs::path(file).parent_path().string();
  if (h.folder.empty()) h.folder = ".";
  h.L = L;
  h.tracker = std::make_shared<RecordTracker>(plan);
  luaL_getmetatable(L, kHarnessMeta);
  lua_setmetatable(L, -2);
  lua_pushvalue(L, -1);
  const int ud_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  const int rc = lua_pcall(L, 1, 0, -3);
  if (rc == 0) {
    run.ok = true;
  } else {
    run.message = lua_tostring(L, -1) ? lua_tostring(L, -1) : "error";
    lua_pop(L, 1);
  }
  lua_pop(L, 3);  // the message handler, the case and the cases
  if (run.ok && h.started) {
    // A crash the last step's commits reached (or, for kBeforeNext, due
    // at the end): restart, and let the recovered host finish.
    Status s = h.before_action();
    if (s.ok())
      if (uint64_t cut = h.tracker->take_cut()) {
        s = h.crash(cut);
        if (s.ok()) s = h.settle();
      }
    if (!s.ok()) {
      run.ok = false;
      run.message = "the test host did not restart after its crash: " + s.message();
    }
  }
  run.records = h.tracker->records();
  run.actions = h.tracker->action_marks();
  run.crashed = h.tracker->crashed();
  if (run.ok && want_outcome && h.started) {
    auto o = read_outcome(*h.store, kHarnessSource);
    if (o.ok()) {
      run.outcome = std::move(*o);
    } else {
      run.ok = false;
      run.message = "reading the outcome: " + o.error().message();
    }
  }
  // Shut the case's host down now (not at the next GC).
  lua_rawgeti(L, LUA_REGISTRYINDEX, ud_ref);
  auto** p = static_cast<Harness**>(lua_touserdata(L, -1));
  delete *p;
  *p = nullptr;
  lua_pop(L, 1);
  luaL_unref(L, LUA_REGISTRYINDEX, ud_ref);
  return run;
}

// Reruns the case once per crash point of its normal run; returns the
// number of failed crash points (each reported).
size_t run_crash_matrix(const std::string& file, int index, const std::string& name,
                        const CaseRun& normal, TestSummary& sum,
                        const std::function<void(std::string_view)>& out) {
  size_t failed = 0;
  for (const CrashPlan& plan : crash_plans(normal.records, normal.actions)) {
    ++sum.crash_runs;
    std::string err, problem;
    if (lua_State* L = open_test_file(file, err)) {
      CaseRun run = run_case(L, index, file, plan, /*want_outcome=*/true);
      lua_close(L);
      if (!run.ok)
        problem = run.message;
      else if (!run.crashed)
        problem = fmt::format(
            "the rerun wrote {} history record(s) and never reached the crash point (the case "
            "or its workflows do not run the same way twice)",
            run.records.size());
      else
        problem = compare_outcomes(*normal.outcome, *run.outcome);
    } else {
      problem = err;
    }
    if (problem.empty()) continue;
    ++failed;
    out(fmt::format("FAIL {}: {} ({}): {}", file, name, describe_crash(plan, normal.records),
                    problem));
  }
  return failed;
}

void run_file(const std::string& file, const TestOptions& options, TestSummary& sum,
              const std::function<void(std::string_view)>& out) {
  ++sum.files;
  std::string err;
  lua_State* L = open_test_file(file, err);
  if (!L) {
    ++sum.failed;
    out(fmt::format("FAIL {}: {}", file, err));
    return;
  }
  const std::vector<CaseInfo> cases = cases_of(L);
  for (size_t i = 0; i < cases.size(); ++i) {
    const CaseInfo& c = cases[i];
    const bool matrix = c.matrix == CaseInfo::Matrix::kAlways ||
                        (options.crash_matrix && c.matrix != CaseInfo::Matrix::kNever);
    const int index = static_cast<int>(i) + 1;
    CaseRun normal = run_case(L, index, file, CrashPlan{}, matrix);
    if (!normal.ok) {
      ++sum.failed;
      out(fmt::format("FAIL {}: {}: {}", file, c.name, normal.message));
      continue;
    }
    if (!matrix || normal.records.empty()) {
      ++sum.passed;
      out(fmt::format("ok   {}: {}", file, c.name));
      continue;
    }
    const size_t before = sum.crash_runs;
    if (run_crash_matrix(file, index, c.name, normal, sum, out) > 0) {
      ++sum.failed;
      continue;
    }
    ++sum.passed;
    out(fmt::format("ok   {}: {} (crash matrix: {} restarts over {} history records)", file, c.name,
                    sum.crash_runs - before, normal.records.size()));
  }
  lua_close(L);
}

}  // namespace

TestSummary run_test_files(const std::vector<std::string>& paths, const TestOptions& options,
                           const std::function<void(std::string_view)>& out) {
  TestSummary sum;
  std::vector<std::string> files;
  for (const std::string& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::directory_iterator(p, ec)) {
        const std::string name = e.path().filename().string();
        if (e.is_regular_file() && name.size() > 9 &&
            name.compare(name.size() - 9, 9, "_test.lua") == 0)
          files.push_back(e.path().string());
      }
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files)
    run_file(f, options, sum, out);
  return sum;
}

}  // namespace chorus::workflows
