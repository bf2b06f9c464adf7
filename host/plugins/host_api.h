// The table of host functions every plugin instance receives
// (chorus_host_api in sdk/include/chorus/plugin.h), private to
// host/plugins. The functions are spread over host_api_*.cpp by concern
// (errors/log/config/memory/events here, bus, store, registry, timers);
// each decodes its C arguments, checks them and the instance's phase, and
// calls the Instance. A failure is returned as its code, with the message
// kept as the thread's last error (last_error()).
#pragma once

#include "chorus/plugin.h"
#include "core/status.h"

namespace chorus::plugins {

class Instance;

// One static table, filled once; valid for the life of the process.
const chorus_host_api& host_api_table();

namespace api {

// Records `st` as this thread's last error; returns its ABI code.
int32_t fail(const Status& st);
// The instance behind `h`, or null (then fail() has recorded why).
Instance* instance_of(chorus_host* h);

// Declared here, defined in host_api_*.cpp, gathered by host_api_table().
chorus_str last_error(chorus_host* h);
void set_error(chorus_host* h, chorus_str message);
void log(chorus_host* h, int32_t level, chorus_str message);
int32_t config_lookup(chorus_host* h, chorus_str path, chorus_config_value* out);
void new_id(chorus_host* h, chorus_id* out);
void* mem_alloc(chorus_host* h, size_t size);
void mem_free(chorus_host* h, void* p);
chorus_event* event_retain(chorus_host* h, const chorus_event* e);
void event_release(chorus_host* h, chorus_event* e);
int32_t event_view(chorus_host* h, const chorus_event* e, chorus_event_view* out);
int32_t event_metadata(chorus_host* h, const chorus_event* e, size_t index, chorus_kv* out);
int32_t event_find_metadata(chorus_host* h, const chorus_event* e, chorus_str key, chorus_str* out);

int32_t publish(chorus_host* h, const chorus_publish* p, chorus_id* out_id);
int32_t subscribe(chorus_host* h, const chorus_subscribe* s, uint64_t* out_id);
int32_t unsubscribe(chorus_host* h, uint64_t id);
int32_t request(chorus_host* h, const chorus_publish* p, uint32_t timeout_ms, chorus_reply_fn done,
                void* ctx);
int32_t reply(chorus_host* h, const chorus_event* request, const chorus_publish* p);

int32_t store_append(chorus_host* h, const chorus_append* a, chorus_append_result* out);
int32_t store_read(chorus_host* h, const chorus_read* r, chorus_stored_fn each, void* ctx,
                   chorus_read_result* out);

int32_t discover(chorus_host* h, const chorus_service_query* q, chorus_service_fn each, void* ctx);
int32_t select(chorus_host* h, const chorus_service_query* q, chorus_service_fn chosen, void* ctx,
               uint64_t* out_lease);
int32_t release(chorus_host* h, uint64_t lease, chorus_status outcome, uint64_t latency_us);
int32_t request_by_capability(chorus_host* h, chorus_str capability, const chorus_publish* p,
                              uint32_t timeout_ms, chorus_reply_fn done, void* ctx);

int32_t timer_after(chorus_host* h, uint64_t delay_ms, chorus_timer_fn fn, void* ctx,
                    uint64_t* out_id);
int32_t timer_every(chorus_host* h, uint64_t period_ms, chorus_timer_fn fn, void* ctx,
                    uint64_t* out_id);
int32_t timer_cancel(chorus_host* h, uint64_t id);

}  // namespace api
}  // namespace chorus::plugins
