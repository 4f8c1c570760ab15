// `troupe mcp`: serves a node's tools to an agent over MCP's stdio transport (docs/gateway.md).

#include <iostream>

#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/session.hpp"
#include "mcp/mcp_stdio.hpp"
#include "messages/errors.hpp"

namespace troupe::cli {

int serve_mcp(const target& where) {
  auto s = open(where);
  if (!s) { // stdout carries only the protocol
    spdlog::error("troupe mcp: {}", describe(s.error()));
    return exit_usage;
  }
  auto* sess = s->get();
  mcp::mcp_backend backend;
  backend.tools = [sess] { return sess->cluster() ? sess->cluster()->tools() : sess->api().tools(); };
  backend.call_tool = [sess](const std::string& name, const payload& args) {
    return sess->api().call_tool(name, args);
  };
  auto node = where.node.empty() ? where.config_path : where.node;
  mcp::mcp_server server{std::move(backend), node, TROUPE_VERSION};
  spdlog::info("troupe mcp: serving the tools of {} on stdio", node);
  auto answered = mcp::serve_stdio(server, std::cin, std::cout);
  spdlog::info("troupe mcp: stdin ended after {} answers", answered);
  return exit_ok;
}

} // namespace troupe::cli
