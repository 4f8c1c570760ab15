#pragma once
// The typed interfaces of a node's cluster layer (cluster/, docs/cluster.md).

#include <string>
#include <vector>

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "messages/atoms.hpp"
#include "messages/cluster_types.hpp"
#include "messages/payload.hpp"
#include "messages/plugin_types.hpp"

namespace troupe {

/// Calls to plugins that run on other nodes, by id: sent to one live replica over the node's
/// direct connection; a call cut off by its node's failure is answered with an error naming the
/// plugin and the node (or retried on another replica when it never left, or when the plugin
/// is idempotent). The same messages a manager takes, so a manager hands them on unchanged.
using router_actor = caf::typed_actor<
  caf::replies_to<execute_atom, std::string, payload>::with<payload>,
  caf::replies_to<function_atom, std::string, std::string, payload>::with<payload>>;

/// A node's cluster member, reached through its manager (cluster_atom):
/// - join, info: a node joins; answers who this is, the members it knows and its plugins.
/// - announce, node, incarnation, entry: that node's plugin appeared, moved or went.
/// - nodes: every member and its state (this node first).
/// - list / tools: every plugin / tool of every live member, each naming its node.
/// - list, local / tools, local: this node's only (what the others fan out to).
/// - call_tool, name, args: runs a tool that only other live members offer ("tool" or
///   "plugin/tool"), through that node's manager; not_found if no member offers it, bad_input if
///   plugins on several nodes offer tools of that name.
/// - reload, id: reloads the plugin on every node that hosts it; the new metadata.
/// - deploy, request: hosts a script (on request.on); its metadata, or the file and line at fault.
/// - undeploy, id: removes a deployed script from every node that hosts it; those nodes.
/// - undeploy, id, local: from this node only.
/// - directory, id, address, idempotent: this node's manager changed an entry (told to peers).
using node_actor = caf::typed_actor<
  caf::replies_to<join_atom, member_info>::with<join_reply>,
  caf::reacts_to<announce_atom, std::string, std::int64_t, directory_entry>,
  caf::replies_to<nodes_atom>::with<std::vector<member_status>>,
  caf::replies_to<list_atom>::with<std::vector<plugin_info>>,
  caf::replies_to<tools_atom>::with<std::vector<tool_info>>,
  caf::replies_to<list_atom, local_atom>::with<std::vector<plugin_info>>,
  caf::replies_to<tools_atom, local_atom>::with<std::vector<tool_info>>,
  caf::replies_to<call_tool_atom, std::string, payload>::with<payload>,
  caf::replies_to<reload_atom, std::string>::with<plugin_metadata>,
  caf::replies_to<deploy_atom, deploy_request>::with<plugin_metadata>,
  caf::replies_to<undeploy_atom, std::string>::with<std::vector<std::string>>,
  caf::replies_to<undeploy_atom, std::string, local_atom>::with<bool>,
  caf::reacts_to<directory_atom, std::string, plugin_actor, bool>,
  caf::reacts_to<tick_atom>>;

} // namespace troupe
