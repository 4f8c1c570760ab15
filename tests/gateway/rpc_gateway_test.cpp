// The msgpack-RPC gateway end to end: a real node with a [gateway] table, a real TCP client.
// Methods and their answers, answers out of request order, pipelined executes, the error map,
// and every way a connection is closed (malformed frame, token, limits, idle) touching nothing
// else.

#include <fstream>
#include <map>

#include "actor_fixture.hpp"
#include "gateway/rpc_test_client.hpp"
#include "messages/msgpack_codec.hpp"
#include "node/node.hpp"
#include "plugin_specs.hpp"
#include "plugins/kinds/standard_kinds.hpp"

namespace troupe::test {
namespace {

using namespace std::chrono_literals;
using gateway::rpc_frame;

constexpr const char* up_script = R"(
function execute(x)
  if x == "boom" then error("boom asked", 0) end
  return "ok:" .. tostring(x)
end
tools = {
  { name = "shout", description = "Upper-cases text",
    parameters = { type = "object", required = { "text" },
                   properties = { text = { type = "string" } } },
    handler = function(args) return string.upper(args.text) end },
}
)";

constexpr const char* slow_script = R"(
function execute(n)
  local t = 0
  for i = 1, n do t = t + i end
  return t
end
)";

constexpr const char* plugins = R"(
[[plugins]]
id = "echo"
kind = "native"
class = "echo"
[[plugins]]
id = "up"
script = "up.lua"
[[plugins]]
id = "slow"
script = "slow.lua"
[plugins.limits]
wall_time_ms = 0
instructions = 0
)";

/// Enough additions to keep a Lua plugin busy for a good part of a second.
constexpr std::int64_t long_spin = 20000000;

class Gateway : public ::testing::Test {
protected:
  Gateway() {
    opts.natives = example_natives();
    std::ofstream{dir.file("up.lua")} << up_script;
    std::ofstream{dir.file("slow.lua")} << slow_script;
  }

  /// Starts a node whose [gateway] table has `gateway_keys` besides listen.
  void start(const std::string& gateway_keys = "") {
    std::ofstream{dir.file("node.toml")}
      << "[gateway]\nlisten = \"127.0.0.1:0\"\n" << gateway_keys << plugins;
    auto cfg = load_node_config(dir.file("node.toml"), standard_kinds());
    ASSERT_TRUE(cfg) << describe(cfg.error());
    auto n = node::start(*cfg, opts);
    ASSERT_TRUE(n) << describe(n.error());
    the_node = std::move(*n);
    ASSERT_NE(the_node->gateway_port(), 0);
  }

  std::unique_ptr<rpc_test_client> connect() {
    auto c = std::make_unique<rpc_test_client>(the_node->gateway_port());
    EXPECT_TRUE(c->connected());
    return c;
  }

  /// Sends one request and waits for its response.
  rpc_frame call(rpc_test_client& c, const std::string& method, std::vector<payload> params) {
    static std::uint32_t next_id = 100;
    auto id = next_id++;
    EXPECT_TRUE(c.request(id, method, params));
    auto f = c.next();
    EXPECT_TRUE(f) << method << ": no answer";
    if (!f)
      return {};
    EXPECT_EQ(f->type, rpc_frame::kind::response);
    EXPECT_EQ(f->msgid, id);
    return *f;
  }

  temp_dir dir;
  node_options opts;
  std::unique_ptr<node> the_node;
};

bool is_nil(const payload& p) {
  return p == nil_payload();
}

std::map<std::string, std::string> error_map(const payload& p) {
  auto m = unpack_as<std::map<std::string, std::string>>(p);
  return m ? *m : std::map<std::string, std::string>{};
}

/// Waits for the [2, "closing", [{code, message}]] notification and the end of the stream.
std::map<std::string, std::string> closing_reason(rpc_test_client& c) {
  std::map<std::string, std::string> reason;
  for (auto f = c.next(); f; f = c.next())
    if (f->type == rpc_frame::kind::notification && f->method == "closing")
      reason = error_map(f->params.at(0));
  EXPECT_TRUE(c.closed()) << "the gateway did not close the connection";
  return reason;
}

TEST_F(Gateway, ExecuteAnswersWithThePluginsOutput) {
  start();
  auto c = connect();
  auto r = call(*c, "execute", {pack(std::string("up")), pack(std::string("hi"))});
  EXPECT_TRUE(is_nil(r.error));
  EXPECT_EQ(*unpack_as<std::string>(r.result), "ok:hi");
  r = call(*c, "execute", {pack(std::string("echo")), pack(std::map<std::string, int>{{"a", 1}})});
  EXPECT_EQ((*unpack_as<std::map<std::string, int>>(r.result)).at("a"), 1);
}

TEST_F(Gateway, AnErrorIsAMapWithCodeMessageAndPlugin) {
  start();
  auto c = connect();
  auto r = call(*c, "execute", {pack(std::string("nope")), pack(1)});
  EXPECT_TRUE(is_nil(r.result));
  auto e = error_map(r.error);
  EXPECT_EQ(e["code"], "not_found");
  EXPECT_EQ(e["plugin"], "nope");
  EXPECT_NE(e["message"].find("nope"), std::string::npos);
  r = call(*c, "execute", {pack(std::string("up")), pack(std::string("boom"))});
  e = error_map(r.error);
  EXPECT_EQ(e["code"], "plugin_failed");
  EXPECT_EQ(e["plugin"], "up");
  EXPECT_NE(e["message"].find("boom asked"), std::string::npos);
  r = call(*c, "execute", {pack(1)});
  EXPECT_EQ(error_map(r.error)["code"], "bad_input");
  r = call(*c, "no_such_method", {});
  e = error_map(r.error);
  EXPECT_EQ(e["code"], "not_found");
  EXPECT_NE(e["message"].find("no_such_method"), std::string::npos);
}

TEST_F(Gateway, AnswersArriveAsTheyFinishNotInRequestOrder) {
  start();
  auto c = connect();
  ASSERT_TRUE(c->request(1, "execute", {pack(std::string("slow")), pack(long_spin)}));
  ASSERT_TRUE(c->request(2, "execute", {pack(std::string("echo")), pack(std::string("fast"))}));
  auto first = c->next();
  auto second = c->next(60s);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->msgid, 2u);
  EXPECT_EQ(second->msgid, 1u);
  EXPECT_TRUE(is_nil(second->error));
}

TEST_F(Gateway, EveryRequestOfOnePipelinedWriteIsAnsweredOnce) {
  start();
  auto c = connect();
  std::vector<std::uint8_t> bytes;
  constexpr std::uint32_t n = 64;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto input = i % 10 == 3 ? std::string("boom") : "x" + std::to_string(i);
    auto f = gateway::encode_request(i, "execute", {pack(std::string("up")), pack(input)});
    bytes.insert(bytes.end(), f.bytes.begin(), f.bytes.end());
  }
  ASSERT_TRUE(c->send_bytes(bytes));
  std::map<std::uint32_t, rpc_frame> answers;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto f = c->next();
    ASSERT_TRUE(f) << "answer " << i << " missing";
    EXPECT_TRUE(answers.emplace(f->msgid, *f).second) << "msgid " << f->msgid << " twice";
  }
  for (std::uint32_t i = 0; i < n; ++i) {
    if (i % 10 == 3)
      EXPECT_EQ(error_map(answers[i].error)["code"], "plugin_failed");
    else
      EXPECT_EQ(*unpack_as<std::string>(answers[i].result), "ok:x" + std::to_string(i));
  }
}

TEST_F(Gateway, ListToolsStatsHealthAndCallToolAnswerTheirShapes) {
  start();
  auto c = connect();
  auto rows = unpack(call(*c, "list", {}).result);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->get().via.array.size, 3u);
  EXPECT_NE(map_field(rows->get().via.array.ptr[0], "state"), nullptr);
  auto tools = unpack(call(*c, "tools", {}).result);
  ASSERT_TRUE(tools);
  ASSERT_EQ(tools->get().via.array.size, 1u);
  EXPECT_NE(map_field(tools->get().via.array.ptr[0], "parameters"), nullptr);
  auto shout = call(*c, "call_tool", {pack(std::string("shout")),
                                      pack(std::map<std::string, std::string>{{"text", "hey"}})});
  EXPECT_EQ(*unpack_as<std::string>(shout.result), "HEY");
  auto refused = call(*c, "call_tool", {pack(std::string("shout")),
                                        pack(std::map<std::string, int>{{"text", 1}})});
  EXPECT_EQ(error_map(refused.error)["code"], "bad_input");
  auto stats = unpack(call(*c, "stats", {pack(std::string("up"))}).result);
  ASSERT_TRUE(stats);
  EXPECT_NE(map_field(stats->get(), "p99_us"), nullptr);
  auto all = unpack(call(*c, "stats", {}).result);
  EXPECT_EQ(all->get().via.array.size, 3u);
  auto health = unpack(call(*c, "health", {}).result);
  EXPECT_EQ(health->get().via.array.size, 3u);
}

TEST_F(Gateway, SubscribedClientsGetEventsAsNotifications) {
  start();
  auto c = connect();
  EXPECT_TRUE(*unpack_as<bool>(call(*c, "subscribe", {}).result));
  ASSERT_TRUE(c->request(7, "reload", {pack(std::string("up"))}));
  bool answered = false;
  bool completed_event = false;
  while (!(answered && completed_event)) {
    auto f = c->next();
    ASSERT_TRUE(f) << "reload answer or event missing";
    if (f->type == rpc_frame::kind::response) {
      EXPECT_EQ(f->msgid, 7u);
      EXPECT_TRUE(is_nil(f->error));
      answered = true;
    } else if (f->method == "event") {
      auto e = unpack(f->params.at(0));
      auto kind = map_field(e->get(), "kind");
      ASSERT_NE(kind, nullptr);
      completed_event |= kind->as<std::string>() == "reload_completed";
    }
  }
}

TEST_F(Gateway, UnknownNotificationsAreIgnored) {
  start();
  auto c = connect();
  ASSERT_TRUE(c->send_bytes(gateway::encode_notification("nvim_ui_attach", {pack(1)}).bytes));
  auto r = call(*c, "execute", {pack(std::string("up")), pack(std::string("still"))});
  EXPECT_EQ(*unpack_as<std::string>(r.result), "ok:still");
}

TEST_F(Gateway, AMalformedFrameClosesOnlyItsConnection) {
  start();
  auto bystander = connect();
  auto c = connect();
  ASSERT_TRUE(c->send_bytes({0x93, 0x07, 0x01, 0x02})); // [7, 1, 2]: no frame type 7
  auto reason = closing_reason(*c);
  EXPECT_EQ(reason["code"], "bad_input");
  EXPECT_NE(reason["message"].find("frame"), std::string::npos);
  auto r = call(*bystander, "execute", {pack(std::string("up")), pack(std::string("fine"))});
  EXPECT_EQ(*unpack_as<std::string>(r.result), "ok:fine");
}

TEST_F(Gateway, AFrameOverTheLimitClosesTheConnection) {
  start("max_frame_bytes = 1024\n");
  auto c = connect();
  ASSERT_TRUE(c->request(1, "execute", {pack(std::string("up")), pack(std::string(4000, 'a'))}));
  auto reason = closing_reason(*c);
  EXPECT_EQ(reason["code"], "bad_input");
  EXPECT_NE(reason["message"].find("1024"), std::string::npos);
}

TEST_F(Gateway, TooManyRequestsInFlightCloseTheConnection) {
  start("max_in_flight = 2\n");
  auto c = connect();
  std::vector<std::uint8_t> bytes;
  for (std::uint32_t i = 0; i < 3; ++i) {
    auto f = gateway::encode_request(i, "execute", {pack(std::string("slow")), pack(long_spin)});
    bytes.insert(bytes.end(), f.bytes.begin(), f.bytes.end());
  }
  ASSERT_TRUE(c->send_bytes(bytes));
  auto reason = closing_reason(*c);
  EXPECT_EQ(reason["code"], "limit_exceeded");
  EXPECT_NE(reason["message"].find("max_in_flight"), std::string::npos);
}

TEST_F(Gateway, AnIdleConnectionIsClosed) {
  start("idle_timeout_ms = 100\n");
  auto c = connect();
  auto reason = closing_reason(*c);
  EXPECT_EQ(reason["code"], "limit_exceeded");
  EXPECT_NE(reason["message"].find("idle_timeout_ms"), std::string::npos);
}

TEST_F(Gateway, ACallPastItsTimeoutIsAnsweredWithTimeoutNamingThePlugin) {
  start("call_timeout_ms = 20\n");
  auto c = connect();
  auto r = call(*c, "execute", {pack(std::string("slow")), pack(long_spin)});
  auto e = error_map(r.error);
  EXPECT_EQ(e["code"], "timeout");
  EXPECT_EQ(e["plugin"], "slow");
}

TEST_F(Gateway, WithATokenTheFirstRequestMustBeAuth) {
  start("token = \"s3cret\"\n");
  auto early = connect();
  auto r = call(*early, "list", {});
  EXPECT_EQ(error_map(r.error)["code"], "unauthorized");
  EXPECT_EQ(closing_reason(*early)["code"], "unauthorized");

  auto wrong = connect();
  r = call(*wrong, "auth", {pack(std::string("guess"))});
  EXPECT_EQ(error_map(r.error)["code"], "unauthorized");
  EXPECT_EQ(closing_reason(*wrong)["code"], "unauthorized");

  auto right = connect();
  r = call(*right, "auth", {pack(std::string("s3cret"))});
  EXPECT_TRUE(*unpack_as<bool>(r.result));
  r = call(*right, "execute", {pack(std::string("up")), pack(std::string("in"))});
  EXPECT_EQ(*unpack_as<std::string>(r.result), "ok:in");
}

TEST_F(Gateway, AnAddressInUseIsRefusedAtStartNamingIt) {
  start();
  std::ofstream{dir.file("other.toml")}
    << "[gateway]\nlisten = \"127.0.0.1:" << the_node->gateway_port() << "\"\n";
  auto cfg = load_node_config(dir.file("other.toml"), standard_kinds());
  ASSERT_TRUE(cfg);
  auto n = node::start(*cfg, opts);
  ASSERT_FALSE(n);
  EXPECT_EQ(code_name(n.error()), "unavailable");
  EXPECT_NE(describe(n.error()).find(std::to_string(the_node->gateway_port())),
            std::string::npos);
}

} // namespace
} // namespace troupe::test
