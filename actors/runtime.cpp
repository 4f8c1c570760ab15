#include "actors/runtime.hpp"

#include "actors/plugin_directory.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <spdlog/spdlog.h>

#include "actors/plugin_host.hpp"
#include "messages/errors.hpp"
#include "plugins/kinds/standard_kinds.hpp"

namespace troupe {

namespace {

/// The manager's options with the runtime's spawner; an invalid supervision config falls back to
/// the default root group (and says so).
manager_options with_spawner(manager_options opts, std::shared_ptr<plugin_spawner> spawner) {
  if (auto err = validate(opts.supervision)) {
    spdlog::error("supervision config refused, using the default root group: {}", describe(err));
    opts.supervision = {};
  }
  opts.spawner = std::move(spawner);
  return opts;
}

/// A config without an id takes the plugin's own (from its metadata).
caf::error take_id_from(plugin_config& cfg, const plugin& impl) {
  if (!cfg.id.empty())
    return {};
  try {
    cfg.id = impl.metadata().id;
  } catch (const std::exception& e) {
    return make_error(errc::plugin_failed, "", std::string("metadata threw: ") + e.what());
  }
  return {};
}

} // namespace

runtime::runtime(caf::actor_system& sys, runtime_options opts)
  : client(sys, {}, opts.call_timeout),
    natives_(opts.natives ? std::move(opts.natives) : std::make_shared<native_registry>()),
    kinds_(opts.kinds ? std::move(opts.kinds)
                      : std::make_shared<const kind_registry>(standard_kinds())),
    shared_(std::make_shared<shared_state>()),
    spawner_(std::make_shared<plugin_spawner>(sys, shared_, std::make_shared<checkpoint_store>())) {
  auto manager_opts = with_spawner(std::move(opts.manager), spawner_);
  supervision_ = manager_opts.supervision;
  spawner_->set_groups(supervision_);
  manager_opts.directory = spawner_->directory();
  set_directory(spawner_->directory());
  set_manager(spawn_manager(sys, std::move(manager_opts)));
}

runtime::~runtime() {
  watcher_.reset();
  {
    // No subscriber callback runs after this: the listeners' actors may outlive the runtime.
    std::lock_guard<std::mutex> guard{gate_->mtx};
    gate_->open = false;
  }
  for (auto& s : subscribers_)
    caf::anon_send_exit(s, caf::exit_reason::user_shutdown);
  for (auto& host : hosts_)
    caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
  // The manager ends the supervised plugin actors it spawned when it ends.
  caf::anon_send_exit(manager(), caf::exit_reason::user_shutdown);
}

caf::actor runtime::subscribe(std::function<void(const runtime_event&)> on_event) {
  auto gate = gate_;
  auto listener = system().spawn([on_event, gate](caf::event_based_actor*) -> caf::behavior {
    return {[on_event, gate](event_atom, const runtime_event& ev) {
      std::lock_guard<std::mutex> guard{gate->mtx};
      if (gate->open)
        on_event(ev);
    }};
  });
  if (auto err = client::subscribe(listener)) {
    spdlog::warn("subscribing to events failed: {}", describe(err));
    caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
    return {};
  }
  subscribers_.push_back(listener);
  return listener;
}

caf::expected<plugin_metadata> runtime::add(plugin_config cfg, std::unique_ptr<plugin> impl) {
  if (!impl)
    return make_error(errc::bad_input, cfg.id, "cannot add a null plugin");
  if (auto err = take_id_from(cfg, *impl))
    return err;
  host_options opts;
  opts.manager = manager();
  opts.directory = spawner_->directory();
  auto host = caf::actor_cast<plugin_actor>(
    spawn_plugin_host(system(), cfg.id, std::move(impl), shared_, std::move(opts)));
  auto md = register_plugin(std::move(cfg), host);
  if (!md) {
    caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
    return md;
  }
  hosts_.push_back(std::move(host));
  return md;
}

caf::expected<runtime::spawned> runtime::spawn_supervised(plugin_config cfg,
                                                         const plugin_factory& factory) {
  if (cfg.id.empty()) {
    auto probe = factory();
    if (!probe)
      return std::move(probe.error());
    if (!*probe)
      return make_error(errc::load_failed, "", "the factory made no plugin");
    if (auto err = take_id_from(cfg, **probe))
      return err;
  }
  auto host = spawner_->spawn_new(cfg.id, cfg.group, factory, manager());
  if (!host)
    return std::move(host.error());
  return spawned{std::move(cfg), std::move(*host)};
}

caf::expected<plugin_metadata> runtime::settle(const spawned& s,
                                               caf::expected<plugin_metadata> registered) {
  if (!registered)
    spawner_->discard(s.config.id, s.host);
  return registered;
}

caf::expected<plugin_metadata> runtime::add(plugin_config cfg, const plugin_factory& factory) {
  auto s = spawn_supervised(std::move(cfg), factory);
  if (!s)
    return std::move(s.error());
  return settle(*s, register_plugin(s->config, s->host));
}

caf::expected<plugin_factory> runtime::factory_for(const plugin_spec& spec) {
  auto kind = kinds_->find(spec.kind);
  if (!kind)
    return make_error(errc::config_error, spec.config.id, detail_of(kind.error()));
  return kinds_->make_factory(spec, kind_context{natives_});
}

void runtime::track_file(const plugin_spec& spec, const plugin_metadata& md) {
  auto kind = kinds_->find(spec.kind);
  if (!kind)
    return;
  auto file = (*kind)->file_key.empty() ? std::string{} : spec.key((*kind)->file_key);
  if (!file.empty() && kinds_->watching(file) == *kind) {
    std::lock_guard<std::mutex> guard{files_mtx_};
    // Replicas ("ID#2") share their file: a change reloads them all (the manager's reload of ID).
    auto id = plugin_directory::base_of(md.id);
    watched_files_[canonical_path(file)] = id;
    if (watcher_)
      watcher_->track(file, id);
  }
}

caf::expected<plugin_metadata> runtime::add(const plugin_spec& spec) {
  auto factory = factory_for(spec);
  if (!factory)
    return std::move(factory.error());
  auto md = add(spec.config, *factory);
  if (md)
    track_file(spec, *md);
  return md;
}

std::vector<caf::expected<plugin_metadata>> runtime::add_all(const std::vector<plugin_spec>& specs) {
  std::vector<caf::expected<plugin_metadata>> results(specs.size(), caf::error{});
  std::vector<spawned> ready;
  std::vector<std::size_t> where; // index in specs of each ready plugin
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto factory = factory_for(specs[i]);
    auto s = factory ? spawn_supervised(specs[i].config, *factory)
                     : caf::expected<spawned>{std::move(factory.error())};
    if (!s) {
      results[i] = std::move(s.error());
      continue;
    }
    ready.push_back(std::move(*s));
    where.push_back(i);
  }
  std::vector<std::pair<plugin_config, plugin_actor>> batch;
  for (const auto& s : ready)
    batch.emplace_back(s.config, s.host);
  auto registered = register_plugins(std::move(batch));
  for (std::size_t k = 0; k < ready.size(); ++k) {
    results[where[k]] = settle(ready[k], std::move(registered[k]));
    if (results[where[k]])
      track_file(specs[where[k]], *results[where[k]]);
  }
  return results;
}

caf::error runtime::watch(watch_options opts) {
  watcher_.reset();
  std::lock_guard<std::mutex> guard{files_mtx_};
  auto w = reload_watcher::start(system(), manager(), spawner_, std::move(opts), watched_files_,
                                 {kinds_, kind_context{natives_}});
  if (!w)
    return std::move(w.error());
  watcher_ = std::move(*w);
  return {};
}

} // namespace troupe
