#pragma once
// The typed interface of a plugin actor: one actor per plugin instance. The same handle type is
// used for a local actor and for one on another node.

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/atoms.hpp"
#include "messages/payload.hpp"
#include "messages/plugin_types.hpp"

namespace troupe {

/// Lifecycle steps answer with the new state, or an error (invalid_state for an illegal step,
/// which changes nothing; plugin_failed for a failing hook, which moves the plugin to Error).
/// execute answers with the plugin's output or an error naming the plugin; only legal while
/// Running. health, stats, metadata and list (metadata + state) answer in any state.
using plugin_actor = caf::typed_actor<
  caf::replies_to<load_atom, plugin_config>::with<plugin_state>,
  caf::replies_to<init_atom>::with<plugin_state>,
  caf::replies_to<start_atom>::with<plugin_state>,
  caf::replies_to<pause_atom>::with<plugin_state>,
  caf::replies_to<resume_atom>::with<plugin_state>,
  caf::replies_to<stop_atom>::with<plugin_state>,
  caf::replies_to<unload_atom>::with<plugin_state>,
  caf::replies_to<execute_atom, payload>::with<payload>,
  caf::replies_to<health_atom>::with<plugin_health>,
  caf::replies_to<stats_atom>::with<plugin_stats>,
  caf::replies_to<metadata_atom>::with<plugin_metadata>,
  caf::replies_to<list_atom>::with<plugin_info>>;

} // namespace troupe
