#pragma once
// The atoms that name Troupe's messages. Every plugin actor, the manager and the CLI speak these.
// CAF 0.17 atoms hold at most 10 characters.

#include <caf/atom.hpp>

namespace troupe {

/// Lifecycle: load a plugin with its config (Unloaded -> Loaded).
using load_atom = caf::atom_constant<caf::atom("t_load")>;
/// Lifecycle: run the plugin's init hook once after load (stays Loaded).
using init_atom = caf::atom_constant<caf::atom("t_init")>;
/// Lifecycle: start serving (Loaded -> Running).
using start_atom = caf::atom_constant<caf::atom("t_start")>;
/// Lifecycle: stop serving for a while (Running -> Paused).
using pause_atom = caf::atom_constant<caf::atom("t_pause")>;
/// Lifecycle: serve again (Paused -> Running).
using resume_atom = caf::atom_constant<caf::atom("t_resume")>;
/// Lifecycle: stop serving (Running or Paused -> Loaded).
using stop_atom = caf::atom_constant<caf::atom("t_stop")>;
/// Lifecycle: release the plugin (Loaded or Error -> Unloaded).
using unload_atom = caf::atom_constant<caf::atom("t_unload")>;
/// Execute: msgpack payload in, msgpack payload out.
using execute_atom = caf::atom_constant<caf::atom("t_exec")>;
/// Ask for a plugin's health.
using health_atom = caf::atom_constant<caf::atom("t_health")>;
/// Ask for a plugin's call statistics.
using stats_atom = caf::atom_constant<caf::atom("t_stats")>;
/// Ask for a plugin's metadata.
using metadata_atom = caf::atom_constant<caf::atom("t_meta")>;
/// Manager: register a plugin actor under an id.
using register_atom = caf::atom_constant<caf::atom("t_register")>;
/// Manager: list registered plugins.
using list_atom = caf::atom_constant<caf::atom("t_list")>;
/// Manager: apply a lifecycle step to every plugin, in dependency order.
using all_atom = caf::atom_constant<caf::atom("t_all")>;

/// Ask for the tools a plugin (or every plugin) offers, with their JSON-schema parameters.
using tools_atom = caf::atom_constant<caf::atom("t_tools")>;
/// Call one tool by name with arguments checked against its schema.
using call_tool_atom = caf::atom_constant<caf::atom("t_calltool")>;
/// Call one of a plugin's functions by name (a Lua script's global function).
using function_atom = caf::atom_constant<caf::atom("t_fn")>;
/// Plugin actor: run one of its agent hooks; manager: run the hook pipeline of one hook point
/// (docs/hooks.md).
using hook_atom = caf::atom_constant<caf::atom("t_hook")>;
/// Manager: the hook pipeline's plugins in the order their hooks run.
using hooks_atom = caf::atom_constant<caf::atom("t_hooks")>;

/// Subscribe an actor to a manager's events (restarts, escalations, health changes, reloads).
using subscribe_atom = caf::atom_constant<caf::atom("t_sub")>;
/// Tags an event sent to a subscriber: (event_atom, runtime_event).
using event_atom = caf::atom_constant<caf::atom("t_event")>;
/// Internal to the manager: its periodic supervision tick (health checks, watchdog, queues).
using tick_atom = caf::atom_constant<caf::atom("t_tick")>;
/// Internal to the manager: a restart whose backoff has elapsed (restart_atom, batch number).
using restart_atom = caf::atom_constant<caf::atom("t_restart")>;

/// Plugin actor: the plugin's state as a payload (its checkpoint), for carrying it to a new version.
using export_atom = caf::atom_constant<caf::atom("t_export")>;
/// Plugin actor: take a state exported from an earlier version (after init, before start).
using import_atom = caf::atom_constant<caf::atom("t_import")>;
/// Manager: reload a plugin's code (build the new version beside the old, swap, carry state).
using reload_atom = caf::atom_constant<caf::atom("t_reload")>;

/// Manager: where plugin `id` answers (lookup_atom, id) -> plugin_actor, its stable address.
using lookup_atom = caf::atom_constant<caf::atom("t_lookup")>;

// Internal between the manager and the hosts it made (never on a published interface).
/// Host: drop the plugin object and hold calls (hold_atom, why).
using hold_atom = caf::atom_constant<caf::atom("t_hold")>;
/// Host: build the plugin object again and bring it to a position (revive_atom, state, initialized).
using revive_atom = caf::atom_constant<caf::atom("t_revive")>;
/// Host: stopped for good; answer every call with why (retire_atom, why).
using retire_atom = caf::atom_constant<caf::atom("t_retire")>;
/// Host: its successor after a hang; forward every message there (forward_atom, plugin_actor).
using forward_atom = caf::atom_constant<caf::atom("t_forward")>;
/// Host, to itself: held calls' deadlines.
using expire_atom = caf::atom_constant<caf::atom("t_expire")>;
/// Host, to itself: everything queued before its crash has been answered.
using barrier_atom = caf::atom_constant<caf::atom("t_barrier")>;
/// Host: its metadata and tools in one answer (describe_atom) -> (plugin_metadata, tools).
using describe_atom = caf::atom_constant<caf::atom("t_describe")>;
/// Host: a spare plugin instance built in the background has arrived (spare_atom, spare).
using spare_atom = caf::atom_constant<caf::atom("t_spare")>;
/// Manager: a host's plugin crashed (crashed_atom, id, reason).
using crashed_atom = caf::atom_constant<caf::atom("t_crashed")>;
/// Manager: a host rolled a reload back (rollback_atom, id, why, metadata of the version serving).
using rollback_atom = caf::atom_constant<caf::atom("t_rollbk")>;


// -- cluster (messages/cluster_protocol.hpp) ---------------------------------------------------
/// Manager: this node's cluster member (cluster_atom) -> node_actor, null without a cluster.
using cluster_atom = caf::atom_constant<caf::atom("t_cluster")>;
/// Member: a node joins (join_atom, member_info) -> join_reply.
using join_atom = caf::atom_constant<caf::atom("t_join")>;
/// Member: a node's plugin appeared, moved or went (announce_atom, node, incarnation, entry).
using announce_atom = caf::atom_constant<caf::atom("t_announce")>;
/// Member: the members and their state.
using nodes_atom = caf::atom_constant<caf::atom("t_nodes")>;
/// Member: host a script sent as text (deploy_atom, deploy_request) -> plugin_metadata.
using deploy_atom = caf::atom_constant<caf::atom("t_deploy")>;
/// Member: remove a deployed script (undeploy_atom, id) -> the nodes it was removed from.
using undeploy_atom = caf::atom_constant<caf::atom("t_undeploy")>;
/// Manager: forget an unloaded plugin and end its actor (remove_atom, id) -> its last state.
using remove_atom = caf::atom_constant<caf::atom("t_remove")>;
/// Member: a local directory change (directory_atom, id, address or null, idempotent).
using directory_atom = caf::atom_constant<caf::atom("t_dir")>;
/// Deployer: a job of its worker thread ended (done_atom, ticket, result).
using done_atom = caf::atom_constant<caf::atom("t_done")>;
/// Member: this node's own view only, not the cluster's (list/tools without fan-out).
using local_atom = caf::atom_constant<caf::atom("t_local")>;
/// Gateway acceptor: open the listening port (open_atom) -> the port bound.
using open_atom = caf::atom_constant<caf::atom("t_open")>;

} // namespace troupe
