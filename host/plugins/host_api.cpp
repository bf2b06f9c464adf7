// The host function table, and its functions for errors, logging, config,
// ids, memory and event views (host_api.h).
#include "plugins/host_api.h"

#include <cstring>

#include <fmt/core.h>
#include <spdlog/logger.h>

#include "core/uuid.h"
#include "plugins/callback_scope.h"
#include "plugins/config_tree.h"
#include "plugins/event_view.h"
#include "plugins/instance.h"
#include "plugins/status_codes.h"

namespace chorus::plugins {
namespace api {
namespace {

// Longer log lines are cut (a plugin cannot flood one line into megabytes).
constexpr size_t kMaxLogBytes = 16 * 1024;

spdlog::level::level_enum spd_level(int32_t level) {
  switch (level) {
    case CHORUS_LOG_TRACE:
      return spdlog::level::trace;
    case CHORUS_LOG_DEBUG:
      return spdlog::level::debug;
    case CHORUS_LOG_INFO:
      return spdlog::level::info;
    case CHORUS_LOG_WARN:
      return spdlog::level::warn;
    case CHORUS_LOG_ERROR:
      return spdlog::level::err;
    default:
      return level > CHORUS_LOG_ERROR ? spdlog::level::critical : spdlog::level::info;
  }
}

}  // namespace

int32_t fail(const Status& st) {
  detail::t_last_error = st.message();
  return to_abi(st.code());
}

Instance* instance_of(chorus_host* h) {
  if (h && h->instance) return h->instance;
  fail(Status::InvalidArgument("the chorus_host handle is NULL"));
  return nullptr;
}

chorus_str last_error(chorus_host*) {
  return to_str(detail::t_last_error);
}

void set_error(chorus_host*, chorus_str message) {
  auto m = view_of(message, "set_error message");
  Instance::set_callback_error(m.ok() ? *m : std::string_view());
}

void log(chorus_host* h, int32_t level, chorus_str message) {
  Instance* in = instance_of(h);
  if (!in) return;
  auto m = view_of(message, "log message");
  if (!m.ok()) return;
  const auto lvl = spd_level(level);
  if (!in->log().should_log(lvl)) return;
  std::string line(m->substr(0, kMaxLogBytes));
  for (char& c : line)  // one log line per call
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') c = ' ';
  if (m->size() > kMaxLogBytes) line += "...";
  in->log().log(lvl, "{}", line);
}

int32_t config_lookup(chorus_host* h, chorus_str path, chorus_config_value* out) {
  Instance* in = instance_of(h);
  if (!in) return CHORUS_INVALID_ARGUMENT;
  if (!out) return fail(Status::InvalidArgument("config_lookup: out is NULL"));
  constexpr size_t kMin = offsetof(chorus_config_value, count) + sizeof(size_t);
  if (out->struct_size < kMin)
    return fail(struct_too_small("chorus_config_value", out->struct_size, kMin));
  auto p = view_of(path, "config_lookup path");
  if (!p.ok()) return fail(p.error());
  Status st = in->config().lookup(*p, *out);
  return st.ok() ? CHORUS_OK : fail(st.with_context(in->name()));
}

void new_id(chorus_host*, chorus_id* out) {
  if (!out) return;
  new_uuid_v7().format_to(out->text);
  out->text[36] = '\0';
}

void* mem_alloc(chorus_host* h, size_t size) {
  Instance* in = instance_of(h);
  return in ? in->mem_alloc(size) : nullptr;
}

void mem_free(chorus_host* h, void* p) {
  if (Instance* in = instance_of(h)) in->mem_free(p);
}

chorus_event* event_retain(chorus_host* h, const chorus_event* e) {
  Instance* in = instance_of(h);
  if (!in) return nullptr;
  if (!e) {
    fail(Status::InvalidArgument("event_retain: event is NULL"));
    return nullptr;
  }
  return in->retain(from_handle(e));
}

void event_release(chorus_host* h, chorus_event* e) {
  if (Instance* in = instance_of(h)) in->release(e);
}

int32_t event_view(chorus_host* h, const chorus_event* e, chorus_event_view* out) {
  if (!instance_of(h)) return CHORUS_INVALID_ARGUMENT;
  if (!e || !out) return fail(Status::InvalidArgument("event_view: event or out is NULL"));
  constexpr size_t kMin = offsetof(chorus_event_view, flags) + sizeof(uint32_t);
  if (out->struct_size < kMin)
    return fail(struct_too_small("chorus_event_view", out->struct_size, kMin));
  chorus_event_view v;
  fill_view(*from_handle(e), v);
  const uint32_t n = out->struct_size < sizeof(v) ? out->struct_size : sizeof(v);
  const uint32_t keep = out->struct_size;
  std::memcpy(static_cast<void*>(out), &v, n);
  out->struct_size = keep;
  return CHORUS_OK;
}

int32_t event_metadata(chorus_host* h, const chorus_event* e, size_t index, chorus_kv* out) {
  if (!instance_of(h)) return CHORUS_INVALID_ARGUMENT;
  if (!e || !out) return fail(Status::InvalidArgument("event_metadata: event or out is NULL"));
  const Event& ev = *from_handle(e);
  if (index >= ev.metadata().size())
    return fail(Status::NotFound(fmt::format("event_metadata: no entry {} (the event has {})",
                                             index, ev.metadata().size())));
  const auto [k, v] = ev.metadata()[index];
  out->key = to_str(k);
  out->value = to_str(v);
  return CHORUS_OK;
}

int32_t event_find_metadata(chorus_host* h, const chorus_event* e, chorus_str key,
                            chorus_str* out) {
  if (!instance_of(h)) return CHORUS_INVALID_ARGUMENT;
  if (!e || !out) return fail(Status::InvalidArgument("event_find_metadata: event or out is NULL"));
  auto k = view_of(key, "event_find_metadata key");
  if (!k.ok()) return fail(k.error());
  auto v = from_handle(e)->find_metadata(*k);
  if (!v) {
    *out = {nullptr, 0};
    return fail(Status::NotFound(fmt::format("event_find_metadata: no key '{}'", *k)));
  }
  *out = to_str(*v);
  return CHORUS_OK;
}

}  // namespace api

const chorus_host_api& host_api_table() {
  static const chorus_host_api table = [] {
    chorus_host_api t{};
    t.struct_size = sizeof(t);
    t.abi_major = CHORUS_PLUGIN_ABI_MAJOR;
    t.abi_minor = CHORUS_PLUGIN_ABI_MINOR;
    t.last_error = api::last_error;
    t.set_error = api::set_error;
    t.log = api::log;
    t.config_lookup = api::config_lookup;
    t.new_id = api::new_id;
    t.mem_alloc = api::mem_alloc;
    t.mem_free = api::mem_free;
    t.event_retain = api::event_retain;
    t.event_release = api::event_release;
    t.event_view = api::event_view;
    t.event_metadata = api::event_metadata;
    t.event_find_metadata = api::event_find_metadata;
    t.publish = api::publish;
    t.subscribe = api::subscribe;
    t.unsubscribe = api::unsubscribe;
    t.request = api::request;
    t.reply = api::reply;
    t.store_append = api::store_append;
    t.store_read = api::store_read;
    t.discover = api::discover;
    t.select = api::select;
    t.release = api::release;
    t.request_by_capability = api::request_by_capability;
    t.timer_after = api::timer_after;
    t.timer_every = api::timer_every;
    t.timer_cancel = api::timer_cancel;
    return t;
  }();
  return table;
}

}  // namespace chorus::plugins
