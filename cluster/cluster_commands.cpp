// The cluster-wide queries and commands of a member: list and tools from every live node,
// reload where the plugin runs, deploy to a node, undeploy everywhere.

#include <algorithm>
#include <set>

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/plugin_directory.hpp"
#include "cluster/cluster_member_impl.hpp"
#include "messages/errors.hpp"

namespace troupe::detail {

namespace {

template <class T>
struct gathering {
  std::vector<T> items;
  std::size_t remaining = 0;
  std::vector<std::string> silent; ///< Members that did not answer.
};

void sort_rows(std::vector<plugin_info>& xs) {
  std::sort(xs.begin(), xs.end(), [](const plugin_info& a, const plugin_info& b) {
    return std::tie(a.metadata.id, a.node) < std::tie(b.metadata.id, b.node);
  });
}

void sort_rows(std::vector<tool_info>& xs) {
  std::sort(xs.begin(), xs.end(), [](const tool_info& a, const tool_info& b) {
    return std::tie(a.plugin, a.name, a.node) < std::tie(b.plugin, b.name, b.node);
  });
}

} // namespace

template <class T, class... Ts>
caf::result<std::vector<T>> cluster_member::gather(Ts... xs) {
  auto promise = make_response_promise<std::vector<T>>();
  auto acc = std::make_shared<gathering<T>>();
  auto targets = live_members();
  acc->remaining = targets.size();
  auto self_name = me_.name;
  auto done = [acc, promise, self_name]() mutable {
    if (--acc->remaining > 0)
      return;
    for (const auto& n : acc->silent)
      spdlog::warn("node '{}': member '{}' did not answer; its rows are left out", self_name, n);
    sort_rows(acc->items);
    promise.deliver(std::move(acc->items));
  };
  for (const auto& [name, member] : targets) {
    request(member, std::chrono::milliseconds{opts_.config.node_timeout_ms}, xs...,
            local_atom::value)
      .then(
        [acc, done](std::vector<T>& rows) mutable {
          acc->items.insert(acc->items.end(), rows.begin(), rows.end());
          done();
        },
        [acc, done, name = name](caf::error&) mutable {
          acc->silent.push_back(name);
          done();
        });
  }
  return promise;
}

std::vector<std::pair<std::string, node_actor>> cluster_member::live_members() {
  std::vector<std::pair<std::string, node_actor>> out{{me_.name, caf::actor_cast<node_actor>(this)}};
  for (const auto& [name, p] : peers_)
    if (p.state == "up")
      out.emplace_back(name, p.member);
  return out;
}

caf::result<std::vector<plugin_info>> cluster_member::cluster_list() {
  return gather<plugin_info>(list_atom::value);
}

caf::result<std::vector<tool_info>> cluster_member::cluster_tools() {
  return gather<tool_info>(tools_atom::value);
}

template <class T, class Atom>
caf::result<std::vector<T>> cluster_member::local_rows(Atom atom) {
  auto promise = make_response_promise<std::vector<T>>();
  request(opts_.manager, std::chrono::milliseconds{opts_.config.node_timeout_ms}, atom)
    .then(
      [promise, name = me_.name](std::vector<T>& rows) mutable {
        for (auto& r : rows)
          r.node = name;
        promise.deliver(std::move(rows));
      },
      [promise](caf::error& err) mutable { promise.deliver(std::move(err)); });
  return promise;
}

caf::result<std::vector<plugin_info>> cluster_member::local_list() {
  return local_rows<plugin_info>(list_atom::value);
}

caf::result<std::vector<tool_info>> cluster_member::local_tools() {
  return local_rows<tool_info>(tools_atom::value);
}

caf::result<payload> cluster_member::remote_tool(const std::string& name, payload args) {
  struct search {
    std::size_t remaining = 0;
    std::vector<tool_info> found; ///< Tools of that name (or plugin/name) on other members.
  };
  auto acc = std::make_shared<search>();
  auto promise = make_response_promise<payload>();
  for (const auto& [node, p] : peers_)
    if (p.state == "up")
      ++acc->remaining;
  if (acc->remaining == 0)
    return make_error(errc::not_found, "", "no tool named '" + name + "' on node '" + me_.name
                                             + "' (and no other member is up)");
  auto decide = [this, acc, promise, name, args]() mutable {
    std::set<std::string> plugins;
    for (const auto& t : acc->found)
      plugins.insert(t.plugin);
    if (acc->found.empty()) {
      promise.deliver(make_error(errc::not_found, "",
                                 "no tool named '" + name + "' on any live member"));
      return;
    }
    if (plugins.size() > 1) {
      std::string where;
      for (const auto& t : acc->found)
        where += (where.empty() ? "" : ", ") + t.plugin + "/" + t.name + " on " + t.node;
      promise.deliver(make_error(errc::bad_input, "", "tool '" + name + "' is ambiguous ("
                                                        + where + "): name it as plugin/tool"));
      return;
    }
    const auto& t = acc->found.front(); // replicas of one plugin: the first answering node's
    const auto* p = up_peer(t.node);
    if (p == nullptr) {
      promise.deliver(make_error(errc::unavailable, t.plugin, "its node '" + t.node
                                                                + "' went away"));
      return;
    }
    request(p->manager, caf::infinite, call_tool_atom::value, t.plugin + "/" + t.name, args)
      .then([promise](payload& out) mutable { promise.deliver(std::move(out)); },
            [promise, plugin = t.plugin, node = t.node](caf::error& err) mutable {
              promise.deliver(with_node(err, plugin, node));
            });
  };
  for (const auto& [node, p] : peers_) {
    if (p.state != "up")
      continue;
    request(p.member, std::chrono::milliseconds{opts_.config.node_timeout_ms}, tools_atom::value,
            local_atom::value)
      .then(
        [acc, decide, name](std::vector<tool_info>& rows) mutable {
          for (auto& t : rows)
            if (t.name == name || t.plugin + "/" + t.name == name)
              acc->found.push_back(std::move(t));
          if (--acc->remaining == 0)
            decide();
        },
        [acc, decide](caf::error&) mutable {
          if (--acc->remaining == 0)
            decide();
        });
  }
  return promise;
}

caf::result<plugin_metadata> cluster_member::reload(const std::string& id) {
  std::vector<std::pair<std::string, manager_actor>> hosts;
  if (opts_.directory->find(id))
    hosts.emplace_back(me_.name, opts_.manager);
  for (const auto& r : opts_.directory->remote_replicas(id))
    if (const auto* p = up_peer(r.node))
      hosts.emplace_back(r.node, p->manager);
  if (hosts.empty())
    return make_error(errc::not_found, id, "no live member of the cluster hosts this plugin");
  auto promise = make_response_promise<plugin_metadata>();
  struct outcome {
    std::size_t remaining;
    caf::expected<plugin_metadata> first_error{caf::error{}};
    std::optional<plugin_metadata> ok;
  };
  auto acc = std::make_shared<outcome>(outcome{hosts.size(), caf::error{}, std::nullopt});
  auto done = [acc, promise]() mutable {
    if (--acc->remaining > 0)
      return;
    if (acc->first_error.error())
      promise.deliver(std::move(acc->first_error.error()));
    else
      promise.deliver(std::move(*acc->ok));
  };
  for (const auto& [node, manager] : hosts)
    request(manager, std::chrono::seconds{60}, reload_atom::value, id)
      .then(
        [acc, done](plugin_metadata& md) mutable {
          acc->ok = std::move(md);
          done();
        },
        [acc, done, node = node, id](caf::error& err) mutable {
          if (!acc->first_error.error())
            acc->first_error = with_node(err, id, node);
          done();
        });
  return promise;
}

caf::result<plugin_metadata> cluster_member::deploy(deploy_request req) {
  if (req.on.empty() || req.on == me_.name)
    return delegate(opts_.deployer, deploy_atom::value, std::move(req));
  if (const auto* p = up_peer(req.on))
    return delegate(p->member, deploy_atom::value, std::move(req));
  std::string live = me_.name;
  for (const auto& [name, p] : peers_)
    if (p.state == "up")
      live += ", " + name;
  return make_error(errc::not_found, req.id,
                    "no live member named '" + req.on + "' (live: " + live + ")");
}

caf::result<std::vector<std::string>> cluster_member::undeploy(const std::string& id) {
  auto promise = make_response_promise<std::vector<std::string>>();
  auto targets = live_members();
  struct outcome {
    std::size_t remaining;
    std::vector<std::string> removed;
  };
  auto acc = std::make_shared<outcome>(outcome{targets.size(), {}});
  auto done = [acc, promise, id]() mutable {
    if (--acc->remaining > 0)
      return;
    if (acc->removed.empty())
      promise.deliver(make_error(errc::not_found, id,
                                 "no live member hosts a deployed script of this id"));
    else
      promise.deliver(std::move(acc->removed));
  };
  for (const auto& [name, member] : targets)
    request(member, std::chrono::seconds{60}, undeploy_atom::value, id, local_atom::value)
      .then(
        [acc, done, name = name](bool removed) mutable {
          if (removed)
            acc->removed.push_back(name);
          done();
        },
        [done](caf::error&) mutable { done(); });
  return promise;
}

} // namespace troupe::detail
