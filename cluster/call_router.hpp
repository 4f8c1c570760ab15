#pragma once
// Calls, by id, to plugins that only other nodes of the cluster host (router_actor in
// messages/cluster_protocol.hpp). One per node; the manager, the blocking API and scripts'
// call_plugin hand it the calls the local directory cannot serve.

#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "messages/cluster_protocol.hpp"

namespace troupe {

class plugin_directory;

/// Spawns the router of node `node_name`. It picks the next live replica of the plugin in
/// `directory` (round robin), sends the call over that node's connection (one network hop) and
/// watches the replica's proxy: when the connection to that node goes (CAF kills its proxies
/// once the heartbeat timeout passes), every call waiting on it ends at once, with an
/// errc::unavailable naming the plugin and the node, or, where it is safe, goes to another live
/// replica: a call that never left (the proxy was dead when it was sent) always, one that may
/// have run only if the plugin is marked idempotent. Other errors come back as the plugin's node
/// gave them, with the node named.
router_actor spawn_call_router(caf::actor_system& sys, std::string node_name,
                               std::shared_ptr<plugin_directory> directory);

} // namespace troupe
