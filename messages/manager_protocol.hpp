#pragma once
// The typed interface of the plugin manager: the registry that drives every plugin actor of a
// node. The same handle works for a local manager and for one published on another node.

#include <string>
#include <vector>

#include <cstdint>

#include <caf/actor.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/atoms.hpp"
#include "messages/payload.hpp"
#include "messages/plugin_protocol.hpp"
#include "messages/plugin_types.hpp"

namespace troupe {

/// - register: adds a plugin actor under config.id (already_exists if taken); answers its metadata.
/// - <step>, id: one lifecycle step for one plugin (load uses the registered config).
/// - <step>, all: the step for every plugin in dependency order (stop and unload in reverse order);
///   answers the ids in the order they were stepped. load, init, start, pause and resume end at the
///   first error. stop and unload go on past errors and skip plugins not in a state they apply to,
///   then answer the first real error, if any: shutting down does as much as it can.
/// - execute, id, payload: the plugin's answer (not_found if no such plugin).
/// - list [, type]: every plugin (of that type) with its state, sorted by id.
/// - health: every plugin's health; health, id: one plugin's.
/// - stats: every plugin's stats; stats, id: one plugin's.
/// - metadata, id: one plugin's metadata.
/// - tools: every tool of every plugin, sorted by plugin then name.
/// - call_tool, name, args: runs the tool `name` ("tool", or "plugin/tool" when two plugins offer
///   a tool of that name); not_found if none, bad_input if ambiguous or the args fail the schema.
///   The hook pipeline runs around it (docs/hooks.md); call_tool, name, args, agent names the
///   agent for the hooks' ctx.
/// - hook, point, [value, ctx]: runs the hooks of one model hook point (before_model_call or
///   after_model_call) over `value`; answers [action, value, ctx] (messages/hooks.hpp).
/// - hooks: the plugins with agent hooks, in the order they run.
/// - function, id, name, args: calls function `name` of plugin `id`.
/// - subscribe, actor: sends the actor every later event as (event_atom, runtime_event) until it
///   terminates; answers true.
/// - reload, id: builds the plugin's new version (from its file) beside the old one, carries the
///   state over and swaps it in between two requests; answers the new metadata, or the error
///   (the old version then serves on unchanged).
/// - lookup, id: the plugin's stable address (not_found if none): send it execute, call_tool and
///   function directly, one hop each way; it stays valid across crashes, restarts and reloads
///   while the plugin is registered. execute, call_tool and function sent here are handed on to
///   it (delegated: its answer goes straight back to the caller).
/// - remove, id: forgets a plugin that is unloaded (stop and unload it first) and ends its actor;
///   answers its last state (invalid_state naming the state if it is not unloaded).
/// - cluster: this node's cluster member (a node_actor; null when the node is in no cluster).
/// Supervision: a plugin that crashes is restarted as its group says (see
/// actors/supervision/supervision_spec.hpp); requests in flight get errc::crashed naming the plugin
/// and the reason, requests arriving while it restarts wait in a bounded queue (or fail fast).
using manager_actor = caf::typed_actor<
  caf::replies_to<register_atom, plugin_config, plugin_actor>::with<plugin_metadata>,
  caf::replies_to<load_atom, std::string>::with<plugin_state>,
  caf::replies_to<init_atom, std::string>::with<plugin_state>,
  caf::replies_to<start_atom, std::string>::with<plugin_state>,
  caf::replies_to<pause_atom, std::string>::with<plugin_state>,
  caf::replies_to<resume_atom, std::string>::with<plugin_state>,
  caf::replies_to<stop_atom, std::string>::with<plugin_state>,
  caf::replies_to<unload_atom, std::string>::with<plugin_state>,
  caf::replies_to<load_atom, all_atom>::with<std::vector<std::string>>,
  caf::replies_to<init_atom, all_atom>::with<std::vector<std::string>>,
  caf::replies_to<start_atom, all_atom>::with<std::vector<std::string>>,
  caf::replies_to<pause_atom, all_atom>::with<std::vector<std::string>>,
  caf::replies_to<resume_atom, all_atom>::with<std::vector<std::string>>,
  caf::replies_to<stop_atom, all_atom>::with<std::vector<std::string>>,
  caf::replies_to<unload_atom, all_atom>::with<std::vector<std::string>>,
  caf::replies_to<execute_atom, std::string, payload>::with<payload>,
  caf::replies_to<list_atom>::with<std::vector<plugin_info>>,
  caf::replies_to<list_atom, plugin_type>::with<std::vector<plugin_info>>,
  caf::replies_to<health_atom>::with<std::vector<plugin_health>>,
  caf::replies_to<health_atom, std::string>::with<plugin_health>,
  caf::replies_to<stats_atom>::with<std::vector<plugin_stats>>,
  caf::replies_to<stats_atom, std::string>::with<plugin_stats>,
  caf::replies_to<metadata_atom, std::string>::with<plugin_metadata>,
  caf::replies_to<tools_atom>::with<std::vector<tool_info>>,
  caf::replies_to<call_tool_atom, std::string, payload>::with<payload>,
  caf::replies_to<call_tool_atom, std::string, payload, std::string>::with<payload>,
  caf::replies_to<hook_atom, std::string, payload>::with<payload>,
  caf::replies_to<hooks_atom>::with<std::vector<plugin_info>>,
  caf::replies_to<function_atom, std::string, std::string, payload>::with<payload>,
  caf::replies_to<subscribe_atom, caf::actor>::with<bool>,
  caf::replies_to<reload_atom, std::string>::with<plugin_metadata>,
  caf::replies_to<lookup_atom, std::string>::with<plugin_actor>,
  caf::replies_to<remove_atom, std::string>::with<plugin_state>,
  caf::replies_to<cluster_atom>::with<caf::actor>>;

} // namespace troupe
