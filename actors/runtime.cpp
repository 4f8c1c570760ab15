#include "actors/runtime.hpp"

#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "actors/plugin_host.hpp"
#include "messages/errors.hpp"
#include "plugins/examples/builtin.hpp"
#include "plugins/lua/lua_plugin.hpp"
#include "plugins/native/library_loader.hpp"

namespace troupe {

runtime::runtime(caf::actor_system& sys, runtime_options opts)
  : client(sys, spawn_manager(sys, opts.manager), opts.call_timeout),
    shared_(std::make_shared<shared_state>()) {
  if (opts.builtin_plugins)
    examples::register_builtin_plugins(natives_);
}

runtime::~runtime() {
  for (auto& host : hosts_)
    caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(manager(), caf::exit_reason::user_shutdown);
}

caf::expected<plugin_metadata> runtime::add(plugin_config cfg, std::unique_ptr<plugin> impl) {
  if (!impl)
    return make_error(errc::bad_input, cfg.id, "cannot add a null plugin");
  if (cfg.id.empty()) {
    try {
      cfg.id = impl->metadata().id;
    } catch (const std::exception& e) {
      return make_error(errc::plugin_failed, "", std::string("metadata threw: ") + e.what());
    }
  }
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
  auto impl = factory();
  if (!impl)
    return std::move(impl.error());
  return add(std::move(cfg), std::move(*impl));
}

caf::expected<plugin_metadata> runtime::add_native(plugin_config cfg, const std::string& class_name) {
  auto factory = natives_.find(class_name, cfg.id);
  if (!factory)
    return std::move(factory.error());
  return add(std::move(cfg), *factory);
}

caf::expected<plugin_metadata> runtime::add_library(plugin_config cfg, const std::string& path) {
  auto id = cfg.id;
  return add(std::move(cfg), library_plugin_factory(path, std::move(id)));
}

caf::expected<plugin_metadata> runtime::add_lua(plugin_config cfg, const std::string& path) {
  return add(std::move(cfg), lua::lua_plugin::factory({path, {}}));
}

} // namespace troupe
