// The CloudEvents HTTP protocol binding (1.0) for request bodies: which of
// the three modes a request uses, and its events.
//
//   structured  Content-Type: application/cloudevents+json; the body is one
//               CloudEvents JSON object (core/cloudevents.h decodes it).
//   batch       Content-Type: application/cloudevents-batch+json; the body
//               is a JSON array of such objects.
//   binary      a ce-specversion header; each attribute is a ce-<name>
//               header (values percent-decoded), Content-Type is
//               datacontenttype and the body is the data, byte for byte.
//
// A missing `id` gets a new UUIDv7 (publishers need not make ids). Errors
// are InvalidArgument naming the attribute (and, in a batch, the element),
// or NotSupported when the request is in none of the modes.
#pragma once

#include <string_view>
#include <vector>

#include "api/http_message.h"
#include "core/event.h"
#include "core/status.h"

namespace chorus::api {

enum class CloudEventsMode { kStructured, kBatch, kBinary };

// NotSupported (answered 415) naming what the request lacked.
Result<CloudEventsMode> cloudevents_mode(const Request& request);

// The request's events in body order (one, except in batch mode).
// REQUIRES: mode == cloudevents_mode(request).
Result<std::vector<EventPtr>> decode_cloudevents(const Request& request, CloudEventsMode mode);

// The binary mode alone (for tests and the fuzzer).
Result<EventPtr> decode_binary_cloudevent(const Request& request);

// Splits a JSON array into the text of its elements (whitespace trimmed),
// without parsing them. InvalidArgument naming the byte offset when the
// text is not an array.
Result<std::vector<std::string_view>> split_json_array(std::string_view json);

// The media type of a Content-Type value: lower case, parameters dropped.
std::string media_type(std::string_view content_type);

}  // namespace chorus::api
