// Reading a node config's [gateway] and [http] tables: values land in their fields, the
// documented defaults hold (closed, loopback, limits), and bad values name the file, the line
// and the key.

#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "node/node_config.hpp"
#include "plugins/kinds/standard_kinds.hpp"

namespace troupe::test {
namespace {

caf::expected<node_config> parse(const std::string& text) {
  return parse_node_config(text, "/tmp/d.toml", standard_kinds());
}

TEST(DoorConfig, WithoutTablesBothDoorsAreClosedWithTheDocumentedDefaults) {
  auto cfg = parse("[node]\nname = \"n\"\n");
  ASSERT_TRUE(cfg) << describe(cfg.error());
  EXPECT_FALSE(cfg->gateway.listen);
  EXPECT_FALSE(cfg->http.listen);
  EXPECT_EQ(cfg->gateway.host, "127.0.0.1");
  EXPECT_EQ(cfg->gateway.max_frame_bytes, 4u << 20);
  EXPECT_EQ(cfg->gateway.max_in_flight, 256u);
  EXPECT_EQ(cfg->gateway.idle_timeout_ms, 300000u);
  EXPECT_EQ(cfg->gateway.call_timeout_ms, 30000u);
  EXPECT_TRUE(cfg->gateway.token.empty());
  EXPECT_EQ(cfg->http.host, "127.0.0.1");
  EXPECT_FALSE(cfg->http.metrics_need_token);
}

TEST(DoorConfig, EveryGatewayKeyLandsInItsField) {
  auto cfg = parse(R"(
[gateway]
listen = "0.0.0.0:7400"
token = "t0k"
max_frame_bytes = 65536
max_in_flight = 16
idle_timeout_ms = 5000
call_timeout_ms = 250
)");
  ASSERT_TRUE(cfg) << describe(cfg.error());
  const auto& g = cfg->gateway;
  EXPECT_TRUE(g.listen);
  EXPECT_EQ(g.host, "0.0.0.0");
  EXPECT_EQ(g.port, 7400);
  EXPECT_EQ(g.token, "t0k");
  EXPECT_EQ(g.max_frame_bytes, 65536u);
  EXPECT_EQ(g.max_in_flight, 16u);
  EXPECT_EQ(g.idle_timeout_ms, 5000u);
  EXPECT_EQ(g.call_timeout_ms, 250u);
}

TEST(DoorConfig, EveryHttpKeyLandsInItsField) {
  auto cfg = parse(R"(
[http]
listen = "127.0.0.1:0"
token = "abc"
metrics_need_token = true
allowed_origins = ["https://agent.example"]
call_timeout_ms = 900
max_body_bytes = 1000
)");
  ASSERT_TRUE(cfg) << describe(cfg.error());
  const auto& h = cfg->http;
  EXPECT_TRUE(h.listen);
  EXPECT_EQ(h.port, 0);
  EXPECT_EQ(h.token, "abc");
  EXPECT_TRUE(h.metrics_need_token);
  EXPECT_EQ(h.allowed_origins, std::vector<std::string>{"https://agent.example"});
  EXPECT_EQ(h.call_timeout_ms, 900u);
  EXPECT_EQ(h.max_body_bytes, 1000u);
}

TEST(DoorConfig, BadValuesNameFileLineAndKey) {
  struct bad_case {
    std::string text;
    std::string says;
  };
  std::vector<bad_case> cases{
    {"[gateway]\nlisten = 7400\n", "gateway.listen"},
    {"[gateway]\nlisten = \"nohost\"\n", "gateway.listen"},
    {"[gateway]\nmax_in_flight = 0\n", "gateway.max_in_flight"},
    {"[gateway]\nidle_timeout_ms = \"5s\"\n", "gateway.idle_timeout_ms"},
    {"[gateway]\ntoken = 5\n", "gateway.token"},
    {"[gateway]\nport = 5\n", "unknown key 'gateway.port'"},
    {"[http]\nmetrics_need_token = 1\n", "http.metrics_need_token"},
    {"[http]\nallowed_origins = \"x\"\n", "http.allowed_origins"},
    {"[http]\nmax_body_bytes = 1\n", "http.max_body_bytes"},
    {"gateway = 1\n", "'gateway' must be a table"},
  };
  for (const auto& c : cases) {
    auto cfg = parse(c.text);
    ASSERT_FALSE(cfg) << c.text;
    auto text = describe(cfg.error());
    EXPECT_EQ(code_name(cfg.error()), "config_error") << text;
    EXPECT_NE(text.find("/tmp/d.toml:"), std::string::npos) << text;
    EXPECT_NE(text.find(c.says), std::string::npos) << text;
  }
}

} // namespace
} // namespace troupe::test
