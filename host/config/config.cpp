// Loading the configuration: read the file, parse YAML, dispatch each
// top-level key to its section parser, collect every error in file order.
#include "config/config.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

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
    {"bus", [](MapReader& r, Config& c) { parse_bus_section(r, c.bus); }},
    {"store", [](MapReader& r, Config& c) { parse_store_section(r, c.store); }},
    {"discovery", [](MapReader& r, Config& c) { parse_discovery_section(r, c.discovery); }},
    {"scripts", [](MapReader& r, Config& c) { parse_scripts_section(r, c.scripts); }},
    {"plugins", [](MapReader& r, Config& c) { parse_plugins_section(r, c.plugins); }},
    {"api", [](MapReader& r, Config& c) { parse_api_section(r, c.api); }},
    {"workflows", [](MapReader& r, Config& c) { parse_workflows_section(r, c.workflows); }},
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
    return Status::InvalidArgument(fmt::format(
        "{} bytes is too large for a config file (at most {})", st.st_size, kMaxConfigBytes));
  }
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      return Status::IOError(
          fmt::format("cannot read: {}", n == 0 ? "file shrank" : std::strerror(err)));
    }
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  return Status::OK();
}

// Records where each document starts; the content itself is read by
// YAML::Load afterwards.
class DocumentStarts final : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts;
  void OnDocumentStart(const YAML::Mark& m) override { starts.push_back(m); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// yaml-cpp 0.7 (Debian's) neither consumes nor reports some stray tokens (a
// leading ',' for instance): YAML::Load returns an empty document and
// YAML::LoadAll loops forever (upstream issue #1040, fixed after 0.7). So the
// documents are counted first, at most three, and a "document" that starts
// where the previous one started is that stuck token.
void check_documents(std::string_view yaml, ReadContext& ctx) {
  std::istringstream in{std::string(yaml)};
  YAML::Parser parser(in);
  DocumentStarts h;
  while (h.starts.size() < 3 && parser.HandleNextDocument(h)) {
  }
  if (h.starts.size() < 2) return;
  if (h.starts[1].pos == h.starts[0].pos) {
    const auto pos = static_cast<size_t>(h.starts[0].pos);
    const std::string what = pos < yaml.size() ? fmt::format("'{}'", yaml[pos]) : "input";
    ctx.error(h.starts[0], "", fmt::format("invalid YAML: unexpected {}", what));
  } else {
    ctx.error(h.starts[1], "", "more than one YAML document (expected one)");
  }
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

  YAML::Node root;
  try {
    check_documents(yaml, ctx);
    if (!ctx.errors.empty()) return fail(ctx, errors);
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    ctx.error(e.mark, "", fmt::format("invalid YAML: {}", e.msg));
    return fail(ctx, errors);
  }

  Config cfg = default_config();
  cfg.file = file;
  MapReader top(ctx, root, "");
  for (const auto& s : kSections) {
    if (auto section = top.map(s.key)) s.parse(*section, cfg);
  }
  top.finish();
  if (!ctx.errors.empty()) return fail(ctx, errors);
  if (errors) errors->errors.clear();
  cfg.settings = std::move(ctx.settings);
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
