#include "cluster/cluster_client.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "messages/errors.hpp"

namespace troupe {

cluster_client::cluster_client(caf::actor_system& sys, node_actor member,
                               std::chrono::milliseconds timeout)
  : sys_(sys), member_(std::move(member)), timeout_(timeout) {
}

caf::expected<node_actor> cluster_client::member_of(caf::actor_system& sys,
                                                    const manager_actor& manager,
                                                    std::chrono::milliseconds timeout) {
  caf::expected<node_actor> result{caf::error{}};
  caf::scoped_actor self{sys};
  self->request(manager, timeout, cluster_atom::value)
    .receive([&](caf::actor& member) { result = caf::actor_cast<node_actor>(member); },
             [&](caf::error& err) {
               result = make_error(errc::unavailable, "", "the node did not say whether it is in "
                                                          "a cluster: " + describe(err));
             });
  return result;
}

template <class T, class... Ts>
caf::expected<T> cluster_client::ask(const std::string& about, Ts&&... xs) {
  caf::expected<T> result{caf::error{}};
  caf::scoped_actor self{sys_};
  self->request(member_, timeout_, std::forward<Ts>(xs)...)
    .receive([&](T& x) { result = std::move(x); },
             [&](caf::error& err) {
               if (err == caf::sec::request_timeout)
                 result = make_error(errc::timeout, about,
                                     "no answer within " + std::to_string(timeout_.count())
                                       + " ms");
               else
                 result = is_troupe_error(err) ? std::move(err)
                                               : make_error(errc::unavailable, about,
                                                            describe(err));
             });
  return result;
}

caf::expected<std::vector<member_status>> cluster_client::nodes() {
  return ask<std::vector<member_status>>("", nodes_atom::value);
}

caf::expected<std::vector<plugin_info>> cluster_client::list() {
  return ask<std::vector<plugin_info>>("", list_atom::value);
}

caf::expected<std::vector<tool_info>> cluster_client::tools() {
  return ask<std::vector<tool_info>>("", tools_atom::value);
}

caf::expected<plugin_metadata> cluster_client::reload(const std::string& id) {
  return ask<plugin_metadata>(id, reload_atom::value, id);
}

caf::expected<plugin_metadata> cluster_client::deploy(const deploy_request& req) {
  return ask<plugin_metadata>(req.id, deploy_atom::value, req);
}

caf::expected<std::vector<std::string>> cluster_client::undeploy(const std::string& id) {
  return ask<std::vector<std::string>>(id, undeploy_atom::value, id);
}

} // namespace troupe
