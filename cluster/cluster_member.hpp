#pragma once
// A node's member of the cluster (node_actor in messages/cluster_protocol.hpp): who else is in
// the cluster and in what state, which plugins they host (kept in the node's plugin_directory),
// and the cluster-wide queries and commands (list, tools, reload, deploy, undeploy).
//
// Membership: at start and every rejoin_ms the member connects to the seeds and to members that
// went away, asks each node's manager for its member (cluster_atom) and joins it; a join answers
// the members the other knows (connected to in turn: every node talks to every other directly)
// and its plugins. Each node announces changes of its own plugins to the others. A member whose
// connection goes (CAF kills its proxies when the heartbeat timeout passes) is down: its
// plugins leave the directory at once, and its address is tried again until it is back.

#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "cluster/cluster_config.hpp"
#include "cluster/script_deployer.hpp"
#include "messages/cluster_protocol.hpp"
#include "messages/manager_protocol.hpp"

namespace troupe {

class plugin_directory;

/// What a member is started with.
struct member_options {
  std::string name;               ///< The node's name: unique within the cluster.
  std::string address;            ///< "host:port" it is reached at (as published).
  cluster_config config;          ///< Seeds, timeouts, TLS.
  manager_actor manager;          ///< This node's manager.
  std::shared_ptr<plugin_directory> directory; ///< Where other nodes' plugins are entered.
  deployer_actor deployer;        ///< Hosts deployed scripts on this node.
};

/// Spawns the member; it announces itself to the manager (cluster_atom) and starts joining.
node_actor spawn_cluster_member(caf::actor_system& sys, member_options opts);

} // namespace troupe
