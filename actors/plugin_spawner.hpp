#pragma once
// Makes plugin hosts and plugin objects from factories kept by plugin id: a host survives its
// plugin's crashes and builds the plugin object again (a restart, a reload) from the factory.

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/checkpoint_store.hpp"
#include "actors/supervision/supervision_spec.hpp"
#include "messages/manager_protocol.hpp"
#include "plugins/api/plugin.hpp"
#include "plugins/api/shared_state.hpp"

namespace troupe {

class plugin_directory;
namespace detail {
class call_probe;
}

/// Thread-safe: the runtime adds factories while the manager and the hosts use them.
/// REQUIRES: the actor system outlives the spawner's use.
class plugin_spawner : public std::enable_shared_from_this<plugin_spawner> {
public:
  plugin_spawner(caf::actor_system& sys, std::shared_ptr<shared_state> shared,
                 std::shared_ptr<checkpoint_store> checkpoints);

  /// The supervision groups whose settings (checkpoints, queue, reload) hosts get. Default: none
  /// (a plugin in an unknown group gets the default group settings).
  void set_groups(supervision_config groups);

  /// Keeps `factory` for plugin `id`; false (and nothing changes) if `id` has one already.
  bool add_factory(const std::string& id, plugin_factory factory);

  /// Forgets the factory of `id` (its plugin was never registered, or is gone for good).
  void remove_factory(const std::string& id);

  /// True if a factory for `id` is kept.
  bool knows(const std::string& id) const;

  /// A fresh plugin object for `id`: not_found if no factory is kept for `id`, load_failed if
  /// the factory throws or makes none, its own error if it fails.
  caf::expected<std::unique_ptr<plugin>> make(const std::string& id) const;

  /// A fresh host for `id` in `group` (Unloaded), supervised by `manager`, with a new watchdog
  /// probe (probe(id) from now on). Errors as make's.
  caf::expected<plugin_actor> spawn(const std::string& id, const std::string& group,
                                    manager_actor manager);

  /// A successor host for `id` (after its host hung or died): no plugin object yet, it holds
  /// calls until revived; a new probe as spawn's. not_found if no factory is kept for `id`.
  caf::expected<plugin_actor> spawn_successor(const std::string& id, const std::string& group,
                                              manager_actor manager);

  /// A new plugin's first host: keeps `factory` for `id` and spawns from it. already_exists if
  /// `id` has a factory; on any failure nothing is kept.
  caf::expected<plugin_actor> spawn_new(const std::string& id, const std::string& group,
                                        plugin_factory factory, manager_actor manager);

  /// Undoes spawn_new for a plugin that was never registered: forgets its factory and ends `host`.
  void discard(const std::string& id, const plugin_actor& host);

  /// The watchdog probe of `id`'s current host; null if none was spawned.
  std::shared_ptr<detail::call_probe> probe(const std::string& id) const;

  /// The checkpoints of the plugins it spawns.
  const std::shared_ptr<checkpoint_store>& checkpoints() const { return checkpoints_; }

  /// Where the registered plugins of this process answer (the manager keeps it current).
  const std::shared_ptr<plugin_directory>& directory() const { return directory_; }

private:
  plugin_actor spawn_host(const std::string& id, const std::string& group, manager_actor manager,
                          std::unique_ptr<plugin> impl);

  caf::actor_system& sys_;
  std::shared_ptr<shared_state> shared_;
  std::shared_ptr<checkpoint_store> checkpoints_;
  std::shared_ptr<plugin_directory> directory_;
  mutable std::mutex mtx_;
  supervision_config groups_;
  std::map<std::string, plugin_factory> factories_;
  std::map<std::string, std::shared_ptr<detail::call_probe>> probes_;
  /// Ids whose plugin is blocking (plugin.hpp's blocking_capability): their successors, spawned
  /// without a plugin object, are detached too.
  std::set<std::string> detached_;
};

} // namespace troupe
