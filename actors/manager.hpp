#pragma once
// Spawns the plugin manager: the registry that drives every plugin actor of a node.

#include <chrono>

#include <caf/fwd.hpp>

#include "messages/manager_protocol.hpp"

namespace troupe {

/// Deadlines the manager puts on its own requests to plugin actors.
struct manager_options {
  /// A lifecycle step (a hook may open files or connect). Default: 30 s.
  std::chrono::milliseconds lifecycle_timeout{30000};
  /// metadata, list, health and stats queries. Default: 5 s.
  std::chrono::milliseconds query_timeout{5000};
};

/// Spawns a manager (see manager_actor for its protocol). It monitors every plugin actor
/// registered with it and forgets one that terminates.
manager_actor spawn_manager(caf::actor_system& sys, manager_options opts = {});

} // namespace troupe
