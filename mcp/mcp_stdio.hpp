#pragma once
// MCP's stdio transport: one JSON-RPC message (or batch) per line on `in`, each answer one line
// on `out` (flushed), nothing else on `out`.

#include <cstddef>
#include <iosfwd>

#include "mcp/mcp_server.hpp"

namespace troupe::mcp {

/// Longest line read; a longer one is answered with a parse error and skipped.
constexpr std::size_t max_stdio_line = 16u << 20;

/// Serves `server` until `in` ends. Returns the number of lines answered.
std::size_t serve_stdio(const mcp_server& server, std::istream& in, std::ostream& out);

} // namespace troupe::mcp
