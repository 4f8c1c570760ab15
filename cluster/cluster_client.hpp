#pragma once
// Blocking calls to a node's cluster member, for plain code (the CLI, tests): the members, and
// the cluster-wide list, tools, reload, deploy and undeploy. Actors send node_actor messages.

#include <chrono>
#include <string>
#include <vector>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "messages/cluster_protocol.hpp"
#include "messages/manager_protocol.hpp"

namespace troupe {

/// Each call waits at most `timeout` (a timeout error past it). Thread-safe.
class cluster_client {
public:
  cluster_client(caf::actor_system& sys, node_actor member,
                 std::chrono::milliseconds timeout = std::chrono::seconds{30});

  /// Asks `manager` for its node's member (blocking at most `timeout`); null if it is in no
  /// cluster.
  static caf::expected<node_actor> member_of(caf::actor_system& sys, const manager_actor& manager,
                                             std::chrono::milliseconds timeout);

  caf::expected<std::vector<member_status>> nodes();
  caf::expected<std::vector<plugin_info>> list();
  caf::expected<std::vector<tool_info>> tools();
  caf::expected<plugin_metadata> reload(const std::string& id);
  caf::expected<plugin_metadata> deploy(const deploy_request& req);
  /// The nodes it was removed from.
  caf::expected<std::vector<std::string>> undeploy(const std::string& id);

private:
  template <class T, class... Ts>
  caf::expected<T> ask(const std::string& about, Ts&&... xs);

  caf::actor_system& sys_;
  node_actor member_;
  std::chrono::milliseconds timeout_;
};

} // namespace troupe
