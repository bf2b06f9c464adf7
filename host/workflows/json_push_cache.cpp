// One parse of a JSON text pushed to many coroutines (json_push_cache.h).
#include "workflows/json_push_cache.h"

namespace chorus::workflows {

bool JsonPushCache::push(lua_State* L, std::string_view json, std::string* error) {
  if (!valid_ || json != text_) {
    text_.assign(json);
    valid_ = tape_.parse(json, error);
    if (!valid_) return false;
  }
  tape_.push(L);
  return true;
}

}  // namespace chorus::workflows
