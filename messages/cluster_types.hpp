#pragma once
// What the nodes of a cluster tell each other (docs/cluster.md). Every struct here travels in CAF
// messages between nodes and has a free `inspect`; registration.cpp announces them.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include "messages/plugin_protocol.hpp"

namespace troupe {

/// One node of a cluster as the others know it.
struct member_info {
  std::string name;              ///< node.name: unique within the cluster.
  std::string address;           ///< "host:port" other processes connect to (cluster.listen).
  std::int64_t incarnation = 0;  ///< When this run of the node started (ms since the epoch): a
                                 ///< restarted node is a new incarnation of the same name.
  caf::actor member;             ///< Its cluster member (a node_actor).
  caf::actor manager;            ///< Its manager (a manager_actor).
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_info& x) {
  return f(caf::meta::type_name("troupe::member_info"), x.name, x.address, x.incarnation,
           x.member, x.manager);
}

/// One plugin a node hosts, as that node announces it to the others.
struct directory_entry {
  std::string id;
  plugin_actor address;    ///< Its stable address; null: the plugin is gone from that node.
  bool idempotent = false; ///< Its config marks calls as safe to run twice.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, directory_entry& x) {
  return f(caf::meta::type_name("troupe::directory_entry"), x.id, x.address, x.idempotent);
}

/// The answer to a join: who answered, the other members it knows, and its own plugins.
struct join_reply {
  member_info me;
  std::vector<std::string> members;      ///< Addresses of the other members it knows are up.
  std::vector<directory_entry> entries;  ///< The plugins it hosts.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, join_reply& x) {
  return f(caf::meta::type_name("troupe::join_reply"), x.me, x.members, x.entries);
}

/// One row of `troupe nodes`: a member as the asked node sees it.
struct member_status {
  std::string name;
  std::string address;
  std::string state;          ///< "self", "up", "down" (gone; its address is tried again), "joining".
  std::int64_t since_ms = 0;  ///< When it entered that state (ms since the epoch).
  std::uint32_t plugins = 0;  ///< Plugins it hosts, as last announced.
  std::string detail;         ///< Why it is down or not joined yet; "" when up.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_status& x) {
  return f(caf::meta::type_name("troupe::member_status"), x.name, x.address, x.state,
           x.since_ms, x.plugins, x.detail);
}

/// A script sent to a node to host (`troupe deploy`).
struct deploy_request {
  std::string on;         ///< The node to host it; "" for the node asked.
  std::string id;         ///< The plugin id; "" for the file name's stem.
  std::string file_name;  ///< The script's file name (its kind is chosen by it: *.lua).
  std::string text;       ///< The script itself.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, deploy_request& x) {
  return f(caf::meta::type_name("troupe::deploy_request"), x.on, x.id, x.file_name, x.text);
}

} // namespace troupe
