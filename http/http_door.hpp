#pragma once
// The HTTP door of a node ([http] table; docs/gateway.md):
//   POST /mcp          MCP 2025-06-18 over Streamable HTTP (JSON answers; GET and DELETE: 405)
//   GET  /metrics      Prometheus text format
//   GET  /             the live view: a page of the node's plugins and events, updated live
//   GET  /api/status   what the page shows, as JSON: plugins with state, calls, p99, restarts,
//                      reloads; the cluster's members
//   GET  /api/events?after=N   the events after number N (the page polls it)
// Loopback by default. With a token, /mcp and /api/* need `Authorization: Bearer TOKEN` (the
// page takes it as ?token=), and /metrics too when metrics_need_token. /mcp refuses browser
// Origins other than loopback and allowed_origins (DNS rebinding).

#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "gateway/gateway_config.hpp"
#include "messages/cluster_protocol.hpp"
#include "messages/manager_protocol.hpp"

namespace troupe {

/// What the HTTP door serves.
struct http_context {
  caf::actor_system* system = nullptr;
  manager_actor manager;
  node_actor member;      ///< The node's cluster member; null outside a cluster.
  std::string node;       ///< The node's name.
  std::string version;    ///< Troupe's version, for MCP's serverInfo.
};

/// A listening HTTP door. Made by start(); the destructor stops the server (requests under way
/// finish first) and the event recorder.
class http_door {
public:
  /// Binds config.host:config.port (0: any free port) and starts serving on a thread pool of
  /// its own. unavailable naming the address if it cannot be bound.
  static caf::expected<std::unique_ptr<http_door>> start(const http_config& config,
                                                         http_context context);
  ~http_door();
  http_door(const http_door&) = delete;
  http_door& operator=(const http_door&) = delete;

  /// The port bound.
  std::uint16_t port() const;

private:
  http_door();
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace troupe
