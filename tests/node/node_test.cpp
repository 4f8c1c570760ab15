// The node layer: a node assembled from a config file starts its plugins, publishes its manager
// for remote clients, reloads file-made plugins, refuses what it cannot make, and stops and
// unloads everything when destroyed.

#include <atomic>
#include <fstream>

#include <caf/io/middleman.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "actor_fixture.hpp"
#include "actors/runtime.hpp"
#include "cluster/transport.hpp"
#include "messages/msgpack_codec.hpp"
#include "node/node.hpp"
#include "plugins/kinds/standard_kinds.hpp"

namespace troupe::test {
namespace {

/// Counts how often its unload hook ran.
class counted_plugin final : public plugin {
public:
  explicit counted_plugin(std::shared_ptr<std::atomic<int>> unloads) : unloads_(std::move(unloads)) {}
  plugin_metadata metadata() const override {
    plugin_metadata m;
    m.id = "counted";
    m.name = "Counted";
    m.version = "1.0.0";
    return m;
  }
  caf::expected<payload> execute(plugin_context&, const payload& in) override { return in; }
  caf::error unload(plugin_context&) override {
    ++*unloads_;
    return {};
  }

private:
  std::shared_ptr<std::atomic<int>> unloads_;
};

/// A TCP port that was free a moment ago.
std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

constexpr const char* two_plugins = R"(
[[plugins]]
id = "c"
class = "counted"
[[plugins]]
id = "shout"
script = "shout.lua"
dependencies = ["c"]
)";

class Node : public ::testing::Test {
protected:
  Node() {
    opts.natives = example_natives();
    opts.natives->add("counted", [u = unloads]() -> caf::expected<std::unique_ptr<plugin>> {
      return std::unique_ptr<plugin>{new counted_plugin(u)};
    });
    std::ofstream{dir.file("shout.lua")} << "function execute(x) return string.upper(x) end\n";
  }

  caf::expected<node_config> config(const std::string& text) {
    std::ofstream{dir.file("node.toml")} << text;
    return load_node_config(dir.file("node.toml"), standard_kinds());
  }

  /// Starts the two-plugin node publishing its manager on a free port, and a second actor
  /// system (another process, as far as CAF goes) whose `api` talks to it over the network.
  void publish_and_connect() {
    port = free_port();
    auto cfg = config("[node]\nport = " + std::to_string(port) + "\n" + two_plugins);
    ASSERT_TRUE(cfg);
    auto n = node::start(*cfg, opts);
    ASSERT_TRUE(n) << describe(n.error());
    published = std::move(*n);
    remote_cfg = std::make_unique<registered_config>();
    configure_transport(*remote_cfg, cluster_config{}); // a Troupe process: heartbeats, app id
    remote = std::make_unique<caf::actor_system>(*remote_cfg);
    auto manager = remote->middleman().remote_actor<manager_actor>("127.0.0.1", port);
    ASSERT_TRUE(manager) << remote->render(manager.error());
    api = std::make_unique<client>(*remote, *manager, request_timeout);
  }

  temp_dir dir;
  std::shared_ptr<std::atomic<int>> unloads = std::make_shared<std::atomic<int>>(0);
  node_options opts;
  std::uint16_t port = 0;
  // Destroyed in reverse: the remote client and its system before the node.
  std::unique_ptr<node> published;
  std::unique_ptr<registered_config> remote_cfg;
  std::unique_ptr<caf::actor_system> remote;
  std::unique_ptr<client> api;
};


TEST_F(Node, StartsEveryPluginOfItsConfigAndUnloadsThemWhenDestroyed) {
  auto cfg = config(two_plugins);
  ASSERT_TRUE(cfg) << describe(cfg.error());
  auto n = node::start(*cfg, opts);
  ASSERT_TRUE(n) << describe(n.error());
  auto out = (*n)->runtime().execute("shout", pack(std::string("hi")));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::string>(*out), "HI");
  EXPECT_EQ((*n)->port(), 0); // node.port 0: not published
  EXPECT_EQ(unloads->load(), 0);
  n->reset();
  EXPECT_EQ(unloads->load(), 1);
}

TEST_F(Node, StartFileReadsTheConfigFileWithTheKindsOfItsOptions) {
  ASSERT_TRUE(config(two_plugins));
  auto n = node::start_file(dir.file("node.toml"), opts);
  ASSERT_TRUE(n) << describe(n.error());
  EXPECT_EQ((*n)->config().plugins.size(), 2u);
  EXPECT_TRUE((*n)->runtime().execute("c", pack(1)));
}

TEST_F(Node, APluginItCannotMakeFailsTheStartNamingThePluginFileAndLine) {
  auto cfg = config("[[plugins]]\nid = \"c\"\nclass = \"counted\"\n[[plugins]]\nid = \"x\"\n"
                    "class = \"no_such_class\"\n");
  ASSERT_TRUE(cfg);
  auto n = node::start(*cfg, opts);
  ASSERT_FALSE(n);
  EXPECT_EQ(code_name(n.error()), "not_found");
  EXPECT_EQ(plugin_of(n.error()), "x");
  EXPECT_NE(describe(n.error()).find("node.toml:4"), std::string::npos) << describe(n.error());
  EXPECT_EQ(unloads->load(), 0); // nothing was started
}

TEST_F(Node, AFailedStartStopsAndUnloadsWhatHadStarted) {
  std::ofstream{dir.file("z.lua")} << "function execute(x) return x +\nend\n";
  auto cfg = config("[[plugins]]\nid = \"c\"\nclass = \"counted\"\n[[plugins]]\nid = \"z\"\n"
                    "script = \"z.lua\"\ndependencies = [\"c\"]\n");
  ASSERT_TRUE(cfg);
  auto n = node::start(*cfg, opts);
  ASSERT_FALSE(n);
  EXPECT_EQ(code_name(n.error()), "load_failed");
  EXPECT_EQ(plugin_of(n.error()), "z");
  EXPECT_EQ(unloads->load(), 1);
}

TEST_F(Node, PublishesItsManagerOnTheConfiguredPortForRemoteClients) {
  publish_and_connect();
  ASSERT_TRUE(api);
  EXPECT_EQ(published->port(), port);
  auto out = api->execute("shout", pack(std::string("far")));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::string>(*out), "FAR");
}

TEST_F(Node, ARemoteClientResolvesAPluginOnceAndItsAddressOutlivesAReload) {
  publish_and_connect();
  ASSERT_TRUE(api);
  auto address = api->resolve("shout"); // lookup over the network, once
  ASSERT_TRUE(address) << describe(address.error());
  caf::scoped_actor self{*remote};
  auto call = [&](const std::string& text) {
    caf::expected<payload> out{caf::error{}};
    self->request(*address, request_timeout, execute_atom::value, pack(text))
      .receive([&](payload& p) { out = std::move(p); }, [&](caf::error& e) { out = std::move(e); });
    return out;
  };
  auto before = call("far");
  ASSERT_TRUE(before) << describe(before.error());
  EXPECT_EQ(*unpack_as<std::string>(*before), "FAR");
  std::ofstream{dir.file("shout.lua"), std::ios::trunc}
    << "function execute(x) return string.lower(x) end\n";
  auto reloaded = api->reload("shout");
  ASSERT_TRUE(reloaded) << describe(reloaded.error());
  auto after = call("Near"); // the same remote address, now served by the new version
  ASSERT_TRUE(after) << describe(after.error());
  EXPECT_EQ(*unpack_as<std::string>(*after), "near");
}

TEST_F(Node, RefusesAProcessThatDoesNotSpeakAsATroupeNode) {
  publish_and_connect();
  registered_config generic_cfg; // CAF's default application identifier
  generic_cfg.load<caf::io::middleman>();
  caf::actor_system generic{generic_cfg};
  auto manager = generic.middleman().remote_actor<manager_actor>("127.0.0.1", port);
  ASSERT_FALSE(manager);
  EXPECT_NE(generic.render(manager.error()).find("incompatible_application_ids"),
            std::string::npos);
}

TEST_F(Node, WithoutPublishingTheConfiguredPortStaysClosed) {
  auto port = free_port();
  auto cfg = config("[node]\nport = " + std::to_string(port) + "\n" + two_plugins);
  ASSERT_TRUE(cfg);
  opts.publish = false;
  auto n = node::start(*cfg, opts);
  ASSERT_TRUE(n) << describe(n.error());
  EXPECT_EQ((*n)->port(), 0);
}

TEST_F(Node, ReloadFilesReloadsThePluginsMadeFromFilesOnly) {
  auto cfg = config(two_plugins);
  ASSERT_TRUE(cfg);
  auto n = node::start(*cfg, opts);
  ASSERT_TRUE(n) << describe(n.error());
  std::ofstream{dir.file("shout.lua")} << "function execute(x) return string.lower(x) end\n";
  auto answers = (*n)->reload_files();
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].first, "shout");
  EXPECT_TRUE(answers[0].second) << describe(answers[0].second.error());
  auto out = (*n)->runtime().execute("shout", pack(std::string("Hi")));
  ASSERT_TRUE(out);
  EXPECT_EQ(*unpack_as<std::string>(*out), "hi");
}

} // namespace
} // namespace troupe::test
