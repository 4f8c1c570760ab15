#pragma once
// The msgpack-RPC door of a node (issue 13, docs/gateway.md): a TCP port where a program in any
// language calls the node's plugins with msgpack-RPC (the spec Neovim speaks):
//   request [0, msgid, method, params] -> response [1, msgid, error, result]
//   notification [2, method, params]   (the server sends events as [2, "event", [event]])
// Methods: execute(id, value), call_tool(name, args), tools(), list(), stats([id]), health(),
// reload(id), subscribe(), auth(token). Many requests in flight per connection, answered as they
// finish. An error is a map {code, message[, plugin]}. A malformed frame, a wrong token or a
// limit closes that connection (after a [2, "closing", [{code, message}]] notification) and
// touches nothing else.

#include <cstdint>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "gateway/gateway_config.hpp"
#include "messages/manager_protocol.hpp"

namespace troupe {

class plugin_directory;

/// What the gateway's connections call.
struct gateway_context {
  manager_actor manager;                         ///< Everything but local executes.
  /// This process's plugins: executes go straight to them. Null: through the manager.
  std::shared_ptr<plugin_directory> directory;
  std::string node;                              ///< The node's name, for logs.
};

/// A listening msgpack-RPC door. Made by start(); the destructor closes the port and every
/// connection (requests in flight are dropped with their connections).
class rpc_gateway {
public:
  /// Opens config.host:config.port (0: any free port) in `sys` (which must have loaded the
  /// middleman). unavailable naming the address if it cannot be bound.
  static caf::expected<std::unique_ptr<rpc_gateway>>
  start(caf::actor_system& sys, const gateway_config& config, gateway_context context);

  ~rpc_gateway();
  rpc_gateway(const rpc_gateway&) = delete;
  rpc_gateway& operator=(const rpc_gateway&) = delete;

  /// The port bound.
  std::uint16_t port() const { return port_; }

private:
  rpc_gateway() = default;
  caf::actor acceptor_;
  std::uint16_t port_ = 0;
};

} // namespace troupe
