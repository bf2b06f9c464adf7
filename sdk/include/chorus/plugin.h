/*
 * chorus/plugin.h: the C ABI between the Chorus host and an agent plugin.
 *
 * A plugin is a shared library that exports one function, chorus_plugin_entry(),
 * returning its descriptor (name, version, capabilities, callbacks). The host
 * calls the descriptor's init() once per instance with a table of host
 * functions (publish, subscribe, request, reply, store, registry, timers,
 * log, config, memory). Only C types, opaque handles and (pointer, length)
 * pairs cross the boundary; every host function returns a chorus_status and
 * nothing throws across it.
 *
 * This header is pure C99 and is the whole contract; sdk/ABI.md documents
 * every struct field by field, who owns which memory, which thread calls
 * what, and how the ABI grows. In short:
 *   - Every struct starts with uint32_t struct_size, the sizeof() the writer
 *     was compiled with. Structs only grow at their end. A reader uses only
 *     the fields that lie inside struct_size and treats the rest as zero, so
 *     a zero-filled field always means "default" or "absent".
 *   - ABI major: incompatible change (the host refuses another major).
 *     ABI minor: fields or host functions added at the end of a struct (the
 *     host refuses a plugin built for a newer minor than its own; a plugin
 *     checks CHORUS_HAS_FIELD before calling a host function added after the
 *     minor it needs).
 *   - Strings are chorus_str (pointer, length), not NUL-terminated unless
 *     stated. Strings and views the host hands to a callback are valid for
 *     that call only.
 */
#ifndef CHORUS_PLUGIN_H
#define CHORUS_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define CHORUS_PLUGIN_ABI_MAJOR 1
#define CHORUS_PLUGIN_ABI_MINOR 0

/* The name of the function every plugin exports (see chorus_plugin_entry). */
#define CHORUS_PLUGIN_ENTRY_SYMBOL "chorus_plugin_entry"

#if defined(__GNUC__) || defined(__clang__)
#define CHORUS_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define CHORUS_PLUGIN_EXPORT
#endif

/* True when the struct at `ptr` (of type `type`, which has a struct_size
 * member) is large enough to hold `field`: use it before reading a field, or
 * calling a host function, added in a later minor version. */
#define CHORUS_HAS_FIELD(ptr, type, field) \
  ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

#ifdef __cplusplus
extern "C" {
#endif

/* ---- status codes ---------------------------------------------------------
 * Returned by every host function and by the plugin's callbacks. The values
 * are fixed forever; new codes may be added. A caller treats an unknown
 * non-zero code as CHORUS_INTERNAL. */
typedef int32_t chorus_status;
enum {
  CHORUS_OK = 0,
  CHORUS_INVALID_ARGUMENT = 1,     /* the caller's input is wrong (the message names the field) */
  CHORUS_NOT_FOUND = 2,            /* the named thing does not exist */
  CHORUS_ALREADY_EXISTS = 3,       /* it exists and may not be created again */
  CHORUS_CONFLICT = 4,             /* an optimistic check failed (expected stream version) */
  CHORUS_CORRUPTION = 5,           /* stored or received bytes do not decode */
  CHORUS_IO_ERROR = 6,             /* the OS refused a file or socket operation */
  CHORUS_TIMEOUT = 7,              /* a deadline passed */
  CHORUS_UNAVAILABLE = 8,          /* not possible now (shutting down, circuit open, no registry) */
  CHORUS_PERMISSION_DENIED = 9,    /* not allowed (a topic outside the plugin's allowed patterns) */
  CHORUS_RESOURCE_EXHAUSTED = 10,  /* a bound was hit (queue full, memory) */
  CHORUS_CANCELLED = 11,           /* abandoned by its owner (a request pending at unload) */
  CHORUS_FAILED_PRECONDITION = 12, /* not allowed in this phase (publish during init) */
  CHORUS_NOT_SUPPORTED = 13,       /* a feature or version this host does not know */
  CHORUS_NO_RESPONDERS = 14,       /* a request found no subscriber for its type */
  CHORUS_INTERNAL = 15,            /* a bug, or an exception caught in the C++ wrapper */
  CHORUS_NO_HEALTHY_INSTANCE = 16, /* discovery has no healthy instance of the capability */
  CHORUS_STATUS_LAST_KNOWN = 16    /* the highest code this header knows (not a code) */
};

/* ---- plain values --------------------------------------------------------- */

/* Bytes: (pointer, length). Not NUL-terminated unless stated. {NULL, 0} is
 * the empty string. */
typedef struct chorus_str {
  const char* data;
  size_t len;
} chorus_str;

typedef struct chorus_kv {
  chorus_str key;
  chorus_str value;
} chorus_kv;

/* An event id in its canonical text form: 36 characters and a NUL
 * ("0190f5c2-7a4e-7c3d-9d2b-4f6a8e1c0b3a"); the rest is padding. */
typedef struct chorus_id {
  char text[40];
} chorus_id;

/* Priorities. CHORUS_PRIORITY_DEFAULT (0) in an outgoing event means normal;
 * views of events always carry one of CRITICAL..LOW. */
enum {
  CHORUS_PRIORITY_DEFAULT = 0,
  CHORUS_PRIORITY_CRITICAL = 1,
  CHORUS_PRIORITY_HIGH = 2,
  CHORUS_PRIORITY_NORMAL = 3,
  CHORUS_PRIORITY_LOW = 4
};

enum {
  CHORUS_LOG_TRACE = 0,
  CHORUS_LOG_DEBUG = 1,
  CHORUS_LOG_INFO = 2,
  CHORUS_LOG_WARN = 3,
  CHORUS_LOG_ERROR = 4,
  CHORUS_LOG_CRITICAL = 5
};

/* ---- opaque handles -------------------------------------------------------- */

/* One per plugin instance: the first argument of every host function. Valid
 * from init() until destroy() returns. */
typedef struct chorus_host chorus_host;
/* An event. A handle in a view is borrowed for the call; event_retain()
 * returns one the plugin owns until event_release(). */
typedef struct chorus_event chorus_event;

/* ---- events ----------------------------------------------------------------- */

enum {
  CHORUS_EVENT_REPLY = 1u << 0 /* the event is a reply to a request */
};

/* A read-only view of one event; every chorus_str points into the event and
 * is valid as long as the event is (for the call, or until released). */
typedef struct chorus_event_view {
  uint32_t struct_size;
  uint32_t priority;         /* CHORUS_PRIORITY_CRITICAL..LOW */
  const chorus_event* event; /* handle for retain, reply, caused_by, metadata */
  chorus_id id;
  int64_t time_ns;           /* nanoseconds since the Unix epoch, UTC */
  chorus_str type;           /* the topic, e.g. "sensor.reading" */
  chorus_str source;         /* producing agent, script or client */
  chorus_str target;         /* empty: not directed */
  chorus_str correlation_id; /* empty: none */
  chorus_str causation_id;   /* empty: none */
  chorus_str stream;         /* empty: none */
  chorus_str content_type;   /* "application/json" unless the publisher said otherwise */
  chorus_str data;           /* the payload bytes */
  uint32_t metadata_count;   /* entries readable with event_metadata() */
  uint32_t flags;            /* CHORUS_EVENT_* */
} chorus_event_view;

/* An event to publish, request, reply or append. Zero-filled fields take
 * their defaults. The host copies everything before the call returns. The
 * source is always the instance's name. */
typedef struct chorus_publish {
  uint32_t struct_size;
  uint32_t priority;             /* CHORUS_PRIORITY_*; 0: normal */
  chorus_str type;               /* required: a topic, [a-z0-9_-] segments joined by '.' */
  chorus_str data;               /* payload */
  chorus_str content_type;       /* empty: "application/json" */
  chorus_str target;             /* a directed event for one agent */
  chorus_str correlation_id;     /* empty: from caused_by, else none */
  chorus_str causation_id;       /* empty: from caused_by, else none */
  chorus_str stream;             /* entity stream for event sourcing */
  const chorus_event* caused_by; /* optional: causation = its id, correlation = its
                                    correlation id or its id (explicit fields win) */
  const chorus_kv* metadata;     /* optional: keys [a-z0-9]{1,64} */
  size_t metadata_count;
  chorus_str id; /* optional: a UUID text; empty: a new UUIDv7 */
} chorus_publish;

/* ---- subscriptions ---------------------------------------------------------- */

enum {
  /* Deliver to on_request (or the handler) as requests: a non-OK return
   * becomes an error reply to the requester instead of a failed delivery. */
  CHORUS_SUBSCRIBE_REQUESTS = 1u << 0,
  /* Durable only: a new consumer group starts at the first stored event
   * instead of after the last one. */
  CHORUS_SUBSCRIBE_FROM_BEGINNING = 1u << 1
};

/* An event callback: returns CHORUS_OK, or an error (set_error() may attach
 * a message first) that counts as a failed delivery: retried, then
 * dead-lettered, and counted by the subscription's circuit breaker. */
typedef chorus_status (*chorus_event_fn)(void* ctx, const chorus_event_view* event);
/* A filter: non-zero to deliver. Runs on the publisher's thread, possibly
 * concurrently with anything else: it must be thread-safe and quick, and may
 * call only log(), event_metadata() and event_find_metadata(). */
typedef int32_t (*chorus_filter_fn)(void* ctx, const chorus_event_view* event);

typedef struct chorus_subscribe {
  uint32_t struct_size;
  uint32_t flags;           /* CHORUS_SUBSCRIBE_* */
  chorus_str pattern;       /* "task.*", "sensor.**", "order.submitted" */
  chorus_str queue_group;   /* optional: share events with the group's other members */
  chorus_str durable_group; /* optional: a durable subscription, a member of this consumer
                               group over stored events (at least once) */
  chorus_filter_fn filter;  /* optional */
  void* filter_ctx;
  chorus_event_fn handler; /* optional: NULL calls the descriptor's on_event
                              (on_request with CHORUS_SUBSCRIBE_REQUESTS) */
  void* handler_ctx;
} chorus_subscribe;

/* ---- requests ------------------------------------------------------------------ */

/* Completion of a request, called exactly once: status CHORUS_OK with the
 * reply; an error reply's code with the reply and its message; or
 * CHORUS_TIMEOUT, CHORUS_NO_RESPONDERS, CHORUS_UNAVAILABLE, or CHORUS_CANCELLED
 * (the plugin is being unloaded) with reply NULL. `error` is empty on OK. */
typedef void (*chorus_reply_fn)(void* ctx, chorus_status status, const chorus_event_view* reply,
                                chorus_str error);

/* ---- timers ---------------------------------------------------------------------- */

typedef void (*chorus_timer_fn)(void* ctx, uint64_t timer_id);

/* ---- config lookup ---------------------------------------------------------------- */

enum {
  CHORUS_CONFIG_MISSING = 0,
  CHORUS_CONFIG_NULL = 1,
  CHORUS_CONFIG_BOOL = 2,
  CHORUS_CONFIG_NUMBER = 3,
  CHORUS_CONFIG_STRING = 4,
  CHORUS_CONFIG_ARRAY = 5,
  CHORUS_CONFIG_OBJECT = 6
};

typedef struct chorus_config_value {
  uint32_t struct_size;
  int32_t kind;      /* CHORUS_CONFIG_* */
  double number;     /* NUMBER; BOOL as 0 or 1 */
  chorus_str string; /* STRING: the text, unescaped, NUL-terminated, valid until destroy */
  size_t count;      /* ARRAY: elements; OBJECT: members */
} chorus_config_value;

/* ---- store ---------------------------------------------------------------------- */

enum {
  CHORUS_EXPECT_ANY = 0,
  CHORUS_EXPECT_NO_STREAM = 1,
  CHORUS_EXPECT_STREAM_EXISTS = 2,
  CHORUS_EXPECT_EXACT = 3 /* the stream's last version is expected_version (0: empty) */
};

typedef struct chorus_append {
  uint32_t struct_size;
  int32_t expected;                    /* CHORUS_EXPECT_* */
  uint64_t expected_version;           /* for CHORUS_EXPECT_EXACT */
  chorus_str stream;                   /* empty: the global log only */
  const chorus_publish* const* events; /* `count` pointers; their stream field is ignored */
  size_t count;
} chorus_append;

typedef struct chorus_append_result {
  uint32_t struct_size;
  uint32_t written; /* events newly written (duplicates of stored ids are skipped) */
  uint64_t first_seq;
  uint64_t last_seq;
  uint64_t stream_version; /* after the append (0 for the global log) */
  uint64_t actual_version; /* on CHORUS_CONFLICT: the stream's version */
} chorus_append_result;

enum {
  CHORUS_READ_STREAM = 0,      /* key: a stream; from: a version */
  CHORUS_READ_ALL = 1,         /* key ignored; from: a global seq */
  CHORUS_READ_CORRELATION = 2, /* key: a correlation id; from: a seq */
  CHORUS_READ_TYPE = 3         /* key: a type or pattern; from: a seq */
};

typedef struct chorus_read {
  uint32_t struct_size;
  int32_t source; /* CHORUS_READ_* */
  chorus_str key;
  uint64_t from;    /* 0: the first (forward) or the last (backward) */
  uint32_t limit;   /* events at most; 0: 100; above 10000: 10000 */
  int32_t backward; /* non-zero: newest first */
} chorus_read;

/* One stored event; return non-zero to stop the read early. */
typedef int32_t (*chorus_stored_fn)(void* ctx, const chorus_event_view* event, uint64_t seq,
                                    uint64_t stream_version);

typedef struct chorus_read_result {
  uint32_t struct_size;
  uint32_t count; /* events passed to the callback */
  int32_t end;    /* non-zero: nothing more in this direction when read */
  uint64_t next;  /* continue with from = next */
} chorus_read_result;

/* ---- registry (service discovery) -------------------------------------------------- */

enum { CHORUS_DISCOVER_HEALTHY_ONLY = 1u << 0 };

typedef struct chorus_service_query {
  uint32_t struct_size;
  uint32_t flags;         /* CHORUS_DISCOVER_* */
  chorus_str capability;  /* optional */
  chorus_str type;        /* optional */
  const chorus_str* tags; /* optional: every tag must be present */
  size_t tag_count;
  chorus_str strategy; /* select(): a load-balancing strategy; empty: the registry's */
} chorus_service_query;

typedef struct chorus_service_view {
  uint32_t struct_size;
  uint32_t weight;
  chorus_str id;       /* the service record's id */
  chorus_str agent_id; /* the agent (for a plugin: its instance name; a request's target) */
  chorus_str name;
  chorus_str type;
  chorus_str status; /* "healthy", "unhealthy", ... */
  chorus_str version;
  chorus_str address; /* host:port, or empty for agents inside this host */
  const chorus_str* capabilities;
  size_t capability_count;
  const chorus_str* tags;
  size_t tag_count;
} chorus_service_view;

/* One service; for discover() return non-zero to stop. */
typedef int32_t (*chorus_service_fn)(void* ctx, const chorus_service_view* service);

/* ---- the host's function table ------------------------------------------------------ */

/* Given to init(); valid until destroy() returns. Every function is
 * thread-safe and takes the instance's chorus_host first. Which functions a
 * phase allows is in sdk/ABI.md ("Phases"); outside them a function returns
 * CHORUS_FAILED_PRECONDITION. */
typedef struct chorus_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;

  /* -- errors -- */
  /* The message of the most recent call on this thread that did not return
   * CHORUS_OK; valid until the next host call on this thread. */
  chorus_str (*last_error)(chorus_host* host);
  /* Attaches a message to the error a callback is about to return. */
  void (*set_error)(chorus_host* host, chorus_str message);

  /* -- log, config, ids, memory -- */
  /* One line in the host's log, under the instance's name. */
  void (*log)(chorus_host* host, int32_t level, chorus_str message);
  /* The value at `path` in the instance's config block: keys joined by '.',
   * array elements by their index ("sensors.0"); empty: the whole block.
   * CHORUS_NOT_FOUND (kind MISSING) when absent. */
  chorus_status (*config_lookup)(chorus_host* host, chorus_str path, chorus_config_value* out);
  /* A new UUIDv7 as text (for correlation ids). */
  void (*new_id)(chorus_host* host, chorus_id* out);
  /* Memory counted against the instance (16-byte aligned); NULL when out of
   * memory. Blocks still held after destroy() are freed by the host and reported. */
  void* (*mem_alloc)(chorus_host* host, size_t size);
  void (*mem_free)(chorus_host* host, void* ptr);

  /* -- events -- */
  /* Keeps an event beyond the call: returns a handle owned by the plugin
   * (counted per instance) until event_release(). Events still retained
   * after destroy() are released by the host and reported. */
  chorus_event* (*event_retain)(chorus_host* host, const chorus_event* event);
  void (*event_release)(chorus_host* host, chorus_event* event);
  /* Fills `out` (out->struct_size set by the caller) with a view of `event`. */
  chorus_status (*event_view)(chorus_host* host, const chorus_event* event, chorus_event_view* out);
  /* Metadata entry `index` (sorted by key), or CHORUS_NOT_FOUND. */
  chorus_status (*event_metadata)(chorus_host* host, const chorus_event* event, size_t index,
                                  chorus_kv* out);
  chorus_status (*event_find_metadata)(chorus_host* host, const chorus_event* event, chorus_str key,
                                       chorus_str* out_value);

  /* -- bus -- */
  /* Publishes; out_id (optional) receives the event's id. For a type the host
   * persists, returns after the store commit met its durability policy. */
  chorus_status (*publish)(chorus_host* host, const chorus_publish* event, chorus_id* out_id);
  chorus_status (*subscribe)(chorus_host* host, const chorus_subscribe* subscription,
                             uint64_t* out_id);
  /* After it returns, that subscription's callbacks are never called again. */
  chorus_status (*unsubscribe)(chorus_host* host, uint64_t subscription);
  /* Publishes `request` and calls `done` exactly once (see chorus_reply_fn).
   * timeout_ms 0: 5000. */
  chorus_status (*request)(chorus_host* host, const chorus_publish* request, uint32_t timeout_ms,
                           chorus_reply_fn done, void* ctx);
  /* Publishes the reply to `request` (a borrowed or retained handle):
   * causation, correlation and target come from it. */
  chorus_status (*reply)(chorus_host* host, const chorus_event* request,
                         const chorus_publish* reply);

  /* -- store -- */
  /* Appends to the store without delivering (event sourcing); blocks until
   * the commit met the durability policy. */
  chorus_status (*store_append)(chorus_host* host, const chorus_append* append,
                                chorus_append_result* out);
  /* Reads one page, calling `each` per event on this thread. Events of types
   * outside the instance's allowed subscribe patterns are skipped. */
  chorus_status (*store_read)(chorus_host* host, const chorus_read* read, chorus_stored_fn each,
                              void* ctx, chorus_read_result* out);

  /* -- registry (service discovery) -- */
  /* Calls `each` for every service matching `query`. */
  chorus_status (*discover)(chorus_host* host, const chorus_service_query* query,
                            chorus_service_fn each, void* ctx);
  /* Picks one healthy service matching `query` by the load-balancing
   * strategy, calls `chosen` once with it, and returns a lease that must be
   * given back with release(). */
  chorus_status (*select)(chorus_host* host, const chorus_service_query* query,
                          chorus_service_fn chosen, void* ctx, uint64_t* out_lease);
  /* Ends a lease with the outcome of the call made to the service (for
   * least-connections and response-time balancing). */
  chorus_status (*release)(chorus_host* host, uint64_t lease, chorus_status outcome,
                           uint64_t latency_us);
  /* A request to one agent that has `capability`, picked by the registry,
   * failing over to another on error or timeout; `done` as for request(). */
  chorus_status (*request_by_capability)(chorus_host* host, chorus_str capability,
                                         const chorus_publish* request, uint32_t timeout_ms,
                                         chorus_reply_fn done, void* ctx);

  /* -- timers -- */
  /* fn(ctx, id) once after delay_ms, or every period_ms, on a host thread,
   * until cancelled or the instance stops. */
  chorus_status (*timer_after)(chorus_host* host, uint64_t delay_ms, chorus_timer_fn fn, void* ctx,
                               uint64_t* out_id);
  chorus_status (*timer_every)(chorus_host* host, uint64_t period_ms, chorus_timer_fn fn, void* ctx,
                               uint64_t* out_id);
  /* After it returns the timer's callback is never called again. */
  chorus_status (*timer_cancel)(chorus_host* host, uint64_t timer_id);
} chorus_host_api;

/* ---- the plugin's side ------------------------------------------------------------------ */

/* What init() receives; valid during init() only (copy what you keep, except
 * `host` and `api`, which stay valid until destroy() returns). */
typedef struct chorus_init_args {
  uint32_t struct_size;
  uint16_t host_abi_major;
  uint16_t host_abi_minor;
  chorus_host* host;
  const chorus_host_api* api;
  chorus_str instance_name; /* this instance's name: the source of its events */
  chorus_str config_json;   /* the instance's config block as JSON ("{}" when none) */
  chorus_str plugin_file;   /* the .so in the plugins folder */
} chorus_init_args;

/* Returned by chorus_plugin_entry(); must stay valid and unchanged while the
 * library is loaded (a static const object). */
typedef struct chorus_plugin_descriptor {
  uint32_t struct_size;            /* sizeof(chorus_plugin_descriptor) */
  uint16_t abi_major;              /* CHORUS_PLUGIN_ABI_MAJOR */
  uint16_t abi_minor;              /* CHORUS_PLUGIN_ABI_MINOR */
  const char* name;                /* required: [a-z0-9_-], 1 to 64 bytes, NUL-terminated */
  const char* version;             /* required: NUL-terminated, e.g. "1.2.0" */
  const char* description;         /* optional */
  const char* const* capabilities; /* optional: NULL-terminated list, e.g. "statistics" */

  /* Required. Creates one instance: stores its state in *out_instance.
   * May subscribe and set timers (they take effect at start). */
  chorus_status (*init)(const chorus_init_args* args, void** out_instance);
  /* Optional. The instance may now publish; its subscriptions and timers are live. */
  chorus_status (*start)(void* instance);
  /* Optional. Called after the host unsubscribed it and cancelled its timers. */
  void (*stop)(void* instance);
  /* Required. Frees the instance; join any thread the instance started. */
  void (*destroy)(void* instance);
  /* Optional: events of subscriptions without their own handler. */
  chorus_status (*on_event)(void* instance, const chorus_event_view* event);
  /* Optional: requests of CHORUS_SUBSCRIBE_REQUESTS subscriptions without
   * their own handler; reply with api->reply(). */
  chorus_status (*on_request)(void* instance, const chorus_event_view* request);
  /* Optional: CHORUS_OK when healthy; called at each heartbeat. */
  chorus_status (*health)(void* instance);
} chorus_plugin_descriptor;

typedef const chorus_plugin_descriptor* (*chorus_plugin_entry_fn)(void);

/* The one symbol a plugin exports. Called once per load, before anything
 * else; it must not have side effects. */
CHORUS_PLUGIN_EXPORT const chorus_plugin_descriptor* chorus_plugin_entry(void);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CHORUS_PLUGIN_H */
