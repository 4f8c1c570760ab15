#pragma once
// What a CLI command talks to: either a node started in this process from a config file (not
// published), or the manager of a running node reached over the network (`troupe run`).

#include <memory>
#include <string>

#include <caf/expected.hpp>

#include "actors/client.hpp"
#include "cluster/cluster_client.hpp"
#include "cluster/cluster_config.hpp"
#include "node/node.hpp"
#include "node/node_config.hpp"

namespace caf {
class actor_system;
class actor_system_config;
} // namespace caf

namespace troupe::cli {

/// Sets spdlog's default logger (stderr, so stdout stays clean for JSON) and its level.
/// Returns false for an unknown level name.
bool configure_logging(const std::string& level);

/// The plugin kinds the CLI reads configs with and makes plugins of: standard_kinds().
std::shared_ptr<const kind_registry> plugin_kinds();

/// How the CLI assembles nodes: its kinds, and the example classes ("echo", "kv_store") as
/// the compiled-in natives.
node_options cli_node_options(bool publish);

/// Owns a node or a connection to one, and a client of its manager. Not copyable or movable.
class session {
public:
  /// Starts the config's node in this process, not published.
  static caf::expected<std::unique_ptr<session>> local(const node_config& cfg);

  /// Connects to the manager published at host:port, over TLS when `tls` names the files
  /// (ca, cert, key), with the heartbeats of a cluster node; finds its cluster member.
  static caf::expected<std::unique_ptr<session>> remote(const std::string& host,
                                                         std::uint16_t port,
                                                         const cluster_config& tls);

  /// Stops and unloads local plugins (reverse dependency order); a no-op for remote sessions.
  ~session();

  /// The client for every call.
  troupe::client& api();

  /// The cluster-wide calls of the node's member; null if the node is in no cluster (a local
  /// session, or a node that does not listen).
  cluster_client* cluster() { return cluster_.get(); }

  /// The actor system (for spawning listeners).
  caf::actor_system& system() { return node_ ? node_->system() : *system_; }

private:
  session();
  std::unique_ptr<troupe::node> node_;                 // local
  std::unique_ptr<caf::actor_system_config> config_;   // remote
  std::unique_ptr<caf::actor_system> system_;          // remote
  std::unique_ptr<troupe::client> api_;                // remote
  std::unique_ptr<cluster_client> cluster_;            // remote, in a cluster
};


} // namespace troupe::cli
