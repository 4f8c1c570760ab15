#pragma once
// Where each plugin answers: id -> the plugin's stable actor address. This process's own plugins
// (the manager writes them) and, in a cluster, the replicas other nodes announced (the cluster
// member writes them; they are proxies of actors on those nodes). Callers in the same process
// (the blocking API, scripts' call_plugin) resolve an id here without a message; plugins only
// other nodes host are reached through the router (messages/cluster_protocol.hpp).

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "messages/cluster_protocol.hpp"
#include "messages/plugin_protocol.hpp"

namespace troupe {

/// One place plugin `id` answers on another node.
struct remote_replica {
  std::string node;        ///< The node hosting it.
  plugin_actor address;    ///< Its stable address there (a proxy).
  bool idempotent = false; ///< Its config says a call may run twice.
};

/// Thread-safe: many readers, one writer for the local part (the manager), one for the remote
/// part (the cluster member).
class plugin_directory {
public:
  /// Told of every change of a local entry: the id, its new address (null: erased) and whether
  /// its calls are idempotent. Runs on the writer's thread, outside the lock; must not block.
  using observer = std::function<void(const std::string&, const plugin_actor&, bool)>;

  /// The address of this process's plugin `id`, or a null handle if none is registered here.
  /// `id` may name a plugin with replicas on this node (registered as "ID#1", "ID#2", ...):
  /// its replicas take turns.
  plugin_actor find(const std::string& id) const;

  /// The plugin a registered id is a replica of: "rep" for "rep#2"; the id itself otherwise.
  static std::string base_of(const std::string& id);

  /// Records (or replaces) where this process's plugin `id` answers.
  void set(const std::string& id, plugin_actor address, bool idempotent = false);

  /// Forgets this process's plugin `id` (unregistered).
  void erase(const std::string& id);

  /// Forgets every plugin of this process (the manager stopped).
  void clear();

  /// Every local entry with its address and whether it is idempotent (to announce them).
  std::vector<std::pair<std::string, std::pair<plugin_actor, bool>>> locals() const;

  /// Has `fn` told of every later change of a local entry (replaces an earlier observer).
  void observe(observer fn);

  // -- other nodes' plugins ------------------------------------------------------------------

  /// Records that `node` hosts a replica of `id` at `address` (replacing what it said before).
  void set_remote(const std::string& node, const std::string& id, remote_replica replica);

  /// Forgets `node`'s replica of `id`.
  void erase_remote(const std::string& node, const std::string& id);

  /// Forgets every replica `node` hosts (it went away).
  void erase_node(const std::string& node);

  /// The replicas of `id` on other nodes, starting at the next one in round-robin order (calls
  /// spread over them); empty if no other node hosts it.
  std::vector<remote_replica> remote_replicas(const std::string& id) const;

  /// True if some other node hosts `id`.
  bool hosted_elsewhere(const std::string& id) const;

  /// The node that hosted `id` and went away, while no live node hosts it; "" otherwise.
  std::string lost_with(const std::string& id) const;

  /// The number of plugins `node` hosts, as it announced them.
  std::size_t count_on(const std::string& node) const;

  /// The router that reaches plugins on other nodes; null outside a cluster.
  router_actor router() const;
  void set_router(router_actor router);

private:
  void regroup(const std::string& base);

  mutable std::shared_mutex mtx_;
  std::map<std::string, std::pair<plugin_actor, bool>, std::less<>> addresses_;
  std::map<std::string, std::vector<plugin_actor>, std::less<>> groups_; ///< Local replicas.
  /// base id -> "node/registered id" -> replica.
  std::map<std::string, std::map<std::string, remote_replica>, std::less<>> remote_;
  std::map<std::string, std::string, std::less<>> lost_; ///< id -> the node it went with.
  router_actor router_;
  mutable std::atomic<std::size_t> next_{0};
  observer observer_;
  std::mutex observer_mtx_;
};

} // namespace troupe
