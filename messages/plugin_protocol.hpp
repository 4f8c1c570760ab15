#pragma once
// The typed interface of a plugin actor: one actor per plugin instance. The same handle type is
// used for a local actor and for one on another node.

#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <string>
#include <vector>

#include "messages/atoms.hpp"
#include "messages/payload.hpp"
#include "messages/plugin_types.hpp"

namespace troupe {

/// One answer of a batch of executes: the output, or the error (then `output` is empty).
struct call_outcome {
  payload output;
  caf::error error;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_outcome& x) {
  return f(caf::meta::type_name("troupe::call_outcome"), x.output, x.error);
}


/// Lifecycle steps answer with the new state, or an error (invalid_state for an illegal step,
/// which changes nothing; plugin_failed for a failing hook, which moves the plugin to Error).
/// execute answers with the plugin's output or an error naming the plugin; only legal while
/// Running. health, stats, metadata and list (metadata + state) answer in any state.
/// tools answers the plugin's tools (empty unless Loaded, Running or Paused). call_tool checks the
/// arguments against the tool's schema (bad_input naming each violation) and runs it while
/// Running. function calls one of the plugin's functions by name (not_found if it has none).
/// hook runs one of its agent hooks (point name, the argument array of messages/hooks.hpp;
/// answered [action, value, state]) while Running.
/// export answers the plugin's state (its checkpoint; not_found if it keeps none) while Loaded,
/// Running or Paused; import hands it a state exported from another instance of the same plugin.
/// execute with a list of inputs runs each as its own execute, in order, and answers every
/// outcome in one message: how callers on other nodes pipeline many calls in one network
/// message each way (the cluster's router batches the calls waiting for one replica).
using plugin_actor = caf::typed_actor<
  caf::replies_to<load_atom, plugin_config>::with<plugin_state>,
  caf::replies_to<init_atom>::with<plugin_state>,
  caf::replies_to<start_atom>::with<plugin_state>,
  caf::replies_to<pause_atom>::with<plugin_state>,
  caf::replies_to<resume_atom>::with<plugin_state>,
  caf::replies_to<stop_atom>::with<plugin_state>,
  caf::replies_to<unload_atom>::with<plugin_state>,
  caf::replies_to<execute_atom, payload>::with<payload>,
  caf::replies_to<execute_atom, std::vector<payload>>::with<std::vector<call_outcome>>,
  caf::replies_to<health_atom>::with<plugin_health>,
  caf::replies_to<stats_atom>::with<plugin_stats>,
  caf::replies_to<metadata_atom>::with<plugin_metadata>,
  caf::replies_to<list_atom>::with<plugin_info>,
  caf::replies_to<tools_atom>::with<std::vector<tool_info>>,
  caf::replies_to<call_tool_atom, std::string, payload>::with<payload>,
  caf::replies_to<function_atom, std::string, payload>::with<payload>,
  caf::replies_to<hook_atom, std::string, payload>::with<payload>,
  caf::replies_to<export_atom>::with<payload>,
  caf::replies_to<import_atom, payload>::with<plugin_state>>;

} // namespace troupe
