#include "mcp/mcp_server.hpp"

#include <algorithm>
#include <map>

#include "messages/errors.hpp"
#include "messages/json_codec.hpp"

namespace troupe::mcp {

namespace {

/// A tool's inputSchema: its parameters schema, which MCP requires to be an object schema.
nlohmann::json input_schema(const tool_info& t) {
  auto schema = nlohmann::json::parse(t.parameters, nullptr, false);
  if (schema.is_discarded() || !schema.is_object())
    schema = nlohmann::json::object();
  if (!schema.contains("type"))
    schema["type"] = "object";
  return schema;
}

/// A tools/call result: the value as text, and as structuredContent (objects as they are,
/// anything else under "result").
nlohmann::json tool_result(const payload& out) {
  auto value = payload_to_json(out);
  if (!value)
    return {{"content", {{{"type", "text"}, {"text", describe(value.error())}}}},
            {"isError", true}};
  std::string text = value->is_string() ? value->get<std::string>() : render_json(*value);
  nlohmann::json structured = value->is_object() ? *value : nlohmann::json{{"result", *value}};
  return {{"content", {{{"type", "text"}, {"text", text}}}},
          {"structuredContent", structured},
          {"isError", false}};
}

nlohmann::json tool_error(const caf::error& err) {
  return {{"content", {{{"type", "text"}, {"text", describe(err)}}}}, {"isError", true}};
}

} // namespace

const std::vector<std::string>& mcp_server::protocol_versions() {
  static const std::vector<std::string> versions{"2025-06-18", "2025-03-26", "2024-11-05"};
  return versions;
}

std::vector<std::string> mcp_tool_names(const std::vector<tool_info>& tools) {
  std::map<std::string, int> offered;
  for (const auto& t : tools)
    ++offered[t.name];
  std::vector<std::string> names;
  for (const auto& t : tools)
    names.push_back(offered[t.name] > 1 ? t.plugin + "/" + t.name : t.name);
  return names;
}

mcp_server::mcp_server(mcp_backend backend, std::string node, std::string version)
  : backend_(std::move(backend)), node_(std::move(node)), version_(std::move(version)) {
}

bool mcp_server::has_request(std::string_view text) {
  auto read = read_messages(text);
  if (!read.refusals.empty())
    return true; // refusals are answered
  return std::any_of(read.messages.begin(), read.messages.end(), [](const mcp_message& m) {
    return m.type == mcp_message::kind::request;
  });
}

std::string mcp_server::handle(std::string_view text) const {
  auto read = read_messages(text);
  std::vector<std::string> answers;
  for (const auto& r : read.refusals)
    answers.push_back(error_text(r.id, r.code, r.message));
  for (const auto& m : read.messages)
    if (m.type == mcp_message::kind::request)
      answers.push_back(answer(m));
  if (answers.empty())
    return {};
  if (!read.batch)
    return answers.front();
  std::string out = "[";
  for (std::size_t i = 0; i < answers.size(); ++i)
    out += (i ? "," : "") + answers[i];
  return out + "]";
}

std::string mcp_server::answer(const mcp_message& m) const {
  if (m.method == "initialize")
    return result_text(m.id, initialize(m.params));
  if (m.method == "ping")
    return result_text(m.id, nlohmann::json::object());
  if (m.method == "tools/list")
    return list_tools(m.id);
  if (m.method == "tools/call")
    return call_tool(m.id, m.params);
  return error_text(m.id, rpc_code::method_not_found,
                    "method not found: " + m.method
                      + " (this server offers initialize, ping, tools/list, tools/call)");
}

nlohmann::json mcp_server::initialize(const nlohmann::json& params) const {
  const auto& versions = protocol_versions();
  std::string version = versions.front();
  if (params.is_object() && params.contains("protocolVersion")
      && params["protocolVersion"].is_string()) {
    auto asked = params["protocolVersion"].get<std::string>();
    if (std::find(versions.begin(), versions.end(), asked) != versions.end())
      version = asked;
  }
  return {{"protocolVersion", version},
          {"capabilities", {{"tools", {{"listChanged", false}}}}},
          {"serverInfo", {{"name", "troupe"}, {"title", "Troupe node " + node_},
                          {"version", version_}}},
          {"instructions", "The tools of every plugin of Troupe node '" + node_
                             + "'. Arguments are checked against each tool's inputSchema."}};
}

std::string mcp_server::list_tools(const nlohmann::json& id) const {
  auto tools = backend_.tools();
  if (!tools)
    return error_text(id, rpc_code::internal_error, describe(tools.error()));
  auto names = mcp_tool_names(*tools);
  auto out = nlohmann::json::array();
  for (std::size_t i = 0; i < tools->size(); ++i) {
    const auto& t = (*tools)[i];
    out.push_back({{"name", names[i]},
                   {"title", t.name + " (plugin " + t.plugin + ")"},
                   {"description", t.description},
                   {"inputSchema", input_schema(t)}});
  }
  return result_text(id, {{"tools", out}});
}

std::string mcp_server::call_tool(const nlohmann::json& id, const nlohmann::json& params) const {
  if (!params.is_object() || !params.contains("name") || !params["name"].is_string())
    return error_text(id, rpc_code::invalid_params, "tools/call needs params.name (a string)");
  auto name = params["name"].get<std::string>();
  nlohmann::json args = nlohmann::json::object();
  if (auto it = params.find("arguments"); it != params.end() && !it->is_null()) {
    if (!it->is_object())
      return error_text(id, rpc_code::invalid_params,
                        "tools/call: params.arguments must be an object");
    args = *it;
  }
  auto tools = backend_.tools();
  if (!tools)
    return error_text(id, rpc_code::internal_error, describe(tools.error()));
  auto names = mcp_tool_names(*tools);
  if (std::find(names.begin(), names.end(), name) == names.end())
    return error_text(id, rpc_code::invalid_params, "Unknown tool: " + name);
  // Arguments that fail the schema come back as a tool error (isError, naming what is wrong):
  // the model sees the message and can correct its call.
  auto out = backend_.call_tool(name, payload_from_json(args));
  return result_text(id, out ? tool_result(*out) : tool_error(out.error()));
}

} // namespace troupe::mcp
