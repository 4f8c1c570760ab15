// The MCP server without a transport: JSON-RPC framing (requests, notifications, batches,
// refusals), initialize's version negotiation, tools/list's shape and tools/call's results,
// tool errors and unknown tools. The backend is a table of tools in the test.

#include <sstream>

#include <gtest/gtest.h>

#include "mcp/mcp_server.hpp"
#include "mcp/mcp_stdio.hpp"
#include "messages/errors.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::test {
namespace {

using nlohmann::json;

mcp::mcp_backend table_backend() {
  mcp::mcp_backend b;
  b.tools = []() -> caf::expected<std::vector<tool_info>> {
    return std::vector<tool_info>{
      {"text", "shout", "Upper-cases text",
       R"({"type":"object","required":["text"],"properties":{"text":{"type":"string"}}})"},
      {"a", "dup", "first", "{}"},
      {"b", "dup", "second", R"({"properties":{}})"},
    };
  };
  b.call_tool = [](const std::string& name, const payload& args) -> caf::expected<payload> {
    auto j = payload_to_json(args);
    if (name == "shout") {
      if (!j->contains("text") || !(*j)["text"].is_string())
        return make_error(errc::bad_input, "text",
                          "tool 'shout': arguments do not match its schema: text is required");
      auto s = (*j)["text"].get<std::string>();
      for (auto& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return pack(s);
    }
    if (name == "a/dup")
      return payload_from_json(json{{"from", "a"}});
    return make_error(errc::plugin_failed, "b", "dup broke");
  };
  return b;
}

json ask(const mcp::mcp_server& s, const json& message) {
  auto text = s.handle(message.dump());
  return text.empty() ? json() : json::parse(text);
}

json request(int id, const std::string& method, json params = json::object()) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", params}};
}

class McpServer : public ::testing::Test {
protected:
  mcp::mcp_server server{table_backend(), "n1", "0.13.0"};
};

TEST_F(McpServer, InitializeAnswersTheAskedRevisionWhenItSpeaksIt) {
  auto r = ask(server, request(1, "initialize", {{"protocolVersion", "2025-03-26"}}));
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-03-26");
  EXPECT_EQ(r["result"]["serverInfo"]["name"], "troupe");
  EXPECT_TRUE(r["result"]["capabilities"].contains("tools"));
  r = ask(server, request(2, "initialize", {{"protocolVersion", "1999-01-01"}}));
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-06-18");
}

TEST_F(McpServer, NotificationsAndResponsesGetNoAnswer) {
  EXPECT_EQ(server.handle(R"({"jsonrpc":"2.0","method":"notifications/initialized"})"), "");
  EXPECT_EQ(server.handle(R"({"jsonrpc":"2.0","id":5,"result":{}})"), "");
  EXPECT_FALSE(mcp::mcp_server::has_request(R"({"jsonrpc":"2.0","method":"x"})"));
  EXPECT_TRUE(mcp::mcp_server::has_request(R"({"jsonrpc":"2.0","id":1,"method":"ping"})"));
}

TEST_F(McpServer, PingAnswersAnEmptyResultWithTheSameId) {
  auto r = ask(server, {{"jsonrpc", "2.0"}, {"id", "abc"}, {"method", "ping"}});
  EXPECT_EQ(r["id"], "abc");
  EXPECT_EQ(r["result"], json::object());
}

TEST_F(McpServer, ToolsListGivesNameDescriptionAndAnObjectInputSchema) {
  auto r = ask(server, request(3, "tools/list"));
  auto tools = r["result"]["tools"];
  ASSERT_EQ(tools.size(), 3u);
  EXPECT_EQ(tools[0]["name"], "shout");
  EXPECT_EQ(tools[0]["description"], "Upper-cases text");
  EXPECT_EQ(tools[0]["inputSchema"]["required"], json::array({"text"}));
  EXPECT_EQ(tools[1]["name"], "a/dup"); // offered by two plugins: named by plugin
  EXPECT_EQ(tools[2]["name"], "b/dup");
  for (const auto& t : tools)
    EXPECT_EQ(t["inputSchema"]["type"], "object");
}

TEST_F(McpServer, ToolsCallAnswersTextAndStructuredContent) {
  auto r = ask(server, request(4, "tools/call", {{"name", "shout"}, {"arguments", {{"text", "hi"}}}}));
  auto res = r["result"];
  EXPECT_EQ(res["isError"], false);
  EXPECT_EQ(res["content"][0]["type"], "text");
  EXPECT_EQ(res["content"][0]["text"], "HI");
  EXPECT_EQ(res["structuredContent"], (json{{"result", "HI"}}));
  r = ask(server, request(5, "tools/call", {{"name", "a/dup"}}));
  EXPECT_EQ(r["result"]["structuredContent"], (json{{"from", "a"}}));
  EXPECT_EQ(json::parse(r["result"]["content"][0]["text"].get<std::string>()), (json{{"from", "a"}}));
}

TEST_F(McpServer, APluginErrorOrBadArgumentsAreToolErrorsWithTheMessage) {
  auto r = ask(server, request(6, "tools/call", {{"name", "b/dup"}, {"arguments", json::object()}}));
  EXPECT_EQ(r["result"]["isError"], true);
  EXPECT_NE(r["result"]["content"][0]["text"].get<std::string>().find("dup broke"), std::string::npos);
  r = ask(server, request(7, "tools/call", {{"name", "shout"}, {"arguments", {{"text", 3}}}}));
  EXPECT_EQ(r["result"]["isError"], true);
  EXPECT_NE(r["result"]["content"][0]["text"].get<std::string>().find("schema"), std::string::npos);
}

TEST_F(McpServer, AnUnknownToolOrMethodIsAJsonRpcError) {
  auto r = ask(server, request(8, "tools/call", {{"name", "nope"}}));
  EXPECT_EQ(r["error"]["code"], -32602);
  EXPECT_NE(r["error"]["message"].get<std::string>().find("nope"), std::string::npos);
  r = ask(server, request(9, "resources/list"));
  EXPECT_EQ(r["error"]["code"], -32601);
  r = ask(server, request(10, "tools/call", {{"arguments", json::object()}}));
  EXPECT_EQ(r["error"]["code"], -32602);
}

TEST_F(McpServer, MalformedMessagesAreRefusedWithTheirCode) {
  auto r = json::parse(server.handle("{not json"));
  EXPECT_EQ(r["error"]["code"], -32700);
  EXPECT_TRUE(r["id"].is_null());
  r = json::parse(server.handle(R"({"id":1,"method":"ping"})"));
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_EQ(r["id"], 1);
  r = json::parse(server.handle(R"({"jsonrpc":"2.0","id":2,"method":"ping","params":[1]})"));
  EXPECT_EQ(r["error"]["code"], -32602);
  r = json::parse(server.handle(std::string(1000, '[') + std::string(1000, ']')));
  EXPECT_EQ(r["error"]["code"], -32700);
  r = json::parse(server.handle("[]"));
  EXPECT_EQ(r["error"]["code"], -32600);
}

TEST_F(McpServer, ABatchIsAnsweredWithAnArrayOfItsRequestsAnswers) {
  auto text = server.handle(R"([{"jsonrpc":"2.0","id":1,"method":"ping"},
                                {"jsonrpc":"2.0","method":"notifications/initialized"},
                                {"jsonrpc":"2.0","id":2,"method":"tools/list"}])");
  auto r = json::parse(text);
  ASSERT_TRUE(r.is_array());
  EXPECT_EQ(r.size(), 2u);
}

TEST_F(McpServer, StdioAnswersEachRequestLineWithOneLine) {
  std::istringstream in(R"({"jsonrpc":"2.0","id":1,"method":"ping"}
{"jsonrpc":"2.0","method":"notifications/initialized"}

{"jsonrpc":"2.0","id":2,"method":"tools/list"}
)");
  std::ostringstream out;
  EXPECT_EQ(mcp::serve_stdio(server, in, out), 2u);
  std::istringstream lines(out.str());
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(json::parse(line)["id"], 1);
  std::getline(lines, line);
  EXPECT_EQ(json::parse(line)["id"], 2);
}

} // namespace
} // namespace troupe::test
