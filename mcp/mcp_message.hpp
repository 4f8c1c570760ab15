#pragma once
// One JSON-RPC 2.0 message of the Model Context Protocol (revision 2025-06-18), read from its
// text: the parser every MCP transport (stdio lines, HTTP bodies) runs on what a client sends
// (fuzzed as such: tests/fuzz).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace troupe::mcp {

/// JSON-RPC error codes MCP uses.
enum class rpc_code : int {
  parse_error = -32700,
  invalid_request = -32600,
  method_not_found = -32601,
  invalid_params = -32602,
  internal_error = -32603,
};

/// A message as the server acts on it.
struct mcp_message {
  enum class kind { request, notification, response };
  kind type = kind::request;
  nlohmann::json id;      ///< Requests and responses: a string or an integer.
  std::string method;     ///< Requests and notifications.
  nlohmann::json params;  ///< An object (or null when absent).
};

/// Why a text is no message: the code to answer with, what is wrong, and the request id when
/// it could be read (null otherwise).
struct mcp_refusal {
  rpc_code code = rpc_code::parse_error;
  std::string message;
  nlohmann::json id;
};

/// The deepest nesting of arrays and objects a message may have.
constexpr std::size_t max_message_depth = 128;

/// Reads one message (a JSON object), or a batch (a JSON array of them: what 2025-03-26
/// clients may send). Never throws. Each element of the answer is a message or why it is none;
/// an empty batch, text that is not JSON or JSON nested deeper than max_message_depth give one
/// refusal.
struct read_result {
  bool batch = false;
  std::vector<mcp_message> messages;
  std::vector<mcp_refusal> refusals;
};
read_result read_messages(std::string_view text);

/// A JSON-RPC response text {"jsonrpc":"2.0","id":id,"result":result}.
std::string result_text(const nlohmann::json& id, const nlohmann::json& result);

/// A JSON-RPC error response text {"jsonrpc":"2.0","id":id,"error":{"code","message"}}.
std::string error_text(const nlohmann::json& id, rpc_code code, const std::string& message);

} // namespace troupe::mcp
