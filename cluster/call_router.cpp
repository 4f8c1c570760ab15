#include "cluster/call_router.hpp"

#include <deque>
#include <map>
#include <set>
#include <variant>

#include <caf/actor_system.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "actors/plugin_directory.hpp"
#include "cluster/transport.hpp"
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
  bool sent = false;            ///< It left this node (it may have run there).
};

/// The executes waiting for one replica: at most one message (a call, or a batch of them) is in
/// flight to it; the calls that arrive meanwhile leave together when it is answered. One call
/// alone goes as it is (no delay), many share one network message each way.
struct outbox {
  plugin_actor address;
  std::deque<std::uint64_t> queued;
  bool in_flight = false;
};

/// The most calls one batch carries.
constexpr std::size_t max_batch = 256;

struct router_state {
  std::string node;
  std::shared_ptr<plugin_directory> directory;
  std::map<std::uint64_t, routed_call> pending;
  std::map<caf::actor_addr, std::set<std::uint64_t>> waiting_on; ///< Monitored proxies.
  std::set<caf::actor_addr> monitored;
  std::map<caf::actor_addr, outbox> outboxes;
  bool flush_scheduled = false; ///< A done_atom to itself is on its way.
  std::uint64_t next_ticket = 1;
  static inline const char* name = "troupe.call_router";
};

/// The router's own interface: a message it sends itself to flush its outboxes once the calls
/// already in its mailbox are queued (done_atom).
using router_impl_actor = router_actor::extend<caf::reacts_to<done_atom>>;
using router_impl = router_impl_actor::stateful_pointer<router_state>;

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
    if (has_ended(r.address)) {
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

/// Sends what waits for the replica at `addr`, if nothing is in flight to it.
void flush(router_impl self, const caf::actor_addr& addr) {
  auto o = self->state.outboxes.find(addr);
  if (o == self->state.outboxes.end() || o->second.in_flight)
    return;
  std::vector<std::uint64_t> tickets;
  std::vector<payload> inputs;
  auto& queued = o->second.queued;
  while (!queued.empty() && tickets.size() < max_batch) {
    auto p = self->state.pending.find(queued.front());
    queued.pop_front();
    if (p == self->state.pending.end())
      continue;
    p->second.sent = true;
    tickets.push_back(p->first);
    inputs.push_back(p->second.request.input);
  }
  if (tickets.empty())
    return;
  o->second.in_flight = true;
  auto next = [self, addr] {
    auto i = self->state.outboxes.find(addr);
    if (i == self->state.outboxes.end())
      return;
    i->second.in_flight = false;
    flush(self, addr);
  };
  if (tickets.size() == 1) {
    auto ticket = tickets.front();
    self->request(o->second.address, caf::infinite, execute_atom::value, std::move(inputs[0]))
      .then(
        [self, ticket, next](payload& out) {
          finish(self, ticket, std::move(out));
          next();
        },
        [self, ticket, next](caf::error& err) {
          finish(self, ticket, std::move(err));
          next();
        });
    return;
  }
  self->request(o->second.address, caf::infinite, execute_atom::value, std::move(inputs))
    .then(
      [self, tickets, next](std::vector<call_outcome>& outs) {
        for (std::size_t k = 0; k < tickets.size(); ++k) {
          if (k >= outs.size())
            finish(self, tickets[k], make_error(errc::unavailable, "", "a batch came back short"));
          else if (outs[k].error)
            finish(self, tickets[k], std::move(outs[k].error));
          else
            finish(self, tickets[k], std::move(outs[k].output));
        }
        next();
      },
      [self, tickets, next](caf::error& err) {
        for (auto t : tickets)
          finish(self, t, err);
        next();
      });
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
  auto& req = call.request;
  if (req.function.empty()) { // executes to one replica are batched
    auto& o = self->state.outboxes[addr];
    o.address = call.replica.address;
    o.queued.push_back(ticket);
    self->state.pending.emplace(ticket, std::move(call));
    if (!o.in_flight && !self->state.flush_scheduled) {
      // Leave after the calls already in the mailbox: they join this one's message.
      self->state.flush_scheduled = true;
      self->send(self, done_atom::value);
    }
    return;
  }
  auto on_ok = [self, ticket](payload& out) { finish(self, ticket, std::move(out)); };
  auto on_error = [self, ticket](caf::error& err) { finish(self, ticket, std::move(err)); };
  call.sent = true;
  self->request(call.replica.address, caf::infinite, function_atom::value, req.function,
                req.input)
    .then(on_ok, on_error);
  self->state.pending.emplace(ticket, std::move(call));
}

/// The connection behind a proxy went: every call waiting on it ends or moves on.
void on_down(router_impl self, const caf::down_msg& msg) {
  auto& st = self->state;
  st.monitored.erase(msg.source);
  st.outboxes.erase(msg.source);
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
    if (!call.sent || call.replica.idempotent) { // never left, or safe to run twice
      call.tried.insert(call.replica.node);
      call.sent = false;
      send_call(self, std::move(call));
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

router_impl_actor::behavior_type router_behavior(router_impl self, std::string node,
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
    [self](done_atom) {
      self->state.flush_scheduled = false;
      std::vector<caf::actor_addr> ready;
      for (const auto& [addr, o] : self->state.outboxes)
        if (!o.in_flight && !o.queued.empty())
          ready.push_back(addr);
      for (const auto& addr : ready)
        flush(self, addr);
    },
  };
}

} // namespace

router_actor spawn_call_router(caf::actor_system& sys, std::string node_name,
                               std::shared_ptr<plugin_directory> directory) {
  return caf::actor_cast<router_actor>(
    sys.spawn(router_behavior, std::move(node_name), std::move(directory)));
}

} // namespace troupe
