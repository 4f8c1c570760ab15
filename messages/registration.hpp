#pragma once
// The one place where Troupe's message types and error category are announced to CAF.
// Every binary and test calls register_types on its actor_system_config before creating the system;
// two nodes that talk must both have called it.

#include <caf/actor_system_config.hpp>

namespace troupe {

/// Announces every Troupe message type and registers the "troupe" error category renderer.
void register_types(caf::actor_system_config& cfg);

} // namespace troupe
