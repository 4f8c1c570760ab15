// Reading a node config's [cluster] table, its aliases node.host/node.port, and the [[plugins]]
// keys of a cluster (replicas, idempotent): values land in their fields, documented defaults
// hold, and bad values name the file, the line and the key.

#include <fstream>

#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "node/node_config.hpp"
#include "plugins/kinds/standard_kinds.hpp"

namespace troupe::test {
namespace {

caf::expected<node_config> parse(const std::string& text) {
  return parse_node_config(text, "/tmp/c.toml", standard_kinds());
}

TEST(ClusterConfig, EveryKeyLandsInItsField) {
  auto cfg = parse(R"(
[node]
name = "n1"
[cluster]
listen = "0.0.0.0:7000"
seeds = ["10.0.0.2:7000", "node3:7000"]
heartbeat_ms = 100
node_timeout_ms = 400
rejoin_ms = 300
)");
  ASSERT_TRUE(cfg) << describe(cfg.error());
  const auto& c = cfg->cluster;
  EXPECT_TRUE(c.listen);
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 7000);
  EXPECT_EQ(c.seeds, (std::vector<std::string>{"10.0.0.2:7000", "node3:7000"}));
  EXPECT_EQ(c.heartbeat_ms, 100u);
  EXPECT_EQ(c.node_timeout_ms, 400u);
  EXPECT_EQ(c.rejoin_ms, 300u);
  EXPECT_FALSE(c.tls());
  EXPECT_EQ(cfg->data_dir, "/tmp/troupe-data/n1");
}

TEST(ClusterConfig, DefaultsListenNowhereOnLoopbackWithASecondOfTimeout) {
  auto cfg = parse("[node]\nname = \"x\"\n");
  ASSERT_TRUE(cfg);
  EXPECT_FALSE(cfg->cluster.listen);
  EXPECT_EQ(cfg->cluster.host, "127.0.0.1");
  EXPECT_EQ(cfg->cluster.heartbeat_ms, 250u);
  EXPECT_EQ(cfg->cluster.node_timeout_ms, 1000u);
}

TEST(ClusterConfig, NodeHostAndPortAreAliasesOfListen) {
  auto cfg = parse("[node]\nhost = \"0.0.0.0\"\nport = 7100\n");
  ASSERT_TRUE(cfg);
  EXPECT_TRUE(cfg->cluster.listen);
  EXPECT_EQ(cfg->cluster.host, "0.0.0.0");
  EXPECT_EQ(cfg->cluster.port, 7100);
  auto both = parse("[node]\nport = 7100\n[cluster]\nlisten = \"127.0.0.1:7200\"\n");
  ASSERT_FALSE(both);
  EXPECT_NE(describe(both.error()).find("not both"), std::string::npos) << describe(both.error());
}

TEST(ClusterConfig, TlsNeedsAllThreeReadableFiles) {
  auto some = parse("[cluster]\nlisten = \":7000\"\nca = \"/etc/hostname\"\n");
  ASSERT_FALSE(some);
  EXPECT_NE(describe(some.error()).find("all three"), std::string::npos);
  auto missing = parse("[cluster]\nca = \"/nonexistent/ca.pem\"\ncert = \"/etc/hostname\"\n"
                       "key = \"/etc/hostname\"\n");
  ASSERT_FALSE(missing);
  EXPECT_NE(describe(missing.error()).find("/nonexistent/ca.pem"), std::string::npos);
  auto all = parse("[cluster]\nca = \"/etc/hostname\"\ncert = \"/etc/hostname\"\n"
                   "key = \"/etc/hostname\"\n");
  ASSERT_TRUE(all) << describe(all.error());
  EXPECT_TRUE(all->cluster.tls());
}

TEST(ClusterConfig, BadValuesNameTheFileLineAndKey) {
  struct bad_case {
    const char* text;
    const char* names;
  };
  for (const auto& c : {bad_case{"[cluster]\nlisten = \"nohost\"\n", "cluster.listen"},
                        bad_case{"[cluster]\nseeds = [\"a:0\"]\n", "cluster.seeds"},
                        bad_case{"[cluster]\nheartbeat_ms = 0\n", "cluster.heartbeat_ms"},
                        bad_case{"[cluster]\nheartbeat_ms = 500\nnode_timeout_ms = 400\n",
                                 "node_timeout_ms"},
                        bad_case{"[cluster]\nlistne = \":1\"\n", "cluster.listne"}}) {
    auto cfg = parse(c.text);
    ASSERT_FALSE(cfg) << c.text;
    auto text = describe(cfg.error());
    EXPECT_EQ(code_name(cfg.error()), "config_error");
    EXPECT_NE(text.find("/tmp/c.toml:"), std::string::npos) << text;
    EXPECT_NE(text.find(c.names), std::string::npos) << text;
  }
}

TEST(ClusterConfig, ReplicasBecomeNumberedPluginsAndDependenciesFollowThem) {
  auto cfg = parse(R"(
[[plugins]]
id = "rep"
class = "echo"
replicas = 3
idempotent = true
[[plugins]]
id = "user"
class = "echo"
dependencies = ["rep"]
)");
  ASSERT_TRUE(cfg) << describe(cfg.error());
  std::vector<std::string> ids;
  for (const auto& p : cfg->plugins)
    ids.push_back(p.config.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"rep#1", "rep#2", "rep#3", "user"}));
  EXPECT_TRUE(cfg->plugins[1].config.idempotent);
  EXPECT_FALSE(cfg->plugins[3].config.idempotent);
  EXPECT_EQ(cfg->plugins[3].config.dependencies,
            (std::vector<std::string>{"rep#1", "rep#2", "rep#3"}));
  auto reserved = parse("[[plugins]]\nid = \"a#1\"\nclass = \"echo\"\n");
  ASSERT_FALSE(reserved);
  EXPECT_NE(describe(reserved.error()).find("reserved"), std::string::npos);
  auto zero = parse("[[plugins]]\nid = \"a\"\nclass = \"echo\"\nreplicas = 0\n");
  ASSERT_FALSE(zero);
}

} // namespace
} // namespace troupe::test
