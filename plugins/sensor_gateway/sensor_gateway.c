/*
 * sensor_gateway: publishes a temperature reading per sensor on a timer,
 * written in C against chorus/plugin.h alone (no C++ wrapper).
 *
 * Every `interval_ms` (default 1000) it publishes one `sensor.reading` per
 * sensor of `sensors` (default ["s1","s2","s3"]):
 *   {"sensor":"s1","kind":"temperature","value":21.5,"unit":"C"}
 * Values drift deterministically (a slow sine per sensor); the sensor named
 * by `hot_sensor` (default "s3") runs near 74 C and crosses 80 C for four
 * ticks out of every `hot_every` (default 20). Every `summary_every` ticks
 * (default 30) it logs one summary line with the latest values.
 */
#include <chorus/plugin.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_SENSORS 16
#define MAX_NAME 32

typedef struct gateway {
  chorus_host* host;
  const chorus_host_api* api;
  uint64_t interval_ms;
  uint64_t hot_every;
  uint64_t summary_every;
  size_t sensor_count;
  char sensors[MAX_SENSORS][MAX_NAME];
  char hot[MAX_NAME];
  double last[MAX_SENSORS];
  uint64_t tick;
  uint64_t published;
  uint64_t failed;
} gateway;

static chorus_str cstr(const char* s) {
  chorus_str out;
  out.data = s;
  out.len = strlen(s);
  return out;
}

static void logf_(gateway* g, int32_t level, const char* text) {
  g->api->log(g->host, level, cstr(text));
}

/* Fails init with a message naming the config key. */
static chorus_status config_error(const chorus_init_args* args, const char* message) {
  args->api->set_error(args->host, cstr(message));
  return CHORUS_INVALID_ARGUMENT;
}

static int lookup(gateway* g, const char* path, chorus_config_value* v) {
  memset(v, 0, sizeof(*v));
  v->struct_size = sizeof(*v);
  return g->api->config_lookup(g->host, cstr(path), v) == CHORUS_OK;
}

/* Sensor names go into JSON unescaped, so they are kept to [a-z0-9_-]. */
static int plain_name(const char* s, size_t len) {
  size_t i;
  if (len == 0 || len >= MAX_NAME) return 0;
  for (i = 0; i < len; ++i) {
    const char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) return 0;
  }
  return 1;
}

static chorus_status gw_init(const chorus_init_args* args, void** out) {
  chorus_config_value v;
  gateway* g = (gateway*)args->api->mem_alloc(args->host, sizeof(gateway));
  size_t i;
  if (!g) return CHORUS_RESOURCE_EXHAUSTED;
  memset(g, 0, sizeof(*g));
  g->host = args->host;
  g->api = args->api;
  g->interval_ms = 1000;
  g->hot_every = 20;
  g->summary_every = 30;
  strcpy(g->hot, "s3");

  if (lookup(g, "interval_ms", &v)) {
    if (v.kind != CHORUS_CONFIG_NUMBER || v.number < 10 || v.number > 3600000) {
      args->api->mem_free(args->host, g);
      return config_error(args, "config.interval_ms must be a number from 10 to 3600000");
    }
    g->interval_ms = (uint64_t)v.number;
  }
  if (lookup(g, "hot_every", &v) && v.kind == CHORUS_CONFIG_NUMBER && v.number >= 5)
    g->hot_every = (uint64_t)v.number;
  if (lookup(g, "summary_every", &v) && v.kind == CHORUS_CONFIG_NUMBER && v.number >= 1)
    g->summary_every = (uint64_t)v.number;
  if (lookup(g, "hot_sensor", &v) && v.kind == CHORUS_CONFIG_STRING &&
      plain_name(v.string.data, v.string.len)) {
    memcpy(g->hot, v.string.data, v.string.len);
    g->hot[v.string.len] = '\0';
  }
  if (lookup(g, "sensors", &v)) {
    if (v.kind != CHORUS_CONFIG_ARRAY || v.count == 0 || v.count > MAX_SENSORS) {
      args->api->mem_free(args->host, g);
      return config_error(args, "config.sensors must be a list of 1 to 16 sensor names");
    }
    g->sensor_count = v.count;
    for (i = 0; i < g->sensor_count; ++i) {
      char path[32];
      chorus_config_value s;
      snprintf(path, sizeof(path), "sensors.%u", (unsigned)i);
      if (!lookup(g, path, &s) || s.kind != CHORUS_CONFIG_STRING ||
          !plain_name(s.string.data, s.string.len)) {
        args->api->mem_free(args->host, g);
        return config_error(args, "config.sensors: names must be 1 to 31 of a-z, 0-9, '_', '-'");
      }
      memcpy(g->sensors[i], s.string.data, s.string.len);
      g->sensors[i][s.string.len] = '\0';
    }
  } else {
    g->sensor_count = 3;
    strcpy(g->sensors[0], "s1");
    strcpy(g->sensors[1], "s2");
    strcpy(g->sensors[2], "s3");
  }
  *out = g;
  return CHORUS_OK;
}

/* The reading of sensor `i` at tick `t`: a deterministic drift. */
static double reading(const gateway* g, size_t i, uint64_t t) {
  const double phase = (double)t / 7.0 + (double)i;
  if (strcmp(g->sensors[i], g->hot) == 0) {
    double v = 74.0 + 3.0 * sin(phase);
    if (t % g->hot_every >= g->hot_every - 4) v += 10.0 + (double)(t % 4); /* a hot spell */
    return floor(v * 10.0 + 0.5) / 10.0;
  }
  return floor((20.0 + 2.0 * (double)i + 1.5 * sin(phase)) * 10.0 + 0.5) / 10.0;
}

static void publish_reading(gateway* g, size_t i) {
  char data[160];
  chorus_publish p;
  int n;
  g->last[i] = reading(g, i, g->tick);
  n = snprintf(data, sizeof(data),
               "{\"sensor\":\"%s\",\"kind\":\"temperature\",\"value\":%.1f,\"unit\":\"C\"}",
               g->sensors[i], g->last[i]);
  memset(&p, 0, sizeof(p));
  p.struct_size = sizeof(p);
  p.type = cstr("sensor.reading");
  p.data.data = data;
  p.data.len = (size_t)n;
  if (g->api->publish(g->host, &p, NULL) == CHORUS_OK) {
    ++g->published;
  } else {
    char line[300];
    ++g->failed;
    if (g->failed == 1 || g->failed % 100 == 0) {
      chorus_str err = g->api->last_error(g->host);
      snprintf(line, sizeof(line), "publishing a reading failed (%llu so far): %.*s",
               (unsigned long long)g->failed, (int)err.len, err.data);
      logf_(g, CHORUS_LOG_WARN, line);
    }
  }
}

static void summary(gateway* g) {
  char line[512];
  size_t i;
  int n = snprintf(line, sizeof(line),
                   "%llu readings published; latest:", (unsigned long long)g->published);
  for (i = 0; i < g->sensor_count && n > 0 && (size_t)n < sizeof(line); ++i)
    n += snprintf(line + n, sizeof(line) - (size_t)n, "%s %s %.1f C", i ? "," : "", g->sensors[i],
                  g->last[i]);
  logf_(g, CHORUS_LOG_INFO, line);
}

static void on_tick(void* ctx, uint64_t timer_id) {
  gateway* g = (gateway*)ctx;
  size_t i;
  (void)timer_id;
  ++g->tick;
  for (i = 0; i < g->sensor_count; ++i)
    publish_reading(g, i);
  if (g->tick % g->summary_every == 0) summary(g);
}

static chorus_status gw_start(void* instance) {
  gateway* g = (gateway*)instance;
  char line[128];
  snprintf(line, sizeof(line), "publishing %u sensors every %llu ms (hot sensor %s)",
           (unsigned)g->sensor_count, (unsigned long long)g->interval_ms, g->hot);
  logf_(g, CHORUS_LOG_INFO, line);
  return g->api->timer_every(g->host, g->interval_ms, on_tick, g, NULL);
}

static void gw_destroy(void* instance) {
  gateway* g = (gateway*)instance;
  g->api->mem_free(g->host, g);
}

static const char* const capabilities[] = {"sensor.readings", NULL};

static const chorus_plugin_descriptor descriptor = {
    sizeof(chorus_plugin_descriptor),
    CHORUS_PLUGIN_ABI_MAJOR,
    CHORUS_PLUGIN_ABI_MINOR,
    "sensor_gateway",
    "1.0.0",
    "publishes temperature readings (sensor.reading) on a timer; written in C",
    capabilities,
    gw_init,
    gw_start,
    NULL, /* stop: the host cancels the timer */
    gw_destroy,
    NULL, /* on_event: subscribes to nothing */
    NULL,
    NULL};

const chorus_plugin_descriptor* chorus_plugin_entry(void) {
  return &descriptor;
}
