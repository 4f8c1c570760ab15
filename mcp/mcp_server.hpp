#pragma once
// The Model Context Protocol (revision 2025-06-18) server side of a node, independent of the
// transport: it answers one client message at a time. stdio (`troupe mcp`) and Streamable HTTP
// (`/mcp` of the [http] door) both hand it what the client sent and send back what it answers.
//
// Serves: initialize, ping, tools/list (every tool of every plugin: name, description,
// inputSchema), tools/call (arguments checked against the tool's schema by the runtime; the
// result as text and structuredContent; a plugin's error, or arguments that fail the schema, as
// isError: true with the message; an unknown tool as JSON-RPC error -32602).
// Notifications (notifications/initialized, cancellations) and responses need no answer.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include "messages/payload.hpp"
#include "messages/plugin_types.hpp"
#include "mcp/mcp_message.hpp"

namespace troupe::mcp {

/// What the server serves: a node's tools and calls to them. Both may block; both must be safe
/// to call from the transport's threads.
struct mcp_backend {
  std::function<caf::expected<std::vector<tool_info>>()> tools;
  std::function<caf::expected<payload>(const std::string& name, const payload& args)> call_tool;
};

/// Answers MCP messages with `backend`. Thread-safe (no state between messages: a client may
/// send any message on any transport connection).
class mcp_server {
public:
  /// The revision this server speaks, and the older ones it also answers in.
  static const std::vector<std::string>& protocol_versions();

  /// `node` names the node in serverInfo and in the instructions.
  mcp_server(mcp_backend backend, std::string node, std::string version);

  /// The answer to `text` (one message or a batch): a response text, or "" when nothing is to
  /// be answered (notifications and responses only).
  std::string handle(std::string_view text) const;

  /// True if `text` holds at least one request (an HTTP transport answers 202 otherwise).
  static bool has_request(std::string_view text);

private:
  /// The response to one request.
  std::string answer(const mcp_message& m) const;
  nlohmann::json initialize(const nlohmann::json& params) const;
  std::string list_tools(const nlohmann::json& id) const;
  std::string call_tool(const nlohmann::json& id, const nlohmann::json& params) const;

  mcp_backend backend_;
  std::string node_;
  std::string version_;
};

/// The MCP name of each tool: its own name, or "plugin/name" when more than one plugin offers
/// a tool of that name (the runtime's call_tool takes both forms).
std::vector<std::string> mcp_tool_names(const std::vector<tool_info>& tools);

} // namespace troupe::mcp
