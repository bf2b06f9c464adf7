// The commands that talk to a running host through its admin API
// (docs/cli.md "Live commands"): publish, request, tail, events, timeline,
// dlq. One file each (publish_cmd.cpp, ...); main.cpp parses their flags
// into these structs. Exit codes as commands.h: 0, 1, 2, and 3 when the
// host has no such thing, 4 when no host answers at the address.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace chorus::cli {

// Where the host is: --addr, else CHORUS_ADDR, else api.listen of --config,
// else 127.0.0.1:7070; the token: --token, else CHORUS_TOKEN, else the first
// of api.tokens in --config.
struct Connect {
  std::string addr;
  std::string token;
  std::string config_path;
};

// The event flags publish and request share.
struct EventFlags {
  std::string type;
  std::string data;       // JSON (or text with a non-JSON --content-type); "" none
  std::string data_file;  // read data from this file ("-": stdin)
  std::string content_type;
  std::string source = "chorus-cli";
  std::string id, target, stream, correlation, causation, priority;
  std::vector<std::string> meta;  // key=value
};

struct PublishOptions {
  Connect connect;
  EventFlags event;
  bool json = false;
};
int cmd_publish(const PublishOptions& options);

struct RequestOptions {
  Connect connect;
  EventFlags event;
  std::string timeout;  // "5s"; empty: the host's api.requests.default_timeout
  bool json = false;
};
int cmd_request(const RequestOptions& options);

struct TailOptions {
  Connect connect;
  std::vector<std::string> patterns;
  uint64_t count = 0;  // stop after this many events (0: until Ctrl-C)
  bool json = false;
};
int cmd_tail(const TailOptions& options);

struct EventsOptions {
  Connect connect;
  std::string type, correlation, stream, since, until;
  uint64_t limit = 100;
  bool backward = false;
  std::string cursor;  // continue a previous query (its "next")
  bool json = false;
};
int cmd_events(const EventsOptions& options);

struct TimelineOptions {
  Connect connect;
  std::string correlation;
  bool json = false;
};
int cmd_timeline(const TimelineOptions& options);

struct DlqOptions {
  Connect connect;
  std::string action;  // list, show, replay, drop
  uint64_t id = 0;     // show, replay, drop
  std::string subscriber;
  uint64_t limit = 100;
  std::string to = "subscriber";  // replay: subscriber or all
  bool json = false;
};
int cmd_dlq(const DlqOptions& options);

}  // namespace chorus::cli
