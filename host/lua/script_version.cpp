// ScriptVersion: one loaded version of a script, its handlers and timers.
#include "lua/script_version.h"

#include <algorithm>

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <lua.hpp>
#include <spdlog/spdlog.h>

#include "lua/chorus_module.h"
#include "lua/lua_event.h"
#include "lua/lua_log.h"
#include "lua/script_executor.h"
#include "lua/source_file.h"

namespace chorus::lua {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// Levenshtein distance, for did-you-mean hints.
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Failed invocations logged per script per window; the rest are counted.
constexpr int kErrorsPerWindow = 10;
constexpr auto kErrorWindow = std::chrono::seconds(10);

}  // namespace

ScriptVersion::ScriptVersion(VersionSpec spec, ScriptServices services,
                             std::shared_ptr<ScriptExecutor> executor)
    : spec_(std::move(spec)), services_(services), executor_(std::move(executor)) {}

ScriptVersion::~ScriptVersion() {
  // Timers first (they need the io_context, which outlives every version
  // the host destroys), then the state.
  timers_.reset();
  invoker_.reset();
  vm_.reset();
}

ScriptVersion& ScriptVersion::of(lua_State* L) {
  return *static_cast<ScriptVersion*>(LuaVm::of(L).owner);
}

std::shared_ptr<ScriptVersion> ScriptVersion::load(VersionSpec spec, ScriptServices services,
                                                   std::shared_ptr<ScriptExecutor> executor,
                                                   LoadError* error) {
  if (spec.mode != Mode::kLive) services = {};
  std::shared_ptr<ScriptVersion> v(
      new ScriptVersion(std::move(spec), services, std::move(executor)));
  const VersionSpec& s = v->spec_;
  const bool trusted = s.trust == Trust::kTrusted;
  VmLimits limits;
  limits.memory_bytes = s.limits.memory_bytes;
  limits.cpu = trusted ? nanoseconds(0) : nanoseconds(s.limits.cpu);
  limits.jit = trusted || s.limits.cpu.count() == 0;
  v->vm_ = LuaVm::create(limits);
  if (!v->vm_) {
    if (error)
      error->message = fmt::format("{}: cannot create a Lua state (out of memory)", s.path);
    return nullptr;
  }
  v->vm_->owner = v.get();
  v->hash_ = content_hash(s.source);
  v->sandbox_.trust = s.trust;
  v->sandbox_.folder = s.folder;
  v->sandbox_.folder_real = s.folder_real;
  v->sandbox_.print = [w = v.get()](std::string_view line) { w->log(SPDLOG_LEVEL_INFO, line); };
  std::weak_ptr<ScriptVersion> weak = v;
  v->timers_ =
      std::make_unique<TimerTable>(v->services_.io, [weak, exec = v->executor_](uint64_t id) {
        if (!exec) return;
        exec->post([weak, id] {
          if (auto self = weak.lock()) self->fire_timer(id);
        });
      });

  lua_State* L = v->vm_->state();
  open_sandbox(L, &v->sandbox_);
  open_event_type(L);
  open_chorus_module(L);
  if (s.extensions && !s.extensions->empty()) {
    push_environment(L);
    lua_getfield(L, -1, "chorus");
    const int table = lua_gettop(L);
    ExtensionContext ec;
    ec.script = s.name;
    ec.path = s.path;
    ec.source = s.source;
    ec.hash = v->hash_;
    ec.folder = s.folder;
    ec.folder_real = s.folder_real;
    ec.config_json = s.config_json;
    ec.trust = s.trust;
    ec.limits = s.limits;
    ec.live = s.mode == Mode::kLive;
    for (const ModuleExtension& ext : *s.extensions)
      ext(L, table, ec);
    lua_pop(L, 2);
  }
  v->invoker_ = std::make_unique<Invoker>(*v->vm_);

  if (Status st = load_text_chunk(L, s.source, s.path); !st.ok()) {
    if (error) error->message = st.message();
    return nullptr;
  }
  const int main_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  const nanoseconds load_budget =
      limits.cpu.count() == 0
          ? nanoseconds(0)
          : std::max<nanoseconds>(limits.cpu * kLoadCpuFactor, std::chrono::seconds(1));
  v->loading_ = true;
  CallResult r = v->invoker_->start(main_ref, nullptr, "loading", load_budget, nullptr);
  v->loading_ = false;
  luaL_unref(L, LUA_REGISTRYINDEX, main_ref);
  if (!r.ok()) {
    if (error) {
      error->message = r.error.message();
      error->traceback = r.traceback;
    }
    return nullptr;
  }
  return v;
}

std::vector<std::string> ScriptVersion::files() const {
  std::vector<std::string> out;
  if (!spec_.real_path.empty()) out.push_back(spec_.real_path);
  for (const auto& m : sandbox_.modules())
    out.push_back(m);
  return out;
}

nanoseconds ScriptVersion::budget() const {
  return vm_->limits().cpu;
}

bool ScriptVersion::has_function(const std::string& name) {
  lua_State* L = vm_->state();
  push_environment(L);
  lua_pushlstring(L, name.data(), name.size());
  lua_rawget(L, -2);
  const bool fn = lua_isfunction(L, -1);
  lua_pop(L, 2);
  return fn;
}

std::vector<std::string> ScriptVersion::function_names() {
  std::vector<std::string> out;
  lua_State* L = vm_->state();
  push_environment(L);
  lua_pushnil(L);
  while (lua_next(L, -2) != 0) {
    if (lua_type(L, -2) == LUA_TSTRING && lua_isfunction(L, -1))
      out.emplace_back(lua_tostring(L, -2));
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return out;
}

Status ScriptVersion::bind(const std::vector<SubscriptionSpec>& subscriptions) {
  lua_State* L = vm_->state();
  std::map<std::string, int> seen;
  for (size_t i = 0; i < subscriptions.size(); ++i) {
    const SubscriptionSpec& sub = subscriptions[i];
    if (!has_function(sub.handler)) {
      std::string hint;
      size_t best = std::max<size_t>(2, sub.handler.size() / 3) + 1;
      for (const auto& name : function_names()) {
        const size_t d = edit_distance(name, sub.handler);
        if (d < best) {
          best = d;
          hint = fmt::format("; did you mean '{}'?", name);
        }
      }
      return Status::InvalidArgument(
          fmt::format("{}: handler: {} defines no global function '{}'{}", sub.origin, spec_.path,
                      sub.handler, hint));
    }
    Declared d;
    d.patterns = sub.patterns;
    d.queue_group = sub.queue_group;
    d.durable_group = sub.durable_group;
    d.bus_filter = sub.filter;
    d.min_priority = sub.min_priority;
    std::string base = "yaml:" + fmt::format("{}", fmt::join(sub.patterns, ",")) + "|" +
                       sub.handler + "|q=" + sub.queue_group + "|d=" + sub.durable_group +
                       "|f=" + sub.filter;
    d.key = fmt::format("{}#{}", base, seen[base]++);
    d.label = fmt::format("{} (subscriptions[{}] in YAML)", sub.handler, i);
    d.filter_label = "the filter of " + d.label;
    d.origin = sub.origin;
    push_environment(L);
    lua_getfield(L, -1, sub.handler.c_str());
    d.fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    declared_.push_back(std::move(d));
  }
  return Status::OK();
}

void ScriptVersion::declare(Declared d) {
  declared_.push_back(std::move(d));
}

uint64_t ScriptVersion::add_timer(int fn_ref, milliseconds delay, milliseconds interval) {
  return timers_->add(fn_ref, delay, interval);
}

bool ScriptVersion::cancel_timer(uint64_t id) {
  auto ref = timers_->cancel(id);
  if (!ref) return false;
  luaL_unref(vm_->state(), LUA_REGISTRYINDEX, *ref);
  return true;
}

void ScriptVersion::add_wake(WaitTicket ticket, milliseconds delay) {
  timers_->add_wake(ticket, delay);
}

void ScriptVersion::resume_later(WaitTicket ticket, Pusher push) {
  if (!executor_) return;
  executor_->post([w = weak_from_this(), ticket, push = std::move(push)] {
    if (auto self = w.lock()) self->resume(ticket, push);
  });
}

void ScriptVersion::log(int level, std::string_view text) const {
  // `chorus check` runs top levels quietly; filter states log what their
  // handlers log, but not their loading (one per publishing thread).
  if (spec_.mode == Mode::kCheck || (spec_.mode == Mode::kFilter && loading_)) return;
  lua_log().log(static_cast<spdlog::level::level_enum>(level), "{}: {}", spec_.name, text);
}

void ScriptVersion::count_call() {
  if (spec_.counters && spec_.mode == Mode::kLive)
    spec_.counters->invocations.fetch_add(1, std::memory_order_relaxed);
}

void ScriptVersion::report(const CallResult& r, std::string_view context) {
  if (r.ok() || spec_.mode == Mode::kCheck) return;
  if (spec_.counters && spec_.mode == Mode::kLive) {
    spec_.counters->errors.fetch_add(1, std::memory_order_relaxed);
    if (r.error.is(StatusCode::kResourceExhausted))
      spec_.counters->limit_hits.fetch_add(1, std::memory_order_relaxed);
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - errors_window_ > kErrorWindow) {
    if (errors_suppressed_ > 0)
      lua_log().error("{}: {} more failed calls in the last {} s were not logged", spec_.name,
                      errors_suppressed_,
                      std::chrono::duration_cast<std::chrono::seconds>(kErrorWindow).count());
    errors_window_ = now;
    errors_in_window_ = 0;
    errors_suppressed_ = 0;
  }
  if (++errors_in_window_ > kErrorsPerWindow) {
    ++errors_suppressed_;
    return;
  }
  lua_log().error("{}: {}{}{} failed: {}\n{}", spec_.name, r.what, context.empty() ? "" : " ",
                  context, r.error.message(), r.traceback);
}

void ScriptVersion::activate() {
  timers_->arm_pending();
}

void ScriptVersion::retire(std::function<void()> on_idle) {
  retired_ = true;
  for (int ref : timers_->cancel_timers())
    luaL_unref(vm_->state(), LUA_REGISTRYINDEX, ref);
  on_idle_ = std::move(on_idle);
  check_idle();
}

bool ScriptVersion::idle() const noexcept {
  return invoker_->waiting() == 0;
}

void ScriptVersion::check_idle() {
  if (retired_ && on_idle_ && idle()) {
    // on_idle may drop the last other reference to this version.
    auto keep = shared_from_this();
    auto fn = std::move(on_idle_);
    on_idle_ = nullptr;
    fn();
  }
}

Status ScriptVersion::deliver(size_t index, const EventPtr& ev) {
  const Declared& d = declared_[index];
  if (d.min_priority && ev->priority() > *d.min_priority) return Status::OK();
  auto push_ev = [&ev](lua_State* co) {
    push_event(co, ev);
    return 1;
  };
  if (d.filter_ref != -2) {
    count_call();
    CallResult f = invoker_->start(d.filter_ref, ev, d.filter_label, budget(), push_ev);
    if (f.kind == CallResult::Kind::kWaiting) {
      // Filters may not wait; the waiting invocation is left to finish alone.
      f.kind = CallResult::Kind::kFailed;
      f.error = Status::FailedPrecondition(
          fmt::format("{}: the filter of {} waited for the host; filters must answer at once",
                      spec_.path, d.label));
    }
    if (!f.ok()) {
      report(f, fmt::format("on {} {}", ev->type(), ev->id().to_string()));
      return f.error;
    }
    if (!f.truthy) return Status::OK();
  }
  count_call();
  CallResult r = invoker_->start(d.fn_ref, ev, d.label, budget(), push_ev);
  if (!r.ok()) {
    report(r, fmt::format("on {} {}", ev->type(), ev->id().to_string()));
    return r.error;
  }
  return Status::OK();
}

void ScriptVersion::fire_timer(uint64_t id) {
  auto f = timers_->fire(id);
  if (!f) return;
  if (f->wake) {
    resume(*f->wake, nullptr);
    return;
  }
  count_call();
  CallResult r = invoker_->start(f->fn_ref, nullptr, "a timer", budget(), nullptr);
  if (f->release) luaL_unref(vm_->state(), LUA_REGISTRYINDEX, f->fn_ref);
  report(r, fmt::format("(timer {})", id));
  check_idle();
}

void ScriptVersion::resume(const WaitTicket& ticket, const Pusher& push) {
  CallResult r = invoker_->resume(ticket, push);
  report(r, "(resumed)");
  check_idle();
}

void ScriptVersion::shutdown() {
  if (timers_) timers_->destroy();
  if (invoker_) invoker_->drop_all();
  on_idle_ = nullptr;
}

Result<bool> ScriptVersion::evaluate(const std::string& function, const Event& ev) {
  lua_State* L = vm_->state();
  int ref = -2;
  for (const auto& [name, r] : filter_refs_) {
    if (name == function) {
      ref = r;
      break;
    }
  }
  if (ref == -2) {
    if (!has_function(function))
      return Status::NotFound(
          fmt::format("{} defines no global function '{}'", spec_.path, function));
    push_environment(L);
    lua_getfield(L, -1, function.c_str());
    ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pop(L, 1);
    filter_refs_.emplace_back(function, ref);
  }
  if (lent_event_ == nullptr) {
    lua_settop(L, 0);
    lent_event_ = push_lendable_event(L);  // stays at index 1
  }
  vm_->clear_stop();
  lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
  lua_pushvalue(L, 1);
  lend_event(lent_event_, &ev);
  int status;
  {
    LuaVm::Slice slice(*vm_, budget());
    status = lua_pcall(L, 1, 1, 0);
  }
  give_back_event(lent_event_);
  if (status != 0) {
    std::string msg;
    if (vm_->stop_reason() != StopReason::kNone) {
      msg = vm_->stop_message(L);
    } else if (lua_isstring(L, -1)) {
      msg = lua_tostring(L, -1);
    } else {
      msg = fmt::format("{}: filter {} raised a {} value", spec_.path, function,
                        luaL_typename(L, -1));
    }
    lua_pop(L, 1);
    vm_->collect_if_needed();
    return vm_->stop_reason() != StopReason::kNone ? Status::ResourceExhausted(msg)
                                                   : Status::FailedPrecondition(msg);
  }
  const bool yes = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return yes;
}

}  // namespace chorus::lua
