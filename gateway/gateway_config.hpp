#pragma once
// The [gateway] and [http] tables of a node's config (docs/gateway.md, docs/configuration.md):
// the doors a node opens for programs in any language (msgpack-RPC over TCP) and for agents and
// people (MCP over Streamable HTTP, Prometheus metrics, the live view).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace troupe {

/// The msgpack-RPC door. Off unless a listen address is given.
struct gateway_config {
  bool listen = false;               ///< [gateway] listen was given.
  std::string host = "127.0.0.1";    ///< Default: loopback.
  std::uint16_t port = 0;            ///< 0: any free port (the bound one is logged and reported).
  /// When set, the first request of a connection must be auth(token); anything else, or a wrong
  /// token, closes the connection.
  std::string token;
  std::size_t max_frame_bytes = 4u << 20;    ///< One frame (and what may wait unparsed).
  std::size_t max_in_flight = 256;           ///< Requests of one connection not yet answered.
  std::uint32_t idle_timeout_ms = 300000;    ///< Nothing received and nothing in flight.
  std::uint32_t call_timeout_ms = 30000;     ///< A request not answered by then gets timeout.
};

/// The HTTP door: /mcp (MCP Streamable HTTP), /metrics (Prometheus), / (the live view).
struct http_config {
  bool listen = false;               ///< [http] listen was given.
  std::string host = "127.0.0.1";    ///< Default: loopback.
  std::uint16_t port = 0;            ///< 0: any free port.
  /// When set, /mcp and the live view's data need `Authorization: Bearer <token>` (the page
  /// itself takes it as ?token=); /metrics stays open unless metrics_token_required.
  std::string token;
  bool metrics_need_token = false;   ///< /metrics also needs the token.
  /// Origins a browser may call /mcp from, besides http(s)://localhost|127.0.0.1|[::1][:port].
  std::vector<std::string> allowed_origins;
  std::uint32_t call_timeout_ms = 30000;     ///< A tool call not answered by then: timeout.
  std::size_t max_body_bytes = 4u << 20;     ///< A request body past this: 413.
};

} // namespace troupe
