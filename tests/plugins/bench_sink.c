/* bench_sink: the benchmark's agent (tests/bench/plugins_bench.cpp), in C
 * against plugin.h alone. Built as bench_sink_v1 and bench_sink_v2
 * (SINK_VERSION). Subscribes to "bench.in" (durably when the config has
 * "durable_group"); on each event it counts, and with "ack": true publishes
 * "bench.ack" whose data is "<version> <the event's data>".
 */
#include <chorus/plugin.h>
#include <stdio.h>
#include <string.h>

#ifndef SINK_VERSION
#define SINK_VERSION "1"
#endif

typedef struct sink {
  chorus_host* host;
  const chorus_host_api* api;
  int ack;
  char group[64];
  unsigned long long count;
} sink;

static chorus_status sink_init(const chorus_init_args* args, void** out) {
  sink* s = (sink*)args->api->mem_alloc(args->host, sizeof(sink));
  chorus_config_value v;
  chorus_str key;
  if (!s) return CHORUS_RESOURCE_EXHAUSTED;
  memset(s, 0, sizeof(*s));
  s->host = args->host;
  s->api = args->api;
  memset(&v, 0, sizeof(v));
  v.struct_size = sizeof(v);
  key.data = "ack";
  key.len = 3;
  if (s->api->config_lookup(s->host, key, &v) == CHORUS_OK && v.kind == CHORUS_CONFIG_BOOL)
    s->ack = v.number != 0;
  key.data = "durable_group";
  key.len = strlen(key.data);
  if (s->api->config_lookup(s->host, key, &v) == CHORUS_OK && v.kind == CHORUS_CONFIG_STRING &&
      v.string.len < sizeof(s->group))
    memcpy(s->group, v.string.data, v.string.len);
  *out = s;
  return CHORUS_OK;
}

static chorus_status sink_start(void* instance) {
  sink* s = (sink*)instance;
  chorus_subscribe sub;
  memset(&sub, 0, sizeof(sub));
  sub.struct_size = sizeof(sub);
  sub.pattern.data = "bench.in";
  sub.pattern.len = 8;
  sub.durable_group.data = s->group;
  sub.durable_group.len = strlen(s->group);
  return s->api->subscribe(s->host, &sub, 0);
}

static void sink_destroy(void* instance) {
  sink* s = (sink*)instance;
  s->api->mem_free(s->host, s);
}

static chorus_status sink_on_event(void* instance, const chorus_event_view* ev) {
  sink* s = (sink*)instance;
  char data[96];
  chorus_publish p;
  int n;
  ++s->count;
  if (!s->ack) return CHORUS_OK;
  n = snprintf(data, sizeof(data), "%s %.*s", SINK_VERSION,
               (int)(ev->data.len < 64 ? ev->data.len : 64), ev->data.data);
  memset(&p, 0, sizeof(p));
  p.struct_size = sizeof(p);
  p.type.data = "bench.ack";
  p.type.len = 9;
  p.data.data = data;
  p.data.len = (size_t)n;
  p.content_type.data = "text/plain";
  p.content_type.len = 10;
  return s->api->publish(s->host, &p, 0);
}

static const chorus_plugin_descriptor descriptor = {
    sizeof(chorus_plugin_descriptor),
    CHORUS_PLUGIN_ABI_MAJOR,
    CHORUS_PLUGIN_ABI_MINOR,
    "bench_sink",
    SINK_VERSION ".0.0",
    "counts bench.in events (the plugins benchmark)",
    0,
    sink_init,
    sink_start,
    0,
    sink_destroy,
    sink_on_event,
    0,
    0};

const chorus_plugin_descriptor* chorus_plugin_entry(void) {
  return &descriptor;
}
