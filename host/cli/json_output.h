// JSON on stdout for `--json`: a RapidJSON writer over a buffer, printed as
// one line. Every command builds its JSON through this, never by hand.
#pragma once

#include <cstdio>
#include <string_view>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace chorus::cli {

struct JsonOutput {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w{buf};

  void string(std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  // Writes the document and a newline to stdout.
  void print() {
    std::fwrite(buf.GetString(), 1, buf.GetSize(), stdout);
    std::fputc('\n', stdout);
  }
};

}  // namespace chorus::cli
