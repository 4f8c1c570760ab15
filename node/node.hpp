#pragma once
// A Troupe node in your own process, assembled from the same TOML config file `troupe run` reads
// (docs/configuration.md): an actor system set up from [node], a runtime with the [[groups]]
// supervision tree and every [[plugins]] entry started in dependency order, the [watch] table's
// file watch, and, when [cluster] listen is set (or its alias node.port), the manager published
// there with the node's cluster member beside it (cluster/, docs/cluster.md).
//
//   auto cfg = troupe::load_node_config("node.toml", troupe::standard_kinds());
//   auto n = troupe::node::start(*cfg);               // caf::expected<std::unique_ptr<node>>
//   auto out = (*n)->runtime().execute("rules", payload);
//
// This is the layer transports attach to: the cluster is started and owned here; the message
// doors (the msgpack-RPC gateway, HTTP) too.

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "cluster/script_deployer.hpp"
#include "gateway/rpc_gateway.hpp"
#include "http/http_door.hpp"
#include "messages/cluster_protocol.hpp"
#include "messages/manager_protocol.hpp"
#include "node/node_config.hpp"
#include "plugins/api/kind_registry.hpp"

namespace troupe {

class native_registry;
class runtime;

/// What a node is assembled with besides its config.
struct node_options {
  /// The plugin kinds of its [[plugins]] entries. Default (null): standard_kinds(). Read the
  /// config with the same registry.
  std::shared_ptr<const kind_registry> kinds;
  /// The compiled-in classes the "native" kind names. Default (null): none.
  std::shared_ptr<native_registry> natives;
  /// Listen and join the cluster when config.cluster.listen is set. Default: true. (`troupe exec -c` runs a
  /// config in-process without publishing.)
  bool publish = true;
};

/// A running node. Not copyable or movable; made by start().
///
/// Owns: its actor system (and so every actor of the node), the runtime (manager, plugin
/// actors, the file watch) and the published port. The destructor stops and unloads every
/// plugin in reverse dependency order (their stop and unload hooks run), closes the port,
/// ends the actors and joins the actor system's threads; it blocks until all of that is done.
/// Thread safety: runtime() is a blocking client, safe from any thread except the node's own
/// actors (they talk to manager() with messages).
class node {
public:
  /// Assembles and starts the node of `config`. Errors (each naming the plugin, file and line
  /// where there is one): a plugin the kinds cannot make, a failed start (load, init, start in
  /// dependency order), a watch directory that cannot be watched, a port that cannot be
  /// published (unavailable). Nothing keeps running after an error.
  static caf::expected<std::unique_ptr<node>> start(node_config config, node_options opts = {});

  /// Reads the config file at `path` with opts.kinds and starts it (errors as
  /// load_node_config and start).
  static caf::expected<std::unique_ptr<node>> start_file(const std::string& path,
                                                          node_options opts = {});

  ~node();
  node(const node&) = delete;
  node& operator=(const node&) = delete;

  /// The runtime: blocking calls, add(spec), reload, subscribe, watch.
  troupe::runtime& runtime() { return *runtime_; }

  /// The manager's handle, for actors (the same one remote nodes reach through the port).
  manager_actor manager() const;

  /// The actor system every actor of the node runs in.
  caf::actor_system& system() { return *system_; }

  /// The config the node was started from.
  const node_config& config() const { return config_; }

  /// The port the manager is published on; 0 if it is not published.
  std::uint16_t port() const { return port_; }

  /// The port of the msgpack-RPC gateway ([gateway] listen); 0 if it has none.
  std::uint16_t gateway_port() const { return gateway_ ? gateway_->port() : 0; }

  /// The port of the HTTP door ([http] listen: /mcp, /metrics, the live view); 0 if it has none.
  std::uint16_t http_port() const { return http_ ? http_->port() : 0; }

  /// This node's cluster member; null if the node does not listen.
  node_actor member() const { return member_; }

  /// Reloads every plugin whose kind makes it from a file (scripts, libraries: kinds with a
  /// file key), each through the manager's reload: an old version serves on if its new one
  /// fails. One answer per plugin, in config order: the new metadata or the error.
  std::vector<std::pair<std::string, caf::expected<plugin_metadata>>> reload_files();

private:
  node() = default;
  caf::error assemble(node_options opts);
  /// Publishes the manager (TLS when configured) and starts the router, the deployer (and the
  /// scripts deployed before) and the member, which joins the seeds.
  caf::error start_cluster();
  /// Opens the [gateway] door.
  caf::error start_gateway();
  /// Opens the [http] door.
  caf::error start_http();
  /// Spawns a monitor feeder (node/monitor_feeder.hpp) for every running instance of the
  /// built-in monitor class, fed every `interval_ms` of its settings (default 1000).
  caf::error start_monitor_feeders();
  /// True if config entry `id` is an instance of the built-in monitor class (native, class
  /// "monitor"): those get a feeder.
  bool is_builtin_monitor(const std::string& id) const;
  /// Warns when a door listens beyond loopback without a token.
  void warn_if_open(const std::string& door, const std::string& host, const std::string& token,
                    const char* key) const;

  node_config config_;
  std::shared_ptr<const kind_registry> kinds_;
  std::unique_ptr<caf::actor_system_config> system_config_;
  std::unique_ptr<caf::actor_system> system_;
  std::unique_ptr<troupe::runtime> runtime_;
  std::uint16_t port_ = 0;
  router_actor router_;
  std::unique_ptr<script_deployer> deployer_;
  node_actor member_;
  std::unique_ptr<rpc_gateway> gateway_;
  std::unique_ptr<http_door> http_;
  std::vector<caf::actor> feeders_;
};

} // namespace troupe
