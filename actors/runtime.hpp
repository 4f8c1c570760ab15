#pragma once
// The embedding API: a runtime inside your own process. It owns a manager and the plugin actors
// it spawns, and offers the blocking calls of troupe::client:
//
//   caf::actor_system_config cfg;
//   troupe::register_types(cfg);
//   caf::actor_system sys{cfg};
//   troupe::runtime rt{sys};
//   rt.natives().add<my_plugin>("mine");               // a compiled-in class of yours
//   rt.add(troupe::plugin_spec{{"a", {}, {}}, "native", {{"class", "mine"}}});
//   rt.add(troupe::plugin_spec{{"rules", {}, {}}, "lua", {{"script", "rules.lua"}}});
//   rt.start_all();
//   auto out = rt.execute("a", troupe::pack(std::string("hi")));
//
// Actors talk to rt.manager() with messages instead (see messages/manager_protocol.hpp).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <functional>

#include <caf/actor.hpp>

#include "actors/checkpoint_store.hpp"
#include "actors/client.hpp"
#include "actors/manager.hpp"
#include "actors/plugin_spawner.hpp"
#include "actors/watch/reload_watcher.hpp"
#include "messages/runtime_event.hpp"
#include "plugins/api/kind_registry.hpp"
#include "plugins/api/plugin.hpp"
#include "plugins/api/plugin_spec.hpp"
#include "plugins/api/shared_state.hpp"
#include "plugins/native/registry.hpp"

namespace troupe {

/// Options of an embedded runtime.
struct runtime_options {
  /// See manager_options; its supervision groups apply to the plugins added with a factory
  /// (add(spec), add(cfg, factory)), which the runtime can make again.
  /// Its spawner is set by the runtime.
  manager_options manager;
  std::chrono::milliseconds call_timeout = client::default_timeout; ///< Blocking calls.
  /// The plugin kinds add(spec) and the file watch know. Default (null): standard_kinds()
  /// ("native", "lua", "library").
  std::shared_ptr<const kind_registry> kinds;
  /// The compiled-in classes the "native" kind names. Default (null): an empty registry (fill
  /// it through natives(), or pass one filled by troupe::examples::register_examples).
  std::shared_ptr<native_registry> natives;
};

/// Not copyable. Destroying it stops every actor it spawned (without running unload hooks: call
/// shutdown_all() first for an orderly stop). REQUIRES: the actor system outlives the runtime,
/// and validate(opts.manager.supervision) succeeded (see config_error otherwise: the runtime
/// then supervises with the default root group only and logs the error).
class runtime : public client {
public:
  explicit runtime(caf::actor_system& sys, runtime_options opts = {});
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// The compiled-in plugin classes the "native" kind can name (runtime_options::natives).
  /// Fill it before adding plugins of those classes.
  native_registry& natives() { return *natives_; }

  /// The plugin kinds this runtime makes plugins of.
  const kind_registry& kinds() const { return *kinds_; }

  /// The state shared by every plugin of this runtime.
  std::shared_ptr<shared_state> shared() const { return shared_; }

  /// Spawns a plugin actor owning `impl` and registers it under cfg.id (Unloaded). The runtime
  /// cannot make `impl` again, so this plugin is not supervised: if its actor dies it is
  /// unregistered. Prefer the factory overload.
  caf::expected<plugin_metadata> add(plugin_config cfg, std::unique_ptr<plugin> impl);

  /// Makes an instance with `factory` and registers it under cfg.id (Unloaded), supervised in
  /// cfg.group with restart type cfg.restart: after a crash the factory makes a fresh instance,
  /// which is brought back to the lifecycle state the old one had reached.
  caf::expected<plugin_metadata> add(plugin_config cfg, const plugin_factory& factory);

  /// Makes the plugin `spec` describes with its kind's factory (kinds()) and adds it as
  /// add(cfg, factory) does. Errors: config_error for an unknown kind (naming the kinds there
  /// are), the kind's own (not_found for an unknown class or a missing library, ...), each naming
  /// the plugin and spec.origin. A plugin of a watched kind (its file_key names a file matching
  /// the kind's watch patterns) is reloaded by watch() when that file changes.
  caf::expected<plugin_metadata> add(const plugin_spec& spec);

  /// Adds every plugin of `specs` as add(spec) does, with their registrations pipelined: a node
  /// of thousands of plugins registers them in one round of waiting instead of one each. One
  /// result per spec, in order; a spec that fails leaves the others added.
  std::vector<caf::expected<plugin_metadata>> add_all(const std::vector<plugin_spec>& specs);

  /// Calls `on_event` for every later event of the manager (crashes, restarts, escalations,
  /// health changes, reloads), on a CAF worker thread, one event at a time, until the returned
  /// actor is sent an exit or the runtime is destroyed (no call runs after the destructor
  /// returns). `on_event` must not block for long.
  caf::actor subscribe(std::function<void(const runtime_event&)> on_event);

  /// Watches opts.directories and reloads a plugin when its file changes, for the kinds with
  /// watch patterns (Lua scripts: "*.lua"; see watch_options and docs/hot-reload.md). Plugins
  /// added with add(spec) before or after are matched by path; a new file loads a new plugin
  /// of the kind whose patterns match it. Replaces an earlier watch. not_found if a directory
  /// cannot be watched.
  caf::error watch(watch_options opts);

  /// Where this runtime's plugins (and, in a cluster, other nodes' replicas) answer.
  std::shared_ptr<plugin_directory> directory() const { return spawner_->directory(); }

  /// The last checkpoints of the plugins that keep state.
  const std::shared_ptr<checkpoint_store>& checkpoints() const { return spawner_->checkpoints(); }

private:
  /// A supervised plugin's actor, spawned and not registered yet.
  struct spawned {
    plugin_config config;
    plugin_actor host;
  };

  /// Takes the id from the plugin if the config has none, keeps the factory, spawns the host.
  caf::expected<spawned> spawn_supervised(plugin_config cfg, const plugin_factory& factory);
  /// After registering `s`: on failure forgets its factory and ends its actor.
  caf::expected<plugin_metadata> settle(const spawned& s, caf::expected<plugin_metadata> registered);
  /// The factory of `spec`'s kind.
  caf::expected<plugin_factory> factory_for(const plugin_spec& spec);
  /// Has the watch reload the plugin when the file of a watched kind changes.
  void track_file(const plugin_spec& spec, const plugin_metadata& md);

  std::shared_ptr<native_registry> natives_;
  std::shared_ptr<const kind_registry> kinds_;
  std::shared_ptr<shared_state> shared_;
  std::shared_ptr<plugin_spawner> spawner_;
  supervision_config supervision_;
  std::vector<caf::actor> subscribers_;
  /// Closed by the destructor: subscriber callbacks never run once the runtime is gone.
  struct callback_gate {
    std::mutex mtx;
    bool open = true;
  };
  std::shared_ptr<callback_gate> gate_ = std::make_shared<callback_gate>();
  std::map<std::string, std::string> watched_files_; ///< file of a watched kind -> plugin id.
  std::mutex files_mtx_; ///< add(spec) may run on another thread than watch() (a cluster deploy).
  std::unique_ptr<reload_watcher> watcher_;
  std::vector<plugin_actor> hosts_;
};

} // namespace troupe
