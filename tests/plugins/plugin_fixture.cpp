// The plugins tests' host (plugin_fixture.h).
#include "plugin_fixture.h"

#include <cstdio>
#include <fcntl.h>
#include <unistd.h>

#include <rapidjson/document.h>

#include "runtime/agent_registration.h"

namespace chorus::test {
namespace fs = std::filesystem;

namespace {

// The one place the tests name the bus's option types.
bus::BusOptions bus_options(const FixtureOptions& o) {
  bus::BusOptions b;
  b.retry.max_attempts = o.retry_attempts;
  b.retry.initial_backoff = o.retry_backoff;
  b.retry.max_backoff = o.retry_backoff * 4;
  b.retry.jitter = 0;
  b.breaker.failure_threshold = o.breaker_threshold;
  b.breaker.cooldown = std::chrono::milliseconds(60'000);
  b.shutdown_timeout = std::chrono::milliseconds(2'000);
  return b;
}

void write_all(int fd, const std::string& bytes) {
  size_t put = 0;
  while (put < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + put, bytes.size() - put);
    REQUIRE(n > 0);
    put += static_cast<size_t>(n);
  }
}

}  // namespace

std::string data_field(const Event& e, const char* key) {
  rapidjson::Document d;
  d.Parse(e.data().data(), e.data().size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(key)) return {};
  if (d[key].IsString()) return d[key].GetString();
  if (d[key].IsBool()) return d[key].GetBool() ? "true" : "false";
  return {};
}

double data_number(const Event& e, const char* key) {
  rapidjson::Document d;
  d.Parse(e.data().data(), e.data().size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember(key) || !d[key].IsNumber()) return -1;
  return d[key].GetDouble();
}

std::string built_plugin(const std::string& name) {
  const std::string path = kTestPlugins + "/" + name + ".so";
  std::string bytes = read_file(path);
  INFO(path);
  REQUIRE(!bytes.empty());
  return bytes;
}

PluginFixture::PluginFixture(FixtureOptions o) {
  fs::create_directories(folder());
  fs::permissions(folder(), fs::perms::owner_all, fs::perm_options::replace);
  options_.folder = folder();
  options_.private_dir = dir.file("private");
  options_.heartbeat_interval = o.heartbeat;
  options_.drain_timeout = std::chrono::milliseconds(5'000);
  options_.watch = o.watch;
  if (o.with_store) {
    store::StoreOptions so;
    so.path = dir.file("store");
    so.durability = store::Durability::kNone;
    // Events a durable member read but had not handled when it was unloaded
    // come back after this.
    so.group_ack_timeout = std::chrono::milliseconds(1'000);
    auto s = store::EventStore::open(so);
    REQUIRE(s.ok());
    store = std::move(*s);
  }
  bus = std::make_unique<bus::EventBus>(io.io, bus_options(o));
  if (store) {
    REQUIRE(
        bus->set_durable_log(std::make_shared<runtime::StoreDurableLog>(*store), o.persist).ok());
  }
  bus::SubscribeOptions tap;
  tap.subscriber_id = "test-tap";
  tap.mode = bus::DeliveryMode::kInline;
  tap.observe_all = true;
  auto id = bus->subscribe(
      "**",
      [this](const EventPtr& e) {
        log.add(e);
        return Status::OK();
      },
      tap);
  REQUIRE(id.ok());
  tap_ = *id;
  if (o.with_registry) {
    discovery::DiscoveryOptions d;
    d.sweep_interval = std::chrono::milliseconds(0);
    d.checkpoint_interval = std::chrono::milliseconds(0);
    auto r = discovery::Registry::open(discovery::RegistryEnv{&io.io, bus.get(), nullptr, {}}, d);
    REQUIRE(r.ok());
    registry = std::move(*r);
    options_.registry = registry.get();
    options_.directory = std::make_shared<runtime::AgentRegistration>(*registry, o.heartbeat);
  }
}

PluginFixture::~PluginFixture() {
  stop_host();
  if (registry) registry->shutdown();
  if (bus) (void)bus->shutdown(std::chrono::milliseconds(1'000));
}

plugins::PluginSettings& PluginFixture::settings(const std::string& key) {
  for (auto& s : options_.plugins)
    if (s.key == key) return s;
  options_.plugins.push_back(plugins::PluginSettings{});
  options_.plugins.back().key = key;
  return options_.plugins.back();
}

std::string PluginFixture::install(const std::string& built, const std::string& as) {
  return install_file(kTestPlugins + "/" + built + ".so", as);
}

std::string PluginFixture::install_file(const std::string& path, const std::string& as) {
  const std::string bytes = read_file(path);
  INFO(path);
  REQUIRE(!bytes.empty());
  const std::string tmp = folder() + "/." + as + ".so.tmp";
  const std::string dst = folder() + "/" + as + ".so";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  REQUIRE(fd >= 0);
  write_all(fd, bytes);
  ::close(fd);
  REQUIRE(::rename(tmp.c_str(), dst.c_str()) == 0);
  return dst;
}

std::string PluginFixture::copy_in_place(const std::string& built, const std::string& as) {
  const std::string bytes = built_plugin(built);
  const std::string dst = folder() + "/" + as + ".so";
  const int fd = ::open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  REQUIRE(fd >= 0);
  write_all(fd, bytes);
  ::close(fd);
  return dst;
}

void PluginFixture::remove(const std::string& as) {
  REQUIRE(::unlink((folder() + "/" + as + ".so").c_str()) == 0);
}

void PluginFixture::start() {
  host_ = std::make_unique<plugins::PluginHost>(io.io, *bus, store.get(), options_);
  REQUIRE(host_->start().ok());
}

void PluginFixture::stop_host() {
  if (!host_) return;
  host_->stop();
  host_.reset();
}

Status PluginFixture::publish(const std::string& type, int n) {
  auto ev = EventBuilder(type).source("test").data("{\"n\":" + std::to_string(n) + "}").build();
  if (!ev.ok()) return ev.error();
  return bus->publish(*ev);
}

EventPtr PluginFixture::wait_lifecycle(const std::string& what, const std::string& name,
                                       std::chrono::milliseconds timeout) {
  const std::string type = "agent." + what;
  return log.wait_for(
      [&](const Event& e) { return e.type() == type && data_field(e, "name") == name; }, timeout);
}

std::optional<plugins::PluginInfo> PluginFixture::info(const std::string& instance) const {
  for (auto& p : host_->plugins())
    if (p.agent.name == instance) return p;
  return std::nullopt;
}

}  // namespace chorus::test
