#pragma once
// Spawns the actor that hosts one plugin instance.

#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "messages/manager_protocol.hpp"
#include "messages/plugin_protocol.hpp"
#include "plugins/api/plugin.hpp"
#include "plugins/api/shared_state.hpp"

namespace troupe {

/// Spawns a plugin actor that owns `impl` (Unloaded; send load next). `id` names the instance in
/// every error and log line until load sets it from the config (the two must agree).
/// `manager` routes the calls a plugin makes to other plugins (call_plugin in Lua); without one,
/// such calls fail with unavailable. REQUIRES: impl and shared are not null.
plugin_actor spawn_plugin_host(caf::actor_system& sys, std::string id,
                               std::unique_ptr<plugin> impl, std::shared_ptr<shared_state> shared,
                               manager_actor manager = {});

} // namespace troupe
