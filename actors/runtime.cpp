#include "actors/runtime.hpp"

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
  auto host = spawn_plugin_host(system(), cfg.id, std::move(impl), shared_, manager());
  auto md = register_plugin(std::move(cfg), host);
  if (!md) {
    caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
    return md;
  }
  hosts_.push_back(std::move(host));
  return md;
}

caf::expected<plugin_metadata> runtime::add(plugin_config cfg, const plugin_factory& factory) {
  if (cfg.id.empty()) {
    auto probe = factory();
    if (!probe)
      return std::move(probe.error());
    if (!*probe)
      return make_error(errc::load_failed, "", "the factory made no plugin");
    if (auto err = take_id_from(cfg, **probe))
      return err;
  }
  if (!spawner_->add_factory(cfg.id, factory))
    return make_error(errc::already_exists, cfg.id, "a plugin with this id is registered already");
  auto id = cfg.id;
  const auto* group = find_group(supervision_, cfg.group.empty() ? root_group : cfg.group);
  auto host = spawner_->spawn(id, manager(), group ? group->checkpoint_every : 1);
  if (!host) {
    spawner_->remove_factory(id);
    return std::move(host.error());
  }
  auto md = register_plugin(std::move(cfg), *host);
  if (!md) {
    spawner_->remove_factory(id);
    caf::anon_send_exit(*host, caf::exit_reason::user_shutdown);
  }
  return md;
}

caf::expected<plugin_metadata> runtime::add(const plugin_spec& spec) {
  auto kind = kinds_->find(spec.kind);
  if (!kind)
    return make_error(errc::config_error, spec.config.id, detail_of(kind.error()));
  auto factory = kinds_->make_factory(spec, kind_context{natives_});
  if (!factory)
    return std::move(factory.error());
  auto md = add(spec.config, *factory);
  auto file = (*kind)->file_key.empty() ? std::string{} : spec.key((*kind)->file_key);
  if (md && !file.empty() && kinds_->watching(file) == *kind) {
    watched_files_[canonical_path(file)] = md->id;
    if (watcher_)
      watcher_->track(file, md->id);
  }
  return md;
}

caf::error runtime::watch(watch_options opts) {
  watcher_.reset();
  auto w = reload_watcher::start(system(), manager(), spawner_, std::move(opts), watched_files_,
                                 {kinds_, kind_context{natives_}});
  if (!w)
    return std::move(w.error());
  watcher_ = std::move(*w);
  return {};
}

} // namespace troupe
