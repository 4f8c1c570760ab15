#pragma once
// Spawns the actor that hosts one plugin instance.

#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/checkpoint_store.hpp"
#include "messages/manager_protocol.hpp"
#include "messages/plugin_protocol.hpp"
#include "plugins/api/plugin.hpp"
#include "plugins/api/shared_state.hpp"

namespace troupe {

/// What a host needs beyond its plugin.
struct host_options {
  /// Routes the calls a plugin makes to other plugins; without one they fail with unavailable.
  manager_actor manager;
  /// Where checkpoints of a plugin that keeps state go; null: none are taken.
  std::shared_ptr<checkpoint_store> checkpoints;
  /// Checkpoint after every this many successful calls (and at stop); 0: only at stop. Default: 1.
  std::size_t checkpoint_every = 1;
};

/// Spawns a plugin actor that owns `impl` (Unloaded; send load next), with `opts`. A fatal error
/// (errc::fatal returned by, or an exception escaping, plugin code) answers the call that raised it
/// with errc::crashed and ends the actor with that error as its exit reason.
plugin_actor spawn_plugin_host(caf::actor_system& sys, std::string id,
                               std::unique_ptr<plugin> impl, std::shared_ptr<shared_state> shared,
                               host_options opts);

/// Spawns a plugin actor that owns `impl` (Unloaded; send load next). `id` names the instance in
/// every error and log line until load sets it from the config (the two must agree).
/// `manager` routes the calls a plugin makes to other plugins (call_plugin in Lua); without one,
/// such calls fail with unavailable. REQUIRES: impl and shared are not null.
plugin_actor spawn_plugin_host(caf::actor_system& sys, std::string id,
                               std::unique_ptr<plugin> impl, std::shared_ptr<shared_state> shared,
                               manager_actor manager = {});

} // namespace troupe
