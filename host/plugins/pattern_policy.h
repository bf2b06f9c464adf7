// The topics a plugin instance may publish and subscribe to (per-plugin
// `publish:` and `subscribe:` lists in the `plugins:` section). The host
// checks every publish, request, reply and store append against the publish
// patterns, every subscription pattern against the subscribe patterns, and
// skips stored events outside them when the plugin reads the store. Unset
// lists allow everything; an empty list allows nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace chorus::plugins {

class PatternPolicy {
 public:
  PatternPolicy() = default;
  // InvalidArgument for a bad pattern (naming the list).
  static Result<PatternPolicy> make(std::optional<std::vector<std::string>> publish,
                                    std::optional<std::vector<std::string>> subscribe);

  // `type` matches an allowed publish pattern.
  bool may_publish(std::string_view type) const noexcept;
  // Every topic `pattern` can match is matched by one allowed pattern.
  bool may_subscribe(std::string_view pattern) const noexcept;
  // `type` (of a stored event) matches an allowed subscribe pattern.
  bool may_read(std::string_view type) const noexcept;

  // "[a.*, b.**]" or "any", for messages.
  std::string publish_text() const;
  std::string subscribe_text() const;

 private:
  std::optional<std::vector<std::string>> publish_, subscribe_;
};

// True when every topic matched by `inner` is matched by `outer` (both valid
// patterns): `sensor.**` covers `sensor.*.x` and `sensor.reading`; `a.*`
// does not cover `a.**`.
bool pattern_covers(std::string_view outer, std::string_view inner) noexcept;

}  // namespace chorus::plugins
