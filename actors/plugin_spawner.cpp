#include "actors/plugin_spawner.hpp"

#include <caf/send.hpp>

#include "actors/host/call_probe.hpp"
#include "actors/plugin_directory.hpp"
#include "actors/plugin_host.hpp"
#include "messages/errors.hpp"

namespace troupe {

plugin_spawner::plugin_spawner(caf::actor_system& sys, std::shared_ptr<shared_state> shared,
                               std::shared_ptr<checkpoint_store> checkpoints)
  : sys_(sys), shared_(std::move(shared)), checkpoints_(std::move(checkpoints)),
    directory_(std::make_shared<plugin_directory>()) {
}

void plugin_spawner::set_groups(supervision_config groups) {
  std::lock_guard<std::mutex> guard{mtx_};
  groups_ = std::move(groups);
}

bool plugin_spawner::add_factory(const std::string& id, plugin_factory factory) {
  std::lock_guard<std::mutex> guard{mtx_};
  return factories_.emplace(id, std::move(factory)).second;
}

void plugin_spawner::remove_factory(const std::string& id) {
  std::lock_guard<std::mutex> guard{mtx_};
  factories_.erase(id);
  probes_.erase(id);
  detached_.erase(id);
}

bool plugin_spawner::knows(const std::string& id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return factories_.count(id) > 0;
}

caf::expected<std::unique_ptr<plugin>> plugin_spawner::make(const std::string& id) const {
  plugin_factory factory;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = factories_.find(id);
    if (i == factories_.end())
      return make_error(errc::not_found, id, "no factory to make this plugin again");
    factory = i->second;
  }
  caf::expected<std::unique_ptr<plugin>> impl{caf::error{}};
  try {
    impl = factory();
  } catch (const std::exception& e) {
    return make_error(errc::load_failed, id, std::string("its factory threw: ") + e.what());
  }
  if (!impl)
    return std::move(impl.error());
  if (!*impl)
    return make_error(errc::load_failed, id, "its factory made no plugin");
  return impl;
}

caf::expected<plugin_actor> plugin_spawner::spawn(const std::string& id, const std::string& group,
                                                  manager_actor manager) {
  auto impl = make(id);
  if (!impl)
    return std::move(impl.error());
  return spawn_host(id, group, std::move(manager), std::move(*impl));
}

caf::expected<plugin_actor> plugin_spawner::spawn_successor(const std::string& id,
                                                            const std::string& group,
                                                            manager_actor manager) {
  if (!knows(id))
    return make_error(errc::not_found, id, "no factory to make this plugin again");
  return spawn_host(id, group, std::move(manager), nullptr);
}

plugin_actor plugin_spawner::spawn_host(const std::string& id, const std::string& group,
                                        manager_actor manager, std::unique_ptr<plugin> impl) {
  host_options opts;
  opts.manager = std::move(manager);
  opts.directory = directory_;
  opts.checkpoints = checkpoints_;
  opts.probe = std::make_shared<detail::call_probe>();
  std::weak_ptr<plugin_spawner> self = shared_from_this();
  opts.rebuild = [self, id]() -> caf::expected<std::unique_ptr<plugin>> {
    if (auto spawner = self.lock())
      return spawner->make(id);
    return make_error(errc::unavailable, id, "its runtime is gone");
  };
  bool blocking = false;
  try {
    blocking = impl && is_blocking(impl->metadata());
  } catch (...) {
    // its metadata fails again at load, where the error is reported
  }
  {
    std::lock_guard<std::mutex> guard{mtx_};
    const auto* spec = find_group(groups_, group.empty() ? root_group : group);
    opts.group = spec ? *spec : *find_group(supervision_config{}, root_group);
    probes_[id] = opts.probe;
    if (blocking)
      detached_.insert(id);
    opts.detached = detached_.count(id) > 0; // a successor has no object to ask
  }
  auto host = spawn_plugin_host(sys_, id, std::move(impl), shared_, std::move(opts));
  return caf::actor_cast<plugin_actor>(host);
}

caf::expected<plugin_actor> plugin_spawner::spawn_new(const std::string& id,
                                                      const std::string& group,
                                                      plugin_factory factory,
                                                      manager_actor manager) {
  if (!add_factory(id, std::move(factory)))
    return make_error(errc::already_exists, id, "a plugin with this id is registered already");
  auto host = spawn(id, group, std::move(manager));
  if (!host)
    remove_factory(id);
  return host;
}

void plugin_spawner::discard(const std::string& id, const plugin_actor& host) {
  remove_factory(id);
  caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
}

std::shared_ptr<detail::call_probe> plugin_spawner::probe(const std::string& id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = probes_.find(id);
  return i == probes_.end() ? nullptr : i->second;
}

} // namespace troupe
