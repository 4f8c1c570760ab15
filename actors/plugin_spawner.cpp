#include "actors/plugin_spawner.hpp"

#include <caf/send.hpp>

#include "actors/plugin_host.hpp"
#include "messages/errors.hpp"

namespace troupe {

plugin_spawner::plugin_spawner(caf::actor_system& sys, std::shared_ptr<shared_state> shared,
                               std::shared_ptr<checkpoint_store> checkpoints)
  : sys_(sys), shared_(std::move(shared)), checkpoints_(std::move(checkpoints)) {
}

bool plugin_spawner::add_factory(const std::string& id, plugin_factory factory) {
  std::lock_guard<std::mutex> guard{mtx_};
  return factories_.emplace(id, std::move(factory)).second;
}

void plugin_spawner::remove_factory(const std::string& id) {
  std::lock_guard<std::mutex> guard{mtx_};
  factories_.erase(id);
}

caf::expected<plugin_actor> plugin_spawner::spawn_new(const std::string& id, plugin_factory factory,
                                                      manager_actor manager,
                                                      std::size_t checkpoint_every) {
  if (!add_factory(id, std::move(factory)))
    return make_error(errc::already_exists, id, "a plugin with this id is registered already");
  auto host = spawn(id, std::move(manager), checkpoint_every);
  if (!host)
    remove_factory(id);
  return host;
}

void plugin_spawner::discard(const std::string& id, const plugin_actor& host) {
  remove_factory(id);
  caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
}

bool plugin_spawner::knows(const std::string& id) const {
  std::lock_guard<std::mutex> guard{mtx_};
  return factories_.count(id) > 0;
}

caf::expected<plugin_actor> plugin_spawner::spawn(const std::string& id, manager_actor manager,
                                                  std::size_t checkpoint_every) {
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
  host_options opts;
  opts.manager = std::move(manager);
  opts.checkpoints = checkpoints_;
  opts.checkpoint_every = checkpoint_every;
  return spawn_plugin_host(sys_, id, std::move(*impl), shared_, std::move(opts));
}

} // namespace troupe
