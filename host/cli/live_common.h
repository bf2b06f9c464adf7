// What the live commands share (live_commands.h): finding the host,
// turning the API's answers into messages and exit codes, building the
// event of publish/request from flags, and printing events.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "cli/api_client.h"
#include "cli/live_commands.h"
#include "core/event.h"
#include "core/status.h"

namespace chorus::cli {

// The endpoint from flags, environment and config (live_commands.h
// Connect). InvalidArgument for an address that is not host:port.
Result<ApiEndpoint> resolve_endpoint(const Connect& c);

// Prints "chorus: <message>" for an error and returns its exit code:
// Unavailable 4, NotFound 3, InvalidArgument of local input 2, else 1.
int report(const Status& s);
// For an HTTP answer that is not 2xx: prints the host's error message and
// returns 3 (404), 4 (503), 1 (others, with a hint for 401).
int report_http(const HttpResult& r, const ApiEndpoint& e);
// The same for a status and the host's message (a refused WebSocket upgrade).
int report_http(int status, std::string_view message, const ApiEndpoint& e);

// Parses a JSON body; InvalidArgument when the host sent something else.
Result<rapidjson::Document> parse_body(const HttpResult& r);

// What a live command does first with the host's answer `r` to its
// request. A failed request or a status outside `ok` is reported; with
// `print_json` (--json) the body is printed as the host sent it. Either way
// the command is done and its exit code is returned. Otherwise nullopt,
// with the parsed body in `body` (a body that is not a JSON object is
// reported, as parse_body says).
std::optional<int> take_answer(const Result<HttpResult>& r, const ApiEndpoint& e, bool print_json,
                               rapidjson::Document& body, std::initializer_list<int> ok = {200});

// The event described by the flags, validated (an error names the flag).
Result<EventPtr> event_from_flags(const EventFlags& f);

// Whether stdout is a terminal (colour).
bool stdout_is_tty();
// One line for an event: time, type, source, stream, id and the data cut
// to fit; coloured when `colour`.
std::string event_line(const Event& e, bool colour);
// The JSON text of a value (for display; numbers go through the DOM, so
// --json output prints the host's bytes instead).
std::string to_json(const rapidjson::Value& v);

}  // namespace chorus::cli
