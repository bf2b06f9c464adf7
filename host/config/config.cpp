// Loading the configuration: read the file, parse YAML, dispatch each
// top-level key to its section parser, collect every error in file order.
#include "config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/core.h>

#include "config/yaml_reader.h"

namespace chorus::config {
namespace {

constexpr size_t kMaxConfigBytes = 16u << 20;

struct SectionDef {
  std::string_view key;
  void (*parse)(MapReader&, Config&);
};

// One line per section.
constexpr SectionDef kSections[] = {
    {"host", [](MapReader& r, Config& c) { parse_host_section(r, c.host); }},
    {"log", [](MapReader& r, Config& c) { parse_log_section(r, c.log); }},
};

Result<Config> fail(ReadContext& ctx, ConfigErrors* errors) {
  std::stable_sort(ctx.errors.errors.begin(), ctx.errors.errors.end(),
                   [](const ConfigError& a, const ConfigError& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  if (errors) *errors = ctx.errors;
  return ctx.errors.to_status();
}

Status read_file(const std::string& path, std::string& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError(fmt::format("cannot open: {}", std::strerror(errno)));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::InvalidArgument("not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxConfigBytes) {
    ::close(fd);
    return Status::InvalidArgument(
        fmt::format("{} bytes is too large for a config file (at most {})", st.st_size, kMaxConfigBytes));
  }
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return Status::IOError(fmt::format("cannot read: {}", n == 0 ? "file shrank" : std::strerror(err)));
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return Status::OK();
}

}  // namespace

Config default_config() {
  Config c;
  c.host.name = default_host_name();
  return c;
}

Result<Config> parse_config(std::string_view yaml, const std::string& file,
                            const LoadOptions& options, ConfigErrors* errors) {
  ReadContext ctx;
  ctx.file = file;
  ctx.env = options.env ? options.env : process_env();

  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    ctx.error(e.mark, "", fmt::format("invalid YAML: {}", e.msg));
    return fail(ctx, errors);
  }
  if (docs.size() > 1) {
    ctx.error(docs[1].Mark(), "", "more than one YAML document (expected one)");
    return fail(ctx, errors);
  }

  Config cfg = default_config();
  cfg.file = file;
  YAML::Node root = docs.empty() ? YAML::Node() : docs[0];
  MapReader top(ctx, root, "");
  for (const auto& s : kSections) {
    if (auto section = top.map(s.key)) s.parse(*section, cfg);
  }
  top.finish();
  if (!ctx.errors.empty()) return fail(ctx, errors);
  if (errors) errors->errors.clear();
  return cfg;
}

Result<Config> load_config(const std::string& path, const LoadOptions& options,
                           ConfigErrors* errors) {
  std::string text;
  if (Status s = read_file(path, text); !s.ok()) {
    ConfigErrors errs;
    errs.errors.push_back(ConfigError{path, 0, 0, "", s.message()});
    if (errors) *errors = errs;
    return Status(s.code(), errs.errors[0].to_string());
  }
  return parse_config(text, path, options, errors);
}

}  // namespace chorus::config
