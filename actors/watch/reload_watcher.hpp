#pragma once
// Hot reload from the file system: watches plugin directories and reloads a plugin when its file
// changes (through the manager's reload: built beside, state carried, swapped, rolled back on
// failure), loads a plugin for a new file, and unloads one whose file is removed. Which files
// count is the kind registry's answer (kind_definition::watch_patterns), not the watcher's.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actors/plugin_spawner.hpp"
#include "messages/manager_protocol.hpp"
#include "plugins/api/kind_registry.hpp"

namespace troupe {

/// When a change reloads a plugin.
enum class reload_strategy : std::uint8_t {
  immediate, ///< At the change.
  debounced, ///< Once no further change to the file came for `debounce`: a burst of writes, or
             ///< an editor's save pattern, gives one reload.
  manual,    ///< Never by itself: `troupe reload PLUGIN`, SIGHUP or runtime::reload.
};

/// "immediate", "debounced", "manual"; config_error naming them otherwise.
caf::expected<reload_strategy> parse_reload_strategy(const std::string& text);

/// What a watch does. Defaults are documented in docs/hot-reload.md.
struct watch_options {
  std::vector<std::string> directories;         ///< Watched, not recursively.
  reload_strategy strategy = reload_strategy::debounced; ///< Default: debounced.
  std::chrono::milliseconds debounce{200};      ///< Default: 200 ms.
  bool load_new = true;       ///< A new file of a watched kind (*.lua) loads (and starts) a new
                              ///< plugin named after it. Default: true.
  bool unload_removed = true; ///< A removed file stops and unloads its plugin. Default: true.
  /// A reload that failed is retried by the next change to the file, after a backoff doubling
  /// from retry_backoff; after max_attempts failures in a row changes are ignored until a reload
  /// by hand succeeds. Defaults: 5 and 100 ms.
  std::size_t max_attempts = 5;
  std::chrono::milliseconds retry_backoff{100};
  plugin_config new_plugin;   ///< Settings and group for plugins loaded from new files.
};

/// The kinds a watch reloads and loads, and what their factories are lent.
struct watch_kinds {
  std::shared_ptr<const kind_registry> kinds; ///< REQUIRES: not null.
  kind_context context;
};

/// Owns the watching thread and the actor that debounces and reloads. Destroying it stops both.
class reload_watcher {
public:
  /// Watches opts.directories; `known` maps a plugin file's path to its plugin id. Only files
  /// whose names match a watch pattern of `kinds` count. not_found if a directory cannot be
  /// watched.
  static caf::expected<std::unique_ptr<reload_watcher>>
  start(caf::actor_system& sys, manager_actor manager, std::shared_ptr<plugin_spawner> spawner,
        watch_options opts, std::map<std::string, std::string> known, watch_kinds kinds);

  ~reload_watcher();

  /// Tells the watch that plugin `id` lives in file `path` (a plugin added after start).
  void track(const std::string& path, const std::string& id);

  /// The actor that debounces and reloads (for tests and embedding).
  const caf::actor& reloader() const { return reloader_; }

private:
  reload_watcher() = default;
  caf::actor reloader_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

/// The canonical form of a file path used to match changes to plugins.
std::string canonical_path(const std::string& path);

} // namespace troupe
