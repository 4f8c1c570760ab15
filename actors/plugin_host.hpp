#pragma once
// Spawns the actor that hosts one plugin: the plugin's stable address. Callers send it execute,
// call_tool and function directly; the manager drives its lifecycle and supervision.

#include <functional>
#include <memory>
#include <string>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "actors/checkpoint_store.hpp"
#include "actors/supervision/supervision_spec.hpp"
#include "messages/manager_protocol.hpp"
#include "messages/plugin_protocol.hpp"
#include "plugins/api/plugin.hpp"
#include "plugins/api/shared_state.hpp"

namespace troupe {

class plugin_directory;
namespace detail {
class call_probe;
class plugin_instance;
} // namespace detail

/// A plugin instance built (loaded) in the background for its host's next restart. Local only.
struct spare_instance {
  std::shared_ptr<detail::plugin_instance> instance;
  std::uint64_t generation = 0; ///< The host's code generation it was built for.
};

/// Makes a fresh plugin object of the same code (a restart, a reload); the error if it cannot.
using plugin_rebuild = std::function<caf::expected<std::unique_ptr<plugin>>()>;

/// What a host needs beyond its plugin.
struct host_options {
  /// Its supervisor; calls a plugin makes to other plugins it cannot resolve go here (call_plugin
  /// in Lua). Without one (and no directory entry) such calls fail with unavailable.
  manager_actor manager;
  /// Resolves the plugins this one calls without asking the manager. Optional.
  std::shared_ptr<plugin_directory> directory;
  /// Where checkpoints of a plugin that keeps state go; null: none are taken.
  std::shared_ptr<checkpoint_store> checkpoints;
  /// Checkpoints, the queue while it restarts or swaps, reload's rollback and state carrying.
  group_spec group;
  /// Set: the host survives its plugin's crashes (it reports them to `manager` and holds calls
  /// until told to revive, retire or forward) and can reload. Unset: a crash ends the actor.
  plugin_rebuild rebuild;
  /// Shared with the manager's watchdog. Optional.
  std::shared_ptr<detail::call_probe> probe;
  /// Run the host on a thread of its own (caf::detached) instead of the shared scheduler. Set by
  /// spawn_plugin_host itself when the plugin's metadata lists blocking_capability; set it here
  /// for a successor, which has no plugin object to ask. Default: false.
  bool detached = false;
};

/// The manager's view of a host it made: the plugin interface plus the supervision messages.
/// - hold, why: drop the plugin object (waiting calls answered crashed with why); hold calls.
/// - revive, state, initialized: build the plugin object again and step it to that position;
///   then serve the held calls in order. Answers the state reached or the error (still holding).
/// - retire, why: stopped for good; every call is answered unavailable naming why.
/// - forward, successor: everything from now on goes to the successor (this one hung).
/// - reload: build the new version, carry the state, swap between two calls; answers the new
///   metadata or why the old version serves on.
/// - describe: its metadata and tools in one answer (after a load: one round trip, not two).
using host_actor = plugin_actor::extend<
  caf::reacts_to<hold_atom, std::string>,
  caf::replies_to<revive_atom, plugin_state, bool>::with<plugin_state>,
  caf::reacts_to<retire_atom, std::string>,
  caf::reacts_to<forward_atom, plugin_actor>,
  caf::replies_to<reload_atom>::with<plugin_metadata>,
  caf::replies_to<describe_atom>::with<plugin_metadata, std::vector<tool_info>>,
  caf::reacts_to<expire_atom>,
  caf::reacts_to<barrier_atom>,
  caf::reacts_to<spare_atom, spare_instance>>;

/// What a supervised host tells its manager: its plugin crashed (crashed, id, reason); it rolled a
/// reload back (rollback, id, why, the metadata of the version serving again).
using host_report_actor =
  caf::typed_actor<caf::reacts_to<crashed_atom, std::string, std::string>,
                   caf::reacts_to<rollback_atom, std::string, std::string, plugin_metadata>>;

/// Spawns a plugin actor that owns `impl` (Unloaded; send load next), with `opts`; a null `impl`
/// (with opts.rebuild) makes a successor that holds calls until revived. A fatal error
/// (errc::fatal returned by, or an exception escaping, plugin code) answers the call that raised it
/// with errc::crashed naming the plugin and the reason; then, without `opts.rebuild`, the actor
/// ends with that error as its exit reason. The host is detached (its own thread) when
/// opts.detached is set or `impl`'s metadata lists blocking_capability.
host_actor spawn_plugin_host(caf::actor_system& sys, std::string id, std::unique_ptr<plugin> impl,
                             std::shared_ptr<shared_state> shared, host_options opts);

/// Spawns an unsupervised plugin actor that owns `impl` (Unloaded; send load next). `id` names
/// the instance in every error and log line until load sets it from the config (the two must
/// agree). `manager` routes the calls a plugin makes to other plugins (call_plugin in Lua);
/// without one, such calls fail with unavailable. REQUIRES: impl and shared are not null.
plugin_actor spawn_plugin_host(caf::actor_system& sys, std::string id,
                               std::unique_ptr<plugin> impl, std::shared_ptr<shared_state> shared,
                               manager_actor manager = {});

} // namespace troupe

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(troupe::spare_instance)
