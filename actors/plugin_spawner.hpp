#pragma once
// Makes plugin actors from factories kept by plugin id, so that the manager can restart a plugin
// with a fresh instance of the same code after a crash.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/checkpoint_store.hpp"
#include "messages/manager_protocol.hpp"
#include "plugins/api/plugin.hpp"
#include "plugins/api/shared_state.hpp"

namespace troupe {

/// Thread-safe: the runtime adds factories while the manager spawns from them.
/// REQUIRES: the actor system outlives the spawner's use.
class plugin_spawner {
public:
  plugin_spawner(caf::actor_system& sys, std::shared_ptr<shared_state> shared,
                 std::shared_ptr<checkpoint_store> checkpoints);

  /// Keeps `factory` for plugin `id`; false (and nothing changes) if `id` has one already.
  bool add_factory(const std::string& id, plugin_factory factory);

  /// Forgets the factory of `id` (its plugin was never registered, or is gone for good).
  void remove_factory(const std::string& id);

  /// True if a factory for `id` is kept.
  bool knows(const std::string& id) const;

  /// A fresh plugin actor for `id` (Unloaded), routing its calls through `manager` and
  /// checkpointing after every `checkpoint_every` successful calls. not_found if no factory is
  /// kept for `id`; the factory's error if it fails.
  caf::expected<plugin_actor> spawn(const std::string& id, manager_actor manager,
                                    std::size_t checkpoint_every);

  /// A new plugin's first actor: keeps `factory` for `id` and spawns from it. already_exists if
  /// `id` has a factory; on any failure nothing is kept.
  caf::expected<plugin_actor> spawn_new(const std::string& id, plugin_factory factory,
                                        manager_actor manager, std::size_t checkpoint_every);

  /// Undoes spawn_new for a plugin that was never registered: forgets its factory and ends `host`.
  void discard(const std::string& id, const plugin_actor& host);

  /// The checkpoints of the plugins it spawns.
  const std::shared_ptr<checkpoint_store>& checkpoints() const { return checkpoints_; }

private:
  caf::actor_system& sys_;
  std::shared_ptr<shared_state> shared_;
  std::shared_ptr<checkpoint_store> checkpoints_;
  mutable std::mutex mtx_;
  std::map<std::string, plugin_factory> factories_;
};

} // namespace troupe
