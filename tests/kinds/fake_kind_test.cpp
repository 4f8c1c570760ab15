// A kind is one registration: the test-only "fake" kind (fake_kind.hpp), added to a registry
// with one line, is read from a config file, made by runtime::add and watched by its own file
// pattern; the watcher reloads and loads files by the registry's patterns, not by ".lua".
// Tests wait for the runtime's answers or events with a deadline, never by sleeping.

#include <fstream>

#include "actor_fixture.hpp"
#include "actors/event_log.hpp"
#include "actors/runtime.hpp"
#include "node/node_config.hpp"
#include "kinds/fake_kind.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/kinds/standard_kinds.hpp"

namespace troupe::test {
namespace {

class FakeKind : public ::testing::Test {
protected:
  /// A runtime over `kinds` (default: the standard kinds plus "fake").
  void start(kind_registry kinds) {
    registry = std::make_shared<const kind_registry>(std::move(kinds));
    runtime_options opts;
    opts.call_timeout = request_timeout;
    opts.kinds = registry;
    rt = std::make_unique<runtime>(sys, std::move(opts));
    rt->subscribe([this](const runtime_event& ev) { log.push(ev); });
  }

  static kind_registry with_fake() {
    auto kinds = standard_kinds();
    kinds.add(fake_kind()); // the one registration line
    return kinds;
  }

  void write(const std::string& name, const std::string& text) {
    std::ofstream out{dir.file(name), std::ios::trunc};
    out << text;
  }

  std::string call(const std::string& id) {
    auto out = rt->execute(id, pack(0));
    if (!out)
      return "error: " + describe(out.error());
    return *unpack_as<std::string>(*out);
  }

  void watch_dir() {
    watch_options w;
    w.directories = {dir.path().string()};
    w.strategy = reload_strategy::immediate;
    ASSERT_FALSE(rt->watch(w));
  }

  registered_config cfg;
  caf::actor_system sys{cfg};
  temp_dir dir;
  event_log log;
  std::shared_ptr<const kind_registry> registry;
  std::unique_ptr<runtime> rt;
};

TEST_F(FakeKind, ConfigReaderTakesTheKeysOfARegisteredKind) {
  auto cfg = parse_node_config(R"(
[[plugins]]
id = "soup"
recipe = "soup.fake"
[plugins.flavours]
prefix = "hot "
)",
                                    dir.file("node.toml"), with_fake());
  ASSERT_TRUE(cfg) << describe(cfg.error());
  ASSERT_EQ(cfg->plugins.size(), 1u);
  EXPECT_EQ(cfg->plugins[0].kind, "fake"); // selected by its key `recipe`
  EXPECT_EQ(cfg->plugins[0].key("recipe"), dir.file("soup.fake"));
  EXPECT_EQ(cfg->plugins[0].config.settings.at("flavour.prefix"), "hot ");
}

TEST_F(FakeKind, ConfigReaderRunsTheKindsCheckAndNamesTheLine) {
  auto cfg = parse_node_config("[[plugins]]\nid = \"soup\"\nkind = \"fake\"\nrecipe = "
                                    "\"s.fake\"\n[plugins.flavours]\nbitter = \"yes\"\n",
                                    "node.toml", with_fake());
  ASSERT_FALSE(cfg);
  EXPECT_EQ(plugin_of(cfg.error()), "soup");
  EXPECT_NE(describe(cfg.error()).find("node.toml:1: unknown flavour"), std::string::npos)
    << describe(cfg.error());
}

TEST_F(FakeKind, WithoutTheRegistrationTheSameConfigIsRefused) {
  auto cfg = parse_node_config("[[plugins]]\nid = \"soup\"\nrecipe = \"s.fake\"\n",
                                    "node.toml", standard_kinds());
  ASSERT_FALSE(cfg);
  EXPECT_NE(describe(cfg.error()).find("unknown key 'recipe'"), std::string::npos)
    << describe(cfg.error());
}

TEST_F(FakeKind, RuntimeAddMakesAPluginOfTheRegisteredKindFromItsConfigEntry) {
  write("soup.fake", "tomato");
  auto cfg = parse_node_config("[[plugins]]\nid = \"soup\"\nrecipe = \"soup.fake\"\n"
                                    "[plugins.flavours]\nprefix = \"hot \"\n",
                                    dir.file("node.toml"), with_fake());
  ASSERT_TRUE(cfg) << describe(cfg.error());
  start(with_fake());
  auto md = rt->add(cfg->plugins[0]);
  ASSERT_TRUE(md) << describe(md.error());
  ASSERT_TRUE(rt->start_all());
  EXPECT_EQ(call("soup"), "hot tomato");
}

TEST_F(FakeKind, WatcherReloadsAPluginOfTheRegisteredKindWhenItsFileChanges) {
  write("soup.fake", "tomato");
  start(with_fake());
  ASSERT_TRUE(rt->add(plugin_spec{{"soup", {}, {}}, "fake", {{"recipe", dir.file("soup.fake")}}}));
  ASSERT_TRUE(rt->start_all());
  watch_dir();
  write("soup.fake", "pumpkin");
  ASSERT_TRUE(log.wait(event_kind::reload_completed, "soup"));
  EXPECT_EQ(call("soup"), "pumpkin");
}

TEST_F(FakeKind, WatcherLoadsNewFilesByTheRegistrysPatternsOnly) {
  start(with_fake());
  watch_dir();
  write("stew.txt", "not a plugin");
  write("stew.fake", "lentils");
  ASSERT_TRUE(eventually([&] { return call("stew") == "lentils"; }));
  auto all = rt->list();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u); // stew.txt matched no pattern
}

TEST_F(FakeKind, WatcherIgnoresLuaScriptsWhenTheRegistryHasNoLuaKind) {
  kind_registry only_fake;
  only_fake.add(fake_kind());
  start(std::move(only_fake));
  watch_dir();
  write("ghost.lua", "function execute(x) return x end\n");
  write("stew.fake", "lentils"); // changes are handled in order: ghost.lua came first
  ASSERT_TRUE(eventually([&] { return call("stew") == "lentils"; }));
  auto all = rt->list();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().metadata.id, "stew");
}

TEST_F(FakeKind, WatcherLoadsANewLuaScriptBecauseTheStandardLuaKindWatchesIt) {
  start(with_fake());
  watch_dir();
  write("fresh.lua", "function execute(x) return 'fresh' end\n");
  ASSERT_TRUE(eventually([&] { return call("fresh") == "fresh"; }));
}

} // namespace
} // namespace troupe::test
