#pragma once
// Spawns the plugin manager: the registry that drives every plugin actor of a node and supervises
// the ones it can make again.

#include <chrono>
#include <functional>
#include <memory>

#include <caf/fwd.hpp>

#include "actors/supervision/supervision_spec.hpp"
#include "messages/manager_protocol.hpp"
#include "messages/runtime_event.hpp"

namespace troupe {

class plugin_spawner;
class plugin_directory;

/// How the manager talks to plugin actors and supervises them.
struct manager_options {
  /// A lifecycle step (a hook may open files or connect). Default: 30 s.
  std::chrono::milliseconds lifecycle_timeout{30000};
  /// metadata, list, health and stats queries. Default: 5 s.
  std::chrono::milliseconds query_timeout{5000};
  /// One agent hook's answer (docs/hooks.md): past it the call fails with timeout naming the
  /// hook's plugin. Default: 30 s.
  std::chrono::milliseconds hook_timeout{30000};
  /// A tool's answer when hooks wrap its call (without hooks the answer goes straight to the
  /// caller, whose own deadline counts). Default: 5 min.
  std::chrono::milliseconds hooked_tool_timeout{300000};
  /// The supervision groups (see supervision_spec.hpp). Default: a root group with defaults.
  supervision_config supervision;
  /// Makes plugin actors again after a crash. A plugin registered with an id the spawner has no
  /// factory for (a remote actor, an instance added without a factory) is not supervised: when
  /// it dies it is unregistered. Default: none (nothing is supervised).
  std::shared_ptr<plugin_spawner> spawner;
  /// Kept current with every registered plugin's address, for callers in this process. Default:
  /// the spawner's, or none.
  std::shared_ptr<plugin_directory> directory;
  /// Numbers in [0, 1) for the backoff jitter; tests pass a fixed one. Default: a seeded
  /// std::mt19937_64.
  std::function<double()> random;
};

/// Spawns a manager (see manager_actor for its protocol). It monitors every plugin actor
/// registered with it: a supervised plugin that terminates is restarted as its group says, any
/// other is unregistered. When the manager ends it ends the supervised plugin actors too.
/// REQUIRES: validate(opts.supervision) succeeded.
manager_actor spawn_manager(caf::actor_system& sys, manager_options opts = {});

/// Has `manager` send `ev` to its subscribers (events of its node that it does not make itself:
/// members of the cluster coming and going). Asynchronous.
void publish_event(const manager_actor& manager, runtime_event ev);

/// Tells `manager` the cluster member of its node: it answers (cluster_atom) with it from now on,
/// so that processes reaching the manager find the cluster. Asynchronous.
void set_cluster_member(const manager_actor& manager, caf::actor member);

} // namespace troupe
