#include "gateway/rpc_gateway.hpp"

#include <set>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "gateway/rpc_session.hpp"
#include "messages/errors.hpp"

namespace troupe {

namespace {

using gateway::session_settings;

/// Accepts connections and gives each a broker of its own; ends them all when it is told to
/// exit.
caf::behavior acceptor(caf::io::broker* self, std::shared_ptr<const session_settings> settings) {
  auto connections = std::make_shared<std::set<caf::actor_addr>>();
  self->set_down_handler([connections](caf::down_msg& dm) { connections->erase(dm.source); });
  self->set_exit_handler([self, connections](caf::exit_msg& msg) {
    for (const auto& c : *connections)
      if (auto conn = caf::actor_cast<caf::actor>(c))
        self->send_exit(conn, msg.reason);
    self->quit(msg.reason);
  });
  return {
    [self, settings](open_atom) -> caf::result<std::uint16_t> {
      const auto& c = settings->config;
      auto bound = self->add_tcp_doorman(c.port, c.host.c_str(), true);
      if (!bound)
        return make_error(errc::unavailable, "",
                          "the gateway cannot listen on " + c.host + ":" + std::to_string(c.port)
                            + ": " + self->system().render(bound.error()));
      return bound->second;
    },
    [self, settings, connections](const caf::io::new_connection_msg& msg) {
      auto conn = self->fork(gateway::rpc_connection, msg.handle, settings);
      self->monitor(conn);
      connections->insert(conn.address());
    },
  };
}

} // namespace

caf::expected<std::unique_ptr<rpc_gateway>>
rpc_gateway::start(caf::actor_system& sys, const gateway_config& config,
                   gateway_context context) {
  auto settings = std::make_shared<const session_settings>(
    session_settings{config, std::move(context)});
  std::unique_ptr<rpc_gateway> g{new rpc_gateway};
  g->acceptor_ = sys.middleman().spawn_broker(acceptor, settings);
  caf::error failed;
  caf::scoped_actor self{sys};
  self->request(g->acceptor_, std::chrono::seconds(10), open_atom::value)
    .receive([&](std::uint16_t port) { g->port_ = port; },
             [&](caf::error& err) { failed = std::move(err); });
  if (failed)
    return failed; // the destructor ends the acceptor
  return g;
}

rpc_gateway::~rpc_gateway() {
  if (acceptor_)
    caf::anon_send_exit(acceptor_, caf::exit_reason::user_shutdown);
}

} // namespace troupe
