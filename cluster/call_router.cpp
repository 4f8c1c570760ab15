#include "cluster/call_router.hpp"

#include <map>
#include <set>
#include <variant>

#include <caf/actor_system.hpp>
#include <caf/monitorable_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/plugin_directory.hpp"
#include "messages/errors.hpp"

namespace troupe {

namespace {

/// What a call asks of the plugin.
struct call_request {
  std::string id;
  std::string function; ///< "" for execute.
  payload input;
};

/// A call on its way, with the replicas it has been sent to.
struct routed_call {
  call_request request;
  caf::typed_response_promise<payload> promise;
  std::set<std::string> tried;  ///< Nodes it went to and that went away.
  remote_replica replica;       ///< Where it is now.
};

struct router_state {
  std::string node;
  std::shared_ptr<plugin_directory> directory;
  std::map<std::uint64_t, routed_call> pending;
  std::map<caf::actor_addr, std::set<std::uint64_t>> waiting_on; ///< Monitored proxies.
  std::set<caf::actor_addr> monitored;
  std::uint64_t next_ticket = 1;
  static inline const char* name = "troupe.call_router";
};

using router_impl = router_actor::stateful_pointer<router_state>;

/// True if the proxy of `address` is dead: a message to it would be dropped unsent. (Not kept
/// by address: a node that comes back over a new connection gets new proxies with equal
/// addresses.)
bool is_dead(const plugin_actor& address) {
  auto* actor = caf::actor_cast<caf::abstract_actor*>(address);
  auto* monitorable = dynamic_cast<caf::monitorable_actor*>(actor);
  return monitorable != nullptr && monitorable->fail_state() != caf::none;
}

void send_call(router_impl self, routed_call call);

void finish(router_impl self, std::uint64_t ticket, caf::expected<payload> answer) {
  auto i = self->state.pending.find(ticket);
  if (i == self->state.pending.end())
    return; // ended already: its node went away
  auto call = std::move(i->second);
  self->state.pending.erase(i);
  self->state.waiting_on[call.replica.address.address()].erase(ticket);
  if (answer)
    call.promise.deliver(std::move(*answer));
  else
    call.promise.deliver(with_node(answer.error(), call.request.id, call.replica.node));
}

/// The replica `call` goes to next, or why there is none.
caf::expected<remote_replica> next_replica(router_impl self, const routed_call& call) {
  std::string dead;
  for (auto& r : self->state.directory->remote_replicas(call.request.id)) {
    if (call.tried.count(r.node) > 0)
      continue;
    if (is_dead(r.address)) {
      dead += (dead.empty() ? "" : ", ") + r.node;
      continue;
    }
    return std::move(r);
  }
  std::string tried;
  for (const auto& n : call.tried)
    tried += (tried.empty() ? "" : ", ") + n;
  if (!tried.empty())
    return make_error(errc::unavailable, call.request.id,
                      "its node went away during the call (node '" + tried
                        + "') and no other replica is live");
  if (dead.empty())
    dead = self->state.directory->lost_with(call.request.id);
  if (!dead.empty())
    return make_error(errc::unavailable, call.request.id,
                      "its node went away (node '" + dead + "') and no other replica is live");
  return make_error(errc::not_found, call.request.id,
                    "no such plugin on node '" + self->state.node + "' or any live member");
}

void send_call(router_impl self, routed_call call) {
  auto replica = next_replica(self, call);
  if (!replica) {
    call.promise.deliver(std::move(replica.error()));
    return;
  }
  call.replica = std::move(*replica);
  auto addr = call.replica.address.address();
  auto ticket = self->state.next_ticket++;
  if (self->state.monitored.insert(addr).second)
    self->monitor(call.replica.address); // once per proxy
  self->state.waiting_on[addr].insert(ticket);
  auto on_ok = [self, ticket](payload& out) { finish(self, ticket, std::move(out)); };
  auto on_error = [self, ticket](caf::error& err) { finish(self, ticket, std::move(err)); };
  auto& req = call.request;
  if (req.function.empty())
    self->request(call.replica.address, caf::infinite, execute_atom::value, req.input)
      .then(on_ok, on_error);
  else
    self->request(call.replica.address, caf::infinite, function_atom::value, req.function,
                  req.input)
      .then(on_ok, on_error);
  self->state.pending.emplace(ticket, std::move(call));
}

/// The connection behind a proxy went: every call waiting on it ends or moves on.
void on_down(router_impl self, const caf::down_msg& msg) {
  auto& st = self->state;
  st.monitored.erase(msg.source);
  auto i = st.waiting_on.find(msg.source);
  if (i == st.waiting_on.end())
    return;
  auto tickets = std::move(i->second);
  st.waiting_on.erase(i);
  for (auto ticket : tickets) {
    auto p = st.pending.find(ticket);
    if (p == st.pending.end())
      continue;
    auto call = std::move(p->second);
    st.pending.erase(p);
    if (call.replica.idempotent) {
      call.tried.insert(call.replica.node);
      send_call(self, std::move(call)); // may have run there: retried only because it may
      continue;
    }
    call.promise.deliver(make_error(
      errc::unavailable, call.request.id,
      "its node went away during the call (node '" + call.replica.node + "': "
        + self->system().render(msg.reason)
        + "); not retried elsewhere: the call may have run and the plugin is not marked "
          "idempotent"));
  }
}

router_actor::behavior_type router_behavior(router_impl self, std::string node,
                                            std::shared_ptr<plugin_directory> directory) {
  self->state.node = std::move(node);
  self->state.directory = std::move(directory);
  self->set_down_handler([self](caf::down_msg& msg) { on_down(self, msg); });
  auto route = [self](call_request req) {
    auto promise = self->make_response_promise<payload>();
    routed_call call{std::move(req), promise, {}, {}};
    send_call(self, std::move(call));
    return promise;
  };
  return {
    [route](execute_atom, std::string& id, payload& in) {
      return route(call_request{std::move(id), {}, std::move(in)});
    },
    [route](function_atom, std::string& id, std::string& fn, payload& args) {
      return route(call_request{std::move(id), std::move(fn), std::move(args)});
    },
  };
}

} // namespace

router_actor spawn_call_router(caf::actor_system& sys, std::string node_name,
                               std::shared_ptr<plugin_directory> directory) {
  return sys.spawn(router_behavior, std::move(node_name), std::move(directory));
}

} // namespace troupe
