#pragma once
// The embedding API: a runtime inside your own process. It owns a manager and the plugin actors
// it spawns, and offers the blocking calls of troupe::client:
//
//   caf::actor_system_config cfg;
//   troupe::register_types(cfg);
//   caf::actor_system sys{cfg};
//   troupe::runtime rt{sys};
//   rt.add_native({"echo"}, "echo");
//   rt.start_all();
//   auto out = rt.execute("echo", troupe::pack(std::string("hi")));
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
#include "plugins/api/plugin.hpp"
#include "plugins/api/shared_state.hpp"
#include "plugins/native/registry.hpp"

namespace troupe {

/// Options of an embedded runtime.
struct runtime_options {
  /// See manager_options; its supervision groups apply to the plugins added with a factory
  /// (add(cfg, factory), add_native, add_library, add_lua), which the runtime can make again.
  /// Its spawner is set by the runtime.
  manager_options manager;
  std::chrono::milliseconds call_timeout = client::default_timeout; ///< Blocking calls.
  bool builtin_plugins = true; ///< Register the compiled-in example classes ("echo", "kv_store").
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

  /// The compiled-in plugin classes add_native can name.
  native_registry& natives() { return natives_; }

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

  /// Adds an instance of the compiled-in class `class_name`.
  caf::expected<plugin_metadata> add_native(plugin_config cfg, const std::string& class_name);

  /// Adds an instance loaded from the shared library at `path`.
  caf::expected<plugin_metadata> add_library(plugin_config cfg, const std::string& path);

  /// Adds a Lua plugin running the script at `path` (cfg's "limit.<name>" settings set its
  /// sandbox limits; see docs/lua-plugins.md).
  caf::expected<plugin_metadata> add_lua(plugin_config cfg, const std::string& path);

  /// Calls `on_event` for every later event of the manager (crashes, restarts, escalations,
  /// health changes, reloads), on a CAF worker thread, one event at a time, until the returned
  /// actor is sent an exit or the runtime is destroyed (no call runs after the destructor
  /// returns). `on_event` must not block for long.
  caf::actor subscribe(std::function<void(const runtime_event&)> on_event);

  /// Watches opts.directories and reloads a Lua plugin when its script changes (see
  /// watch_options and docs/hot-reload.md). Scripts added with add_lua before or after are
  /// matched by path. Replaces an earlier watch. not_found if a directory cannot be watched.
  caf::error watch(watch_options opts);

  /// The last checkpoints of the plugins that keep state.
  const std::shared_ptr<checkpoint_store>& checkpoints() const { return spawner_->checkpoints(); }

private:
  native_registry natives_;
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
  std::map<std::string, std::string> script_paths_; ///< Lua script path -> plugin id.
  std::unique_ptr<reload_watcher> watcher_;
  std::vector<plugin_actor> hosts_;
};

} // namespace troupe
