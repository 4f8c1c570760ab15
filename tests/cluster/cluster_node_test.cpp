// Two nodes of a cluster in one test process (each its own actor system, as two processes would
// be to CAF), through the embedding API: runtime.execute and an actor's call by id reach a plugin
// on the other node, and the node's members list each other.

#include <caf/event_based_actor.hpp>

#include "actor_fixture.hpp"
#include "actors/plugin_directory.hpp"
#include "actors/runtime.hpp"
#include "cluster/cluster_client.hpp"
#include "messages/msgpack_codec.hpp"
#include "node/node.hpp"
#include "plugins/examples/register_examples.hpp"
#include "plugins/kinds/standard_kinds.hpp"
#include "plugins/native/registry.hpp"

namespace troupe::test {
namespace {

class ClusterOfTwo : public ::testing::Test {
protected:
  std::unique_ptr<node> start(const std::string& name, const std::string& plugin,
                              const std::string& seeds) {
    auto kinds = std::make_shared<const kind_registry>(standard_kinds());
    auto cfg = parse_node_config("[node]\nname = \"" + name + "\"\nlog_level = \"warn\"\n"
                                   "[cluster]\nlisten = \"127.0.0.1:0\"\nseeds = [" + seeds
                                   + "]\n[[plugins]]\nid = \"" + plugin
                                   + "\"\nclass = \"echo\"\n",
                                 dir.file(name + ".toml"), *kinds);
    EXPECT_TRUE(cfg) << describe(cfg.error());
    node_options opts;
    opts.kinds = kinds;
    opts.natives = std::make_shared<native_registry>();
    examples::register_examples(*opts.natives);
    auto n = node::start(*cfg, opts);
    EXPECT_TRUE(n) << describe(n.error());
    return n ? std::move(*n) : nullptr;
  }

  std::string address_of(const node& n) {
    return "\"127.0.0.1:" + std::to_string(n.port()) + "\"";
  }

  /// Whether `n` sees member `name` in `state` and (when up) its plugin `id` in its directory:
  /// a blocking request to n's member per check, so that waiting never spins on a lock.
  bool sees(node& n, const std::string& name, const std::string& state, const std::string& id) {
    auto rows = cluster_client{n.system(), n.member(), request_timeout}.nodes();
    if (!rows)
      return false;
    for (const auto& r : *rows)
      if (r.name == name && r.state == state)
        return n.runtime().directory()->hosted_elsewhere(id) == (state == "up");
    return false;
  }

  temp_dir dir;
};

TEST_F(ClusterOfTwo, RuntimeExecuteAndAnActorsCallByIdReachThePluginOnTheOtherNode) {
  auto a = start("a", "here", "");
  ASSERT_TRUE(a);
  auto b = start("b", "there", address_of(*a));
  ASSERT_TRUE(b);
  // b joined a: a learns of b's plugin (bounded by request_timeout).
  ASSERT_TRUE(eventually([&] { return sees(*a, "b", "up", "there"); }));
  auto out = a->runtime().execute("there", pack(std::string("far")));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::string>(*out), "far");
  // An actor of node a looks the id up once and calls the address: a proxy of b's plugin.
  caf::scoped_actor self{a->system()};
  caf::expected<std::string> answer{caf::error{}};
  self->request(a->manager(), request_timeout, lookup_atom::value, std::string{"there"})
    .receive(
      [&](plugin_actor& at) {
        EXPECT_NE(at.node(), a->system().node()); // it runs on the other node
        self->request(at, request_timeout, execute_atom::value, pack(std::string("direct")))
          .receive([&](payload& p) { answer = *unpack_as<std::string>(p); },
                   [&](caf::error& err) { answer = std::move(err); });
      },
      [&](caf::error& err) { answer = std::move(err); });
  ASSERT_TRUE(answer) << describe(answer.error());
  EXPECT_EQ(*answer, "direct");
  cluster_client members{a->system(), a->member()};
  auto rows = members.nodes();
  ASSERT_TRUE(rows) << describe(rows.error());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].name, "b");
  EXPECT_EQ((*rows)[1].state, "up");
}

TEST_F(ClusterOfTwo, APluginAnswersABatchOfExecutesInOrderInOneMessage) {
  auto a = start("a", "here", "");
  ASSERT_TRUE(a);
  auto at = a->runtime().resolve("here");
  ASSERT_TRUE(at) << describe(at.error());
  std::vector<payload> batch;
  for (int i = 0; i < 5; ++i)
    batch.push_back(pack(i));
  caf::scoped_actor self{a->system()};
  std::vector<call_outcome> outs;
  self->request(*at, request_timeout, execute_atom::value, batch)
    .receive([&](std::vector<call_outcome>& x) { outs = std::move(x); },
             [&](caf::error& err) { FAIL() << describe(err); });
  ASSERT_EQ(outs.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_FALSE(outs[i].error);
    EXPECT_EQ(*unpack_as<int>(outs[i].output), i);
  }
  ASSERT_TRUE(a->runtime().step(lifecycle_op::stop, "here"));
  self->request(*at, request_timeout, execute_atom::value, batch)
    .receive([&](std::vector<call_outcome>& x) { outs = std::move(x); },
             [&](caf::error& err) { FAIL() << describe(err); });
  ASSERT_EQ(outs.size(), 5u);
  for (const auto& o : outs) // a stopped plugin: each call refused with its own error
    EXPECT_EQ(code_name(o.error), "invalid_state") << describe(o.error);
}

TEST_F(ClusterOfTwo, APluginOfAStoppedNodeIsUnavailableNamingThatNode) {
  auto a = start("a", "here", "");
  ASSERT_TRUE(a);
  auto b = start("b", "there", address_of(*a));
  ASSERT_TRUE(b);
  ASSERT_TRUE(eventually([&] { return sees(*a, "b", "up", "there"); }));
  b.reset(); // stops b: its member ends, then its connection
  ASSERT_TRUE(eventually([&] { return sees(*a, "b", "down", "there"); }));
  auto out = a->runtime().execute("there", pack(std::string("far")));
  EXPECT_TROUPE_ERROR(out, errc::unavailable);
  EXPECT_NE(describe(out.error()).find("node 'b'"), std::string::npos) << describe(out.error());
}

} // namespace
} // namespace troupe::test
