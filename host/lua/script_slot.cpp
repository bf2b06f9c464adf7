// ScriptSlot: a script across reloads; the swap and the stable subscriptions.
#include "lua/script_slot.h"

#include <algorithm>

#include <fmt/core.h>
#include <fmt/ranges.h>

#include "core/topic.h"
#include "lua/filter_pool.h"
#include "lua/script_executor.h"
#include "lua/script_service.h"
#include "lua/source_file.h"

namespace chorus::lua {

ScriptSlot::ScriptSlot(ScriptSpec spec, const SlotContext& context)
    : spec_(std::move(spec)),
      ctx_(context),
      executor_(std::make_shared<ScriptExecutor>(context.services.io)),
      filters_(std::make_shared<FilterPool>(spec_.name)) {}

ScriptSlot::~ScriptSlot() = default;

std::string ScriptSlot::path() const {
  if (!spec_.file.empty() && spec_.file[0] == '/') return spec_.file;
  if (ctx_.folder.empty() || ctx_.folder == ".") return spec_.file;
  return ctx_.folder + "/" + spec_.file;
}

std::string ScriptSlot::real_path() const {
  if (!spec_.file.empty() && spec_.file[0] == '/') return lua::real_path(spec_.file);
  return lua::real_path(ctx_.folder_real + "/" + spec_.file);
}

std::vector<std::string> ScriptSlot::files() const {
  if (loaded_) return loaded_->files();
  const std::string p = real_path();
  if (p.empty()) return {};
  return {p};
}

LoadOutcome ScriptSlot::load(const ScriptSpec& spec, const std::vector<std::string>& changed) {
  const auto t0 = std::chrono::steady_clock::now();
  const ScriptSpec previous_spec = spec_;
  spec_ = spec;  // path() and real_path() of the new spec; restored on failure
  LoadOutcome out;
  out.path = path();
  out.previous_hash = loaded_ ? loaded_->hash() : "";
  auto fail = [&](Status error, std::string traceback = {}) {
    spec_ = previous_spec;
    last_error_ = error.message();
    counters_->load_failures.fetch_add(1, std::memory_order_relaxed);
    out.kind = LoadOutcome::Kind::kFailed;
    out.error = std::move(error);
    out.traceback = std::move(traceback);
    out.took = std::chrono::steady_clock::now() - t0;
    return out;
  };

  const std::string full =
      (!spec.file.empty() && spec.file[0] == '/') ? spec.file : ctx_.folder_real + "/" + spec.file;
  std::string source;
  if (Status s = read_source(full, out.path, source); !s.ok()) {
    if (!spec.origin.empty()) s = s.with_context(spec.origin + ": file");
    return fail(std::move(s));
  }
  const std::string hash = content_hash(source);
  if (loaded_ && !changed.empty() && spec == previous_spec && hash == loaded_->hash()) {
    const std::string own = real_path();
    bool module_changed = false;
    for (const auto& f : loaded_->files())
      module_changed = module_changed ||
                       (f != own && std::find(changed.begin(), changed.end(), f) != changed.end());
    if (!module_changed) {
      out.kind = LoadOutcome::Kind::kUnchanged;
      out.hash = hash;
      return out;
    }
  }

  VersionSpec vs;
  vs.name = spec.name;
  vs.path = out.path;
  vs.folder = ctx_.folder;
  vs.folder_real = ctx_.folder_real;
  vs.real_path = lua::real_path(full);
  vs.source = std::move(source);
  vs.trust = spec.trust;
  vs.limits = spec.limits;
  vs.config_json = spec.config_json;
  vs.mode = Mode::kLive;
  vs.request_timeout = ctx_.request_timeout;
  vs.generation = generation_ + 1;
  vs.counters = counters_;
  vs.extensions = ctx_.extensions;
  LoadError error;
  std::shared_ptr<ScriptVersion> v = ScriptVersion::load(vs, ctx_.services, executor_, &error);
  if (!v) return fail(Status::InvalidArgument(error.message), error.traceback);
  if (Status s = v->bind(spec.subscriptions); !s.ok()) return fail(std::move(s));

  // YAML filters, resolved before anything changes.
  std::map<std::string, bus::Filter> bus_filters;
  for (const Declared& d : v->declared()) {
    if (d.bus_filter.empty() || bus_filters.count(d.bus_filter)) continue;
    const auto dot = d.bus_filter.find('.');
    if (dot == std::string::npos) {
      if (!v->has_function(d.bus_filter))
        return fail(Status::InvalidArgument(fmt::format(
            "{}: filter: {} defines no global function '{}'", d.origin, out.path, d.bus_filter)));
      bus_filters[d.bus_filter] =
          make_bus_filter(filters_, d.bus_filter, fmt::format("{} of {}", d.bus_filter, spec.name));
    } else {
      auto f = ctx_.other_filter(d.bus_filter.substr(0, dot), d.bus_filter.substr(dot + 1));
      if (!f.ok()) return fail(f.error().with_context(d.origin + ": filter"));
      bus_filters[d.bus_filter] = std::move(*f);
    }
  }
  // Functions other subscriptions use as filters must still be there.
  for (const std::string& fn : filters_->in_use()) {
    if (!v->has_function(fn))
      return fail(Status::InvalidArgument(fmt::format(
          "{} no longer defines '{}', which is in use as a filter; the previous version keeps "
          "running",
          out.path, fn)));
  }
  filters_->update(v->spec());
  if (Status s = swap(v, bus_filters); !s.ok()) return fail(std::move(s));

  update_service(*v);

  out.kind = LoadOutcome::Kind::kLoaded;
  out.hash = v->hash();
  out.generation = v->spec().generation;
  if (loaded_) counters_->reloads.fetch_add(1, std::memory_order_relaxed);
  loaded_ = std::move(v);
  generation_ = out.generation;
  last_error_.clear();
  out.took = std::chrono::steady_clock::now() - t0;
  return out;
}

std::string ScriptSlot::subscriber_id(const Declared& d, int key_id) {
  // The first declaration with these patterns owns the plain name, for the
  // life of the slot; the others add their key id.
  std::string id = fmt::format("script:{}:{}", spec_.name, fmt::join(d.patterns, ","));
  auto [it, fresh] = subscriber_names_.emplace(id, key_id);
  (void)fresh;
  if (it->second != key_id) id = fmt::format("{}#{}", id, key_id);
  return id;
}

Result<bus::SubscriptionId> ScriptSlot::subscribe(const Declared& d, int key_id,
                                                  const bus::Filter& filter, std::string* sub_id) {
  bus::EventBus* bus = ctx_.services.bus;
  *sub_id = subscriber_id(d, key_id);
  auto handler = [w = weak_from_this(), key_id](const EventPtr& ev) -> Status {
    auto self = w.lock();
    if (!self) return Status::OK();
    return self->dispatch(key_id, ev);
  };
  if (!d.durable_group.empty()) {
    if (d.patterns.size() != 1)
      return Status::InvalidArgument(fmt::format(
          "{}: a durable subscription takes one pattern (got {})", d.label, d.patterns.size()));
    bus::DurableOptions o;
    o.subscriber_id = *sub_id;
    // The member's name in the consumer group (the store allows
    // [A-Za-z0-9._:-]); stable across reloads and restarts.
    o.consumer = fmt::format("script:{}:{}", spec_.name, key_id);
    if (filter) {
      return bus->subscribe_durable(
          d.durable_group, d.patterns[0],
          [handler, filter](const EventPtr& ev) {
            return filter(*ev) ? handler(ev) : Status::OK();
          },
          o);
    }
    return bus->subscribe_durable(d.durable_group, d.patterns[0], handler, o);
  }
  bus::SubscribeOptions o;
  o.subscriber_id = *sub_id;
  o.queue_group = d.queue_group;
  o.filter = filter;
  return bus->subscribe(d.patterns, handler, std::move(o));
}

Status ScriptSlot::dispatch(int key_id, const EventPtr& ev) {
  return executor_->run([&]() -> Status {
    if (!current_ || key_id >= static_cast<int>(index_of_key_.size())) return Status::OK();
    const int i = index_of_key_[key_id];
    if (i < 0) return Status::OK();
    return current_->deliver(static_cast<size_t>(i), ev);
  });
}

Status ScriptSlot::dispatch_directed(const EventPtr& ev) {
  return executor_->run([&]() -> Status {
    if (!current_) return Status::OK();
    const std::vector<Declared>& decl = current_->declared();
    Status first;
    for (size_t i = 0; i < decl.size(); ++i) {
      const bool match =
          std::any_of(decl[i].patterns.begin(), decl[i].patterns.end(),
                      [&](const std::string& p) { return topic_matches(p, ev->type()); });
      if (!match) continue;
      Status s = current_->deliver(i, ev);
      if (first.ok() && !s.ok()) first = std::move(s);
    }
    return first;
  });
}

void ScriptSlot::update_service(const ScriptVersion& v) {
  if (!service_) {
    if (!v.service() || !ctx_.services.registry) return;
    service_ = std::make_unique<ScriptService>(
        spec_.name, ctx_.services.io, ctx_.services.registry, ctx_.services.bus,
        [w = weak_from_this()](const EventPtr& ev) -> Status {
          auto self = w.lock();
          return self ? self->dispatch_directed(ev) : Status::OK();
        });
  }
  std::vector<std::string> patterns;
  for (const Declared& d : v.declared())
    patterns.insert(patterns.end(), d.patterns.begin(), d.patterns.end());
  service_->update(v.service() ? &*v.service() : nullptr, std::move(patterns));
}

Status ScriptSlot::swap(std::shared_ptr<ScriptVersion> v,
                        const std::map<std::string, bus::Filter>& bus_filters) {
  const std::vector<Declared>& decl = v->declared();
  std::vector<int> ids(decl.size());
  for (size_t i = 0; i < decl.size(); ++i) {
    auto [it, fresh] = key_ids_.emplace(decl[i].key, static_cast<int>(key_ids_.size()));
    (void)fresh;
    ids[i] = it->second;
  }
  std::vector<int> mapping(key_ids_.size(), -1);
  for (size_t i = 0; i < decl.size(); ++i)
    mapping[ids[i]] = static_cast<int>(i);

  std::vector<std::pair<std::string, Subscription>> added;
  Status failed;
  Status ran = executor_->run([&]() -> Status {
    for (size_t i = 0; i < decl.size(); ++i) {
      if (subs_.count(decl[i].key)) continue;
      bool again = false;
      for (const auto& a : added)
        again = again || a.first == decl[i].key;
      if (again) continue;
      bus::Filter filter;
      if (!decl[i].bus_filter.empty()) filter = bus_filters.at(decl[i].bus_filter);
      Subscription sub;
      sub.key_id = ids[i];
      auto r = subscribe(decl[i], ids[i], filter, &sub.name);
      if (!r.ok()) {
        failed = r.error();
        return Status::OK();
      }
      sub.id = *r;
      added.emplace_back(decl[i].key, std::move(sub));
    }
    std::shared_ptr<ScriptVersion> old = std::move(current_);
    current_ = v;
    index_of_key_ = std::move(mapping);
    v->activate();
    if (old) {
      std::weak_ptr<ScriptSlot> ws = weak_from_this();
      ScriptVersion* raw = old.get();
      old->retire([ws, raw] {
        if (auto self = ws.lock())
          std::erase_if(self->retiring_, [raw](const auto& p) { return p.get() == raw; });
      });
      if (!old->idle()) retiring_.push_back(std::move(old));
    }
    return Status::OK();
  });
  if (failed.ok()) failed = ran;
  if (!failed.ok()) {
    for (const auto& [key, sub] : added)
      (void)ctx_.services.bus->unsubscribe(sub.id);
    return failed;
  }
  for (auto& [key, sub] : added)
    subs_[key] = std::move(sub);
  // Declarations the new version dropped.
  for (auto it = subs_.begin(); it != subs_.end();) {
    const bool kept = std::any_of(decl.begin(), decl.end(),
                                  [&](const Declared& d) { return d.key == it->first; });
    if (kept) {
      ++it;
      continue;
    }
    (void)ctx_.services.bus->unsubscribe(it->second.id);
    it = subs_.erase(it);
  }
  return Status::OK();
}

void ScriptSlot::unload() {
  if (service_) service_->clear();
  std::shared_ptr<ScriptVersion> old;
  (void)executor_->run([&]() -> Status {
    old = std::move(current_);
    index_of_key_.clear();
    if (old) {
      std::weak_ptr<ScriptSlot> ws = weak_from_this();
      ScriptVersion* raw = old.get();
      old->retire([ws, raw] {
        if (auto self = ws.lock())
          std::erase_if(self->retiring_, [raw](const auto& p) { return p.get() == raw; });
      });
      if (!old->idle()) retiring_.push_back(old);
    }
    return Status::OK();
  });
  for (auto& [key, sub] : subs_)
    (void)ctx_.services.bus->unsubscribe(sub.id);
  subs_.clear();
  filters_->clear();
  loaded_.reset();
}

void ScriptSlot::shutdown() {
  if (service_) service_->clear();
  executor_->discard();
  (void)executor_->run([&]() -> Status {
    if (current_) current_->shutdown();
    for (auto& v : retiring_)
      v->shutdown();
    current_.reset();
    retiring_.clear();
    index_of_key_.clear();
    return Status::OK();
  });
  executor_->discard();
  loaded_.reset();
  filters_->clear();
}

SlotInfo ScriptSlot::info() const {
  SlotInfo i;
  i.name = spec_.name;
  i.path = path();
  i.trusted = spec_.trust == Trust::kTrusted;
  i.last_error = last_error_;
  i.subscriptions = subs_.size();
  i.invocations = counters_->invocations.load(std::memory_order_relaxed);
  i.errors = counters_->errors.load(std::memory_order_relaxed);
  i.limit_hits = counters_->limit_hits.load(std::memory_order_relaxed);
  i.reloads = counters_->reloads.load(std::memory_order_relaxed);
  i.load_failures = counters_->load_failures.load(std::memory_order_relaxed);
  if (loaded_) {
    i.loaded = true;
    i.hash = loaded_->hash();
    i.generation = loaded_->spec().generation;
  }
  (void)executor_->run([&]() -> Status {
    if (current_) {
      i.waiting = current_->invoker().waiting();
      i.memory_bytes = current_->vm().memory_used();
    }
    i.retiring = retiring_.size();
    return Status::OK();
  });
  return i;
}

}  // namespace chorus::lua
