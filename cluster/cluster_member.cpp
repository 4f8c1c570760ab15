#include "cluster/cluster_member_impl.hpp"

#include <caf/actor_system.hpp>
#include <spdlog/spdlog.h>

#include "actors/manager.hpp"
#include "actors/plugin_directory.hpp"
#include "cluster/transport.hpp"
#include "messages/errors.hpp"
#include "messages/runtime_event.hpp"

namespace troupe::detail {

using std::chrono::milliseconds;

cluster_member::cluster_member(caf::actor_config& cfg, member_options opts)
  : node_actor::base(cfg), opts_(std::move(opts)) {
  me_.name = opts_.name;
  me_.address = opts_.address;
  me_.incarnation = now_ms();
  me_.manager = caf::actor_cast<caf::actor>(opts_.manager);
  for (const auto& s : opts_.config.seeds)
    if (s != me_.address)
      to_try_.insert(s);
  set_down_handler([this](caf::down_msg& msg) { on_down(msg); });
}

cluster_member::behavior_type cluster_member::make_behavior() {
  me_.member = caf::actor_cast<caf::actor>(this);
  set_cluster_member(opts_.manager, me_.member);
  auto weak = address();
  opts_.directory->observe([weak](const std::string& id, const plugin_actor& at, bool idem) {
    if (auto self = caf::actor_cast<node_actor>(weak))
      caf::anon_send(self, directory_atom::value, id, at, idem);
  });
  send(this, tick_atom::value);
  return {
    [this](join_atom, const member_info& info) { return on_join(info); },
    [this](announce_atom, const std::string& node, std::int64_t inc, const directory_entry& e) {
      on_announce(node, inc, e);
    },
    [this](nodes_atom) { return nodes(); },
    [this](list_atom) { return cluster_list(); },
    [this](tools_atom) { return cluster_tools(); },
    [this](list_atom, local_atom) { return local_list(); },
    [this](tools_atom, local_atom) { return local_tools(); },
    [this](call_tool_atom, const std::string& name, payload& args) {
      return remote_tool(name, std::move(args));
    },
    [this](reload_atom, const std::string& id) { return reload(id); },
    [this](deploy_atom, deploy_request& req) { return deploy(std::move(req)); },
    [this](undeploy_atom, const std::string& id) { return undeploy(id); },
    [this](undeploy_atom a, const std::string& id, local_atom l) -> caf::result<bool> {
      return delegate(opts_.deployer, a, id, l);
    },
    [this](directory_atom, const std::string& id, const plugin_actor& at, bool idempotent) {
      on_local_change(id, at, idempotent);
    },
    [this](tick_atom) { on_tick(); },
  };
}

void cluster_member::on_exit() {
  opts_.directory->observe(nullptr);
  peers_.clear();
  opts_.deployer = nullptr;
  opts_.manager = nullptr;
  me_ = member_info{};
}

void cluster_member::on_tick() {
  auto addresses = to_try_; // connect_to may forget an address
  for (const auto& address : addresses) {
    auto known = address_of_.find(address);
    if (connecting_.count(address) > 0
        || (known != address_of_.end() && up_peer(known->second) != nullptr))
      continue;
    connect_to(address);
  }
  delayed_send(this, milliseconds{opts_.config.rejoin_ms}, tick_atom::value);
}

void cluster_member::connect_to(const std::string& address) {
  auto hp = parse_host_port(address);
  if (!hp) {
    spdlog::warn("node '{}': cannot join '{}': {}", me_.name, address, describe(hp.error()));
    to_try_.erase(address);
    return;
  }
  connecting_.insert(address);
  auto timeout = milliseconds{opts_.config.node_timeout_ms};
  auto failed = [this, address](caf::error& err) {
    connecting_.erase(address);
    spdlog::debug("node '{}': joining {} failed: {}", me_.name, address, system().render(err));
  };
  request(connector(system(), opts_.config.tls()), timeout, caf::connect_atom::value,
          hp->first, hp->second)
    .then(
      [this, address, timeout, failed](const caf::node_id& peer, caf::strong_actor_ptr& ptr,
                                       std::set<std::string>&) {
        if (peer == system().node()) { // another spelling of this node's own address
          connecting_.erase(address);
          to_try_.erase(address);
          return;
        }
        if (!ptr) {
          connecting_.erase(address);
          return;
        }
        auto manager = caf::actor_cast<manager_actor>(ptr);
        request(manager, timeout, cluster_atom::value)
          .then(
            [this, address, failed](caf::actor& member) {
              if (!member) {
                connecting_.erase(address);
                warn_once(address, "the node at " + address + " is in no cluster");
                return;
              }
              join(address, caf::actor_cast<node_actor>(member));
            },
            failed);
      },
      failed);
}

void cluster_member::join(const std::string& address, const node_actor& member) {
  request(member, milliseconds{opts_.config.node_timeout_ms}, join_atom::value, me_)
    .then(
      [this, address](join_reply& reply) {
        connecting_.erase(address);
        if (auto err = admit(reply.me, address)) {
          warn_once(address, describe(err));
          return;
        }
        warned_.erase(address);
        take_entries(reply.me.name, reply.entries);
        for (const auto& e : own_entries()) // it learns ours the same way others do
          send(peers_[reply.me.name].member, announce_atom::value, me_.name, me_.incarnation, e);
        for (const auto& other : reply.members) // join them now: a full mesh without waiting
          if (other != me_.address && address_of_.count(other) == 0 && to_try_.insert(other).second)
            connect_to(other);
      },
      [this, address](caf::error& err) {
        connecting_.erase(address);
        warn_once(address, "joining " + address + " refused: " + describe(err));
      });
}

void cluster_member::warn_once(const std::string& address, const std::string& what) {
  if (warned_.insert(address).second)
    spdlog::warn("node '{}': {} (tried again every {} ms; said once)", me_.name, what,
                 opts_.config.rejoin_ms);
  else
    spdlog::debug("node '{}': {}", me_.name, what);
}

caf::error cluster_member::admit(const member_info& info, const std::string& via_address) {
  if (!via_address.empty())
    address_of_[via_address] = info.name;
  address_of_[info.address] = info.name;
  if (info.name == me_.name)
    return make_error(errc::already_exists, "",
                      "the node at " + info.address + " is named '" + info.name
                        + "' too: node names must differ within a cluster");
  auto& p = peers_[info.name];
  if (p.state == "up" && p.info.incarnation == info.incarnation)
    return {}; // joined both ways
  if (p.state == "up" && p.member && !has_ended(p.member)) // two live nodes claim one name: keep the first
    return make_error(errc::already_exists, "",
                      "a live node named '" + info.name + "' is a member already (at "
                        + p.info.address + "); the node at " + info.address
                        + " must have another name");
  if (p.member) { // an earlier incarnation: restarted before its going was noticed
    demonitor(p.member.address());
    opts_.directory->erase_node(info.name);
  }
  p.info = info;
  p.member = caf::actor_cast<node_actor>(info.member);
  p.manager = caf::actor_cast<manager_actor>(info.manager);
  p.state = "up";
  p.since_ms = now_ms();
  p.detail.clear();
  monitor(p.member);
  to_try_.erase(info.address);
  spdlog::info("node '{}': member '{}' at {} is up", me_.name, info.name, info.address);
  tell(event_kind::member_up, "node '" + info.name + "' at " + info.address);
  return {};
}

void cluster_member::take_entries(const std::string& node,
                                  const std::vector<directory_entry>& entries) {
  for (const auto& e : entries)
    if (e.address)
      opts_.directory->set_remote(node, e.id, remote_replica{node, e.address, e.idempotent});
}

caf::result<join_reply> cluster_member::on_join(const member_info& info) {
  if (auto err = admit(info, {}))
    return err;
  join_reply reply;
  reply.me = me_;
  for (const auto& [name, p] : peers_)
    if (p.state == "up" && name != info.name)
      reply.members.push_back(p.info.address);
  reply.entries = own_entries();
  return reply;
}

void cluster_member::on_announce(const std::string& node, std::int64_t incarnation,
                                 const directory_entry& e) {
  auto i = peers_.find(node);
  if (i == peers_.end() || i->second.state != "up" || i->second.info.incarnation != incarnation)
    return; // from a node not (or no longer) admitted: its join brings its entries
  if (e.address)
    opts_.directory->set_remote(node, e.id, remote_replica{node, e.address, e.idempotent});
  else
    opts_.directory->erase_remote(node, e.id);
}

void cluster_member::on_local_change(const std::string& id, const plugin_actor& address,
                                     bool idempotent) {
  directory_entry e{id, address, idempotent};
  for (const auto& [name, p] : peers_)
    if (p.state == "up")
      send(p.member, announce_atom::value, me_.name, me_.incarnation, e);
}

void cluster_member::on_down(const caf::down_msg& msg) {
  for (auto& [name, p] : peers_) {
    if (p.member.address() != msg.source || p.state != "up")
      continue;
    p.state = "down";
    p.since_ms = now_ms();
    p.detail = system().render(msg.reason);
    opts_.directory->erase_node(name);
    to_try_.insert(p.info.address);
    spdlog::warn("node '{}': member '{}' at {} went away ({}); its plugins are unreachable "
                 "until it is back",
                 me_.name, name, p.info.address, p.detail);
    tell(event_kind::member_down, "node '" + name + "' at " + p.info.address + ": " + p.detail);
    return;
  }
}

void cluster_member::tell(event_kind kind, std::string detail) {
  runtime_event ev;
  ev.kind = kind;
  ev.detail = std::move(detail);
  ev.time_ms = now_ms();
  publish_event(opts_.manager, std::move(ev));
}

std::vector<directory_entry> cluster_member::own_entries() const {
  std::vector<directory_entry> out;
  for (auto& [id, at] : opts_.directory->locals())
    out.push_back(directory_entry{id, at.first, at.second});
  return out;
}

std::vector<member_status> cluster_member::nodes() const {
  std::vector<member_status> out;
  out.push_back(member_status{me_.name, me_.address, "self", me_.incarnation,
                              static_cast<std::uint32_t>(opts_.directory->locals().size()), ""});
  for (const auto& [name, p] : peers_)
    out.push_back(member_status{name, p.info.address, p.state, p.since_ms,
                                static_cast<std::uint32_t>(opts_.directory->count_on(name)),
                                p.detail});
  for (const auto& address : to_try_)
    if (address_of_.count(address) == 0)
      out.push_back(member_status{"", address, "joining", 0, 0, "a seed not reached yet"});
  return out;
}

const peer* cluster_member::up_peer(const std::string& name) const {
  auto i = peers_.find(name);
  return i != peers_.end() && i->second.state == "up" ? &i->second : nullptr;
}

} // namespace troupe::detail

namespace troupe {

node_actor spawn_cluster_member(caf::actor_system& sys, member_options opts) {
  return sys.spawn<detail::cluster_member>(std::move(opts));
}

} // namespace troupe
