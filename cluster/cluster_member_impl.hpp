#pragma once
// Internal to the cluster member: its actor class. cluster_member.cpp: membership (joining,
// announcements, members going and coming back); cluster_commands.cpp: the cluster-wide queries
// and commands.

#include <map>
#include <set>
#include <string>
#include <vector>

#include <caf/typed_event_based_actor.hpp>

#include "cluster/cluster_member.hpp"
#include "messages/runtime_event.hpp"

namespace troupe::detail {

/// Another node as this one knows it.
struct peer {
  member_info info;
  node_actor member;
  manager_actor manager;
  std::string state = "joining"; ///< "up" or "down".
  std::int64_t since_ms = 0;
  std::string detail;
};

class cluster_member final : public node_actor::base {
public:
  cluster_member(caf::actor_config& cfg, member_options opts);

  const char* name() const override { return "troupe.cluster_member"; }

  behavior_type make_behavior() override;

  void on_exit() override;

private:
  // -- membership (cluster_member.cpp) ------------------------------------------------------------

  /// Connects to every address to try that is not connecting or up already.
  void on_tick();
  /// Connects to `address`, asks its manager for its member and joins it.
  void connect_to(const std::string& address);
  void join(const std::string& address, const node_actor& member);
  /// Logs a warning about `address` once (until it joins), later ones at debug level.
  void warn_once(const std::string& address, const std::string& what);
  /// (name, member) of this node and of every member that is up: whom a cluster-wide question
  /// goes to.
  std::vector<std::pair<std::string, node_actor>> live_members();
  /// A node joined us, or answered our join: it is up.
  caf::error admit(const member_info& info, const std::string& via_address);
  void take_entries(const std::string& node, const std::vector<directory_entry>& entries);
  caf::result<join_reply> on_join(const member_info& info);
  void on_announce(const std::string& node, std::int64_t incarnation, const directory_entry& e);
  /// This node's manager changed an entry: tell every member that is up.
  void on_local_change(const std::string& id, const plugin_actor& address, bool idempotent);
  void on_down(const caf::down_msg& msg);
  /// Has the manager send its subscribers a membership event (`troupe events`).
  void tell(event_kind kind, std::string detail);
  std::vector<directory_entry> own_entries() const;
  std::vector<member_status> nodes() const;
  /// The peer that is up under `name`, or null.
  const peer* up_peer(const std::string& name) const;

  // -- cluster-wide (cluster_commands.cpp) ----------------------------------------------------------

  /// Sends (xs..., local_atom) to this member and every member that is up and merges the
  /// answers; a member that does not answer within the node timeout is left out (logged).
  template <class T, class... Ts>
  caf::result<std::vector<T>> gather(Ts... xs);
  caf::result<std::vector<plugin_info>> cluster_list();
  caf::result<std::vector<tool_info>> cluster_tools();
  /// The manager's answer to `atom` (list or tools), each row naming this node.
  template <class T, class Atom>
  caf::result<std::vector<T>> local_rows(Atom atom);
  caf::result<std::vector<plugin_info>> local_list();
  caf::result<std::vector<tool_info>> local_tools();
  /// Finds which live member offers tool `name` and runs it through that node's manager.
  caf::result<payload> remote_tool(const std::string& name, payload args);
  caf::result<plugin_metadata> reload(const std::string& id);
  caf::result<plugin_metadata> deploy(deploy_request req);
  caf::result<std::vector<std::string>> undeploy(const std::string& id);

  member_options opts_;
  member_info me_;
  std::map<std::string, peer> peers_;                ///< By name.
  std::map<std::string, std::string> address_of_;    ///< An address tried -> the name behind it.
  std::set<std::string> to_try_;                     ///< Seeds and addresses of gone members.
  std::set<std::string> connecting_;
  std::set<std::string> warned_;
};

} // namespace troupe::detail
