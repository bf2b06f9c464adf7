// Instance lifecycle: init, start, unload, health, phases and counters
// (instance.h). Deliveries, timers, requests and memory are in the
// instance_*.cpp files beside this one.
#include "plugins/instance.h"

#include <fmt/core.h>
#include <spdlog/logger.h>

#include "plugins/callback_scope.h"
#include "plugins/config_tree.h"
#include "plugins/event_view.h"
#include "plugins/host_api.h"
#include "plugins/plugin_module.h"
#include "plugins/plugins_log.h"
#include "plugins/status_codes.h"

namespace chorus::plugins {

std::string_view phase_name(Phase p) noexcept {
  switch (p) {
    case Phase::kCreated:
      return "created";
    case Phase::kInitializing:
      return "initializing";
    case Phase::kInitialized:
      return "initialized";
    case Phase::kRunning:
      return "running";
    case Phase::kDraining:
      return "draining";
    case Phase::kStopping:
      return "stopping";
    case Phase::kDestroying:
      return "destroying";
    case Phase::kGone:
      return "gone";
  }
  return "unknown";
}

std::shared_ptr<Instance> Instance::create(InstanceLinks links,
                                           std::shared_ptr<PluginModule> module,
                                           InstanceSettings settings) {
  return std::shared_ptr<Instance>(
      new Instance(std::move(links), std::move(module), std::move(settings)));
}

Instance::Instance(InstanceLinks links, std::shared_ptr<PluginModule> module,
                   InstanceSettings settings)
    : links_(std::move(links)),
      module_(std::move(module)),
      callbacks_(module_->callbacks()),
      file_(module_->file()),
      settings_(std::move(settings)),
      log_(instance_log(settings_.name)) {}

Instance::~Instance() {
  // unload() has run (the loader always calls it), so no subscription,
  // timer or request refers to this object any more.
  if (phase() != Phase::kGone)
    plugins_log().error("instance '{}' destroyed in phase {} without unload", name(),
                        phase_name(phase()));
}

bool Instance::in_callback() const noexcept {
  return detail::t_current_instance == this;
}

void Instance::quiesce() {
  if (in_callback()) return;
  std::lock_guard lock(callback_mu_);
}

Status Instance::init() {
  const std::string what = fmt::format("{} ({})", name(), file_);
  auto tree = ConfigTree::parse(settings_.config_json, what);
  if (!tree.ok()) {
    set_phase(Phase::kGone);
    module_.reset();
    return tree.error();
  }
  config_ = std::move(*tree);

  set_phase(Phase::kInitializing);
  chorus_init_args args{};
  args.struct_size = sizeof(args);
  args.host_abi_major = CHORUS_PLUGIN_ABI_MAJOR;
  args.host_abi_minor = CHORUS_PLUGIN_ABI_MINOR;
  args.host = &handle_;
  args.api = &host_api_table();
  args.instance_name = to_str(name());
  args.config_json = to_str(settings_.config_json);
  args.plugin_file = to_str(file_);
  int32_t rc;
  std::string message;
  {
    std::lock_guard lock(callback_mu_);
    CallbackScope scope(this);
    void* out = nullptr;
    rc = cb().init(&args, &out);
    message = CallbackScope::error();
    if (rc == CHORUS_OK) {
      state_ = out;
      initialised_ = true;
    }
  }
  if (rc != CHORUS_OK) {
    (void)unload(std::chrono::milliseconds(0));  // what init asked for (timers, memory) goes
    return status_from_plugin(rc, message, "init")
        .with_context(fmt::format("{}: init failed", what));
  }
  set_phase(Phase::kInitialized);
  return Status::OK();
}

Status Instance::start() {
  std::lock_guard lock(callback_mu_);
  CallbackScope scope(this);
  if (phase() != Phase::kInitialized)
    return Status::FailedPrecondition(
        fmt::format("{}: start in phase {}", name(), phase_name(phase())));
  set_phase(Phase::kRunning);
  std::vector<std::shared_ptr<Subscription>> subs;
  std::vector<std::shared_ptr<TimerRecord>> timers;
  {
    std::lock_guard t(table_mu_);
    for (auto& [id, s] : subs_)
      subs.push_back(s);
    for (auto& [id, tr] : timers_)
      timers.push_back(tr);
  }
  for (const auto& s : subs)
    CHORUS_RETURN_IF_ERROR(attach(s).with_context(fmt::format("{}: start", name())));
  for (const auto& t : timers)
    arm(t);
  if (!cb().start) return Status::OK();
  const int32_t rc = cb().start(state_);
  if (rc != CHORUS_OK)
    return status_from_plugin(rc, CallbackScope::error(), "start")
        .with_context(fmt::format("{}: start failed", name()));
  return Status::OK();
}

UnloadReport Instance::unload(std::chrono::milliseconds drain_timeout) {
  UnloadReport report;
  const Phase was = phase();
  if (was == Phase::kGone) return report;
  const bool started = was == Phase::kRunning;
  set_phase(Phase::kDraining);  // filters take no new event from here on

  if (started) wait_drained(std::chrono::steady_clock::now() + drain_timeout, report);
  std::vector<std::shared_ptr<Subscription>> subs;
  {
    std::lock_guard t(table_mu_);
    subs_closed_ = true;
    for (auto& [id, s] : subs_)
      subs.push_back(s);
  }
  for (const auto& s : subs)
    detach(*s);
  cancel_all_timers();
  quiesce();  // a callback that was still inside has returned; later ones see the phase

  if (started && cb().stop) {
    std::lock_guard lock(callback_mu_);
    CallbackScope scope(this);
    set_phase(Phase::kStopping);
    cb().stop(state_);
  }
  report.requests_cancelled = cancel_all_requests();
  report.leases_released = release_all_leases();

  set_phase(Phase::kDestroying);
  if (initialised_) {
    std::lock_guard lock(callback_mu_);
    CallbackScope scope(this);
    cb().destroy(state_);
    state_ = nullptr;
    initialised_ = false;
  }
  set_phase(Phase::kGone);
  release_leftovers(report);
  if (report.retained_released > 0)
    plugins_log().warn("{}: released {} event{} the plugin retained and never released", name(),
                       report.retained_released, report.retained_released == 1 ? "" : "s");
  if (report.leaked_blocks > 0)
    plugins_log().warn("{}: freed {} bytes in {} block{} the plugin allocated and never freed",
                       name(), report.leaked_bytes, report.leaked_blocks,
                       report.leaked_blocks == 1 ? "" : "s");
  if (report.queued_dropped > 0)
    plugins_log().warn("{}: {} queued event{} not delivered within the drain timeout", name(),
                       report.queued_dropped, report.queued_dropped == 1 ? " was" : "s were");
  module_.reset();
  return report;
}

Status Instance::health() {
  std::lock_guard lock(callback_mu_);
  if (phase() != Phase::kRunning) return Status::Unavailable("not running");
  if (!cb().health) return Status::OK();
  CallbackScope scope(this);
  const int32_t rc = cb().health(state_);
  return status_from_plugin(rc, CallbackScope::error(), "health");
}

Status Instance::allow(Op kind, std::string_view what) const {
  const Phase p = phase();
  bool ok = false;
  switch (kind) {
    case Op::kPublish:
    case Op::kStoreWrite:
      ok = p == Phase::kRunning || p == Phase::kDraining || p == Phase::kStopping;
      break;
    case Op::kRequest:
      ok = p == Phase::kRunning || p == Phase::kDraining;
      break;
    case Op::kSubscribe:
    case Op::kTimer:
      ok = p == Phase::kInitializing || p == Phase::kInitialized || p == Phase::kRunning;
      break;
    case Op::kStoreRead:
      ok = p >= Phase::kInitializing && p <= Phase::kStopping;
      break;
  }
  if (ok) return Status::OK();
  if (p == Phase::kInitializing || p == Phase::kInitialized)
    return Status::FailedPrecondition(fmt::format(
        "{}: {} is not allowed before start (init may subscribe, set timers and read the store; "
        "they take effect at start)",
        name(), what));
  if (p == Phase::kGone || p == Phase::kDestroying)
    return Status::Unavailable(fmt::format("{}: {}: the plugin is unloaded", name(), what));
  return Status::FailedPrecondition(
      fmt::format("{}: {} is not allowed while the plugin is {}", name(), what, phase_name(p)));
}

Status Instance::check_publish(std::string_view type, std::string_view what) {
  if (settings_.policy.may_publish(type)) return Status::OK();
  const uint64_t n = violations_.fetch_add(1, std::memory_order_relaxed) + 1;
  const std::string msg =
      fmt::format("{}: {} of '{}' refused: outside the allowed publish patterns {}", name(), what,
                  type, settings_.policy.publish_text());
  // The first few are logged as warnings, then one in a thousand (all are counted).
  if (n <= 10 || n % 1000 == 0) plugins_log().warn("{} (violation {} of this instance)", msg, n);
  return Status::PermissionDenied(msg);
}

InstanceStats Instance::stats() const {
  InstanceStats s;
  s.name = name();
  s.phase = phase();
  s.delivered = delivered_.load(std::memory_order_relaxed);
  s.failed = failed_.load(std::memory_order_relaxed);
  s.error_replies = error_replies_.load(std::memory_order_relaxed);
  s.published = published_.load(std::memory_order_relaxed);
  s.publish_errors = publish_errors_.load(std::memory_order_relaxed);
  s.violations = violations_.load(std::memory_order_relaxed);
  s.timer_calls = timer_calls_.load(std::memory_order_relaxed);
  s.retained_events = retained_count_.load(std::memory_order_relaxed);
  {
    std::lock_guard t(table_mu_);
    s.subscriptions = subs_.size();
    s.timers = timers_.size();
    s.pending_requests = requests_.size();
  }
  {
    std::lock_guard m(mem_mu_);
    s.memory_bytes = mem_bytes_;
    s.memory_blocks = mem_blocks_;
  }
  return s;
}

void Instance::set_callback_error(std::string_view message) {
  detail::t_callback_error.assign(message.data(), message.size());
}

}  // namespace chorus::plugins
