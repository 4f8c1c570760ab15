// The plugin-kind registry: what each standard kind reads from a [[plugins]] entry, how an
// entry's kind is chosen, the file patterns, and the errors that name the kinds there are.

#include <algorithm>

#include <gtest/gtest.h>

#include "actor_fixture.hpp"
#include "actors/runtime.hpp"
#include "node/node_config.hpp"
#include "messages/errors.hpp"
#include "plugins/kinds/standard_kinds.hpp"

namespace troupe::test {
namespace {

const kind_definition& kind_named(const kind_registry& kinds, const std::string& name) {
  auto kind = kinds.find(name);
  EXPECT_TRUE(kind) << describe(kind.error());
  return **kind;
}

bool mentions(const caf::error& err, const std::string& text) {
  return describe(err).find(text) != std::string::npos;
}

TEST(KindRegistry, StandardKindsAreNativeLuaLibraryAndWasmWithNativeTheDefault) {
  auto kinds = standard_kinds();
  EXPECT_EQ(kinds.names(), (std::vector<std::string>{"native", "lua", "library", "wasm"}));
  EXPECT_EQ(kinds.default_kind(), "native");
}

TEST(KindRegistry, UnknownKindIsAConfigErrorNamingTheKindsThereAre) {
  auto kinds = standard_kinds();
  auto jvm = kinds.find("jvm");
  ASSERT_FALSE(jvm);
  EXPECT_EQ(code_name(jvm.error()), "config_error");
  EXPECT_TRUE(mentions(jvm.error(), "'jvm'")) << describe(jvm.error());
  EXPECT_TRUE(mentions(jvm.error(), R"("native", "lua", "library", "wasm")")) << describe(jvm.error());
}

TEST(KindRegistry, NativeKindReadsAnOptionalClass) {
  auto kinds = standard_kinds();
  const auto& native = kind_named(kinds, "native");
  ASSERT_EQ(native.keys.size(), 1u);
  EXPECT_EQ(native.keys[0].name, "class");
  EXPECT_EQ(native.keys[0].type, key_type::text);
  EXPECT_FALSE(native.keys[0].required);
  EXPECT_TRUE(native.watch_patterns.empty());
}

TEST(KindRegistry, LibraryKindNeedsALibraryAndIsNotWatched) {
  auto kinds = standard_kinds();
  const auto& library = kind_named(kinds, "library");
  ASSERT_EQ(library.keys.size(), 1u);
  EXPECT_EQ(library.keys[0].name, "library");
  EXPECT_TRUE(library.keys[0].required);
  EXPECT_TRUE(library.watch_patterns.empty()); // reloaded by command only
  EXPECT_EQ(kinds.watching("/plugins/libtroupe_word_count.so"), nullptr);
}

TEST(KindRegistry, LuaKindNeedsAScriptPathAndTurnsItsLimitsTableIntoSettings) {
  auto kinds = standard_kinds();
  const auto& lua = kind_named(kinds, "lua");
  ASSERT_EQ(lua.keys.size(), 2u);
  EXPECT_EQ(lua.keys[0].name, "script");
  EXPECT_EQ(lua.keys[0].type, key_type::path);
  EXPECT_TRUE(lua.keys[0].required);
  EXPECT_EQ(lua.keys[1].name, "limits");
  EXPECT_EQ(lua.keys[1].type, key_type::table);
  EXPECT_EQ(lua.keys[1].settings_prefix, "limit.");
  EXPECT_EQ(lua.watch_patterns, (std::vector<std::string>{"*.lua"}));
  EXPECT_TRUE(static_cast<bool>(lua.validate));
}

TEST(KindRegistry, WasmKindNeedsAModulePathWatchesWasmFilesAndChecksItsLimits) {
  auto kinds = standard_kinds();
  const auto& wasm = kind_named(kinds, "wasm");
  ASSERT_EQ(wasm.keys.size(), 2u);
  EXPECT_EQ(wasm.keys[0].name, "module");
  EXPECT_EQ(wasm.keys[0].type, key_type::path);
  EXPECT_TRUE(wasm.keys[0].required);
  EXPECT_EQ(wasm.keys[1].settings_prefix, "limit.");
  EXPECT_EQ(wasm.watch_patterns, (std::vector<std::string>{"*.wasm"}));
  auto spec = kinds.spec_for_file("/srv/modules/transform.wasm");
  ASSERT_TRUE(spec) << describe(spec.error());
  EXPECT_EQ(spec->kind, "wasm");
  EXPECT_EQ(spec->config.id, "transform");
  plugin_spec bad{{"t", {{"limit.fuel", "lots"}}, {}}, "wasm", {{"module", "t.wasm"}}};
  auto err = kinds.check(bad);
  EXPECT_EQ(code_name(err), "config_error");
  EXPECT_TRUE(mentions(err, "fuel")) << describe(err);
  auto problems = wasm.validate(std::string("\0asm junk"));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_FALSE(problems[0].warning);
}

TEST(KindRegistry, AnEntryWithoutKindIsOfTheKindItsKeysSelect) {
  auto kinds = standard_kinds();
  EXPECT_EQ(kinds.select({"id", "module"}), "wasm");
  EXPECT_EQ(kinds.select({"id", "script"}), "lua");
  EXPECT_EQ(kinds.select({"id", "library"}), "library");
  EXPECT_EQ(kinds.select({"id", "class"}), "native");
  EXPECT_EQ(kinds.select({"id", "script", "library"}), "lua");
}

TEST(KindRegistry, WatchedFilesAreMatchedByNameNotByDirectoryOrHiddenName) {
  auto kinds = standard_kinds();
  ASSERT_NE(kinds.watching("/a/b.lua/rules.lua"), nullptr);
  EXPECT_EQ(kinds.watching("/a/b.lua/rules.lua")->name, "lua");
  EXPECT_EQ(kinds.watching("/a/b.lua/notes.txt"), nullptr);
  EXPECT_EQ(kinds.watching("/a/.rules.lua"), nullptr);
}

TEST(KindRegistry, ANewFileOfAWatchedKindIsNamedAfterTheFile) {
  auto kinds = standard_kinds();
  auto spec = kinds.spec_for_file("/srv/scripts/rule_engine.lua");
  ASSERT_TRUE(spec) << describe(spec.error());
  EXPECT_EQ(spec->kind, "lua");
  EXPECT_EQ(spec->config.id, "rule_engine");
  EXPECT_EQ(spec->key("script"), "/srv/scripts/rule_engine.lua");
  auto none = kinds.spec_for_file("/srv/scripts/notes.txt");
  EXPECT_TROUPE_ERROR(none, errc::not_found);
}

TEST(KindRegistry, CheckRefusesAMissingRequiredKeyNamingThePluginAndWhereItIsWritten) {
  auto kinds = standard_kinds();
  plugin_spec spec{{"words", {}, {}}, "library", {}};
  spec.origin = "node.toml:7";
  auto err = kinds.check(spec);
  EXPECT_EQ(code_name(err), "config_error");
  EXPECT_EQ(plugin_of(err), "words");
  EXPECT_TRUE(mentions(err, "node.toml:7")) << describe(err);
  EXPECT_TRUE(mentions(err, "needs 'library'")) << describe(err);
}

TEST(KindRegistry, LuaCheckRefusesABadLimitNamingIt) {
  auto kinds = standard_kinds();
  plugin_spec spec{{"rules", {{"limit.wall_time_ms", "soon"}}, {}}, "lua", {{"script", "r.lua"}}};
  auto err = kinds.check(spec);
  EXPECT_EQ(code_name(err), "config_error");
  EXPECT_TRUE(mentions(err, "wall_time_ms")) << describe(err);
}

class KindRuntime : public actor_fixture {
protected:
  runtime rt{sys};
};

TEST_F(KindRuntime, AddingAnUnknownKindNamesThePluginAndTheKindsThereAre) {
  auto md = rt.add(plugin_spec{{"x", {}, {}}, "teleport", {}});
  EXPECT_TROUPE_ERROR(md, errc::config_error);
  EXPECT_EQ(plugin_of(md.error()), "x");
  EXPECT_TRUE(mentions(md.error(), R"("native", "lua", "library")")) << describe(md.error());
}

TEST_F(KindRuntime, FactoryErrorsNameThePluginAndTheFileAndLineOfItsEntry) {
  plugin_spec spec{{"e", {}, {}}, "native", {{"class", "no_such_class"}}};
  spec.origin = "node.toml:3";
  auto md = rt.add(spec);
  EXPECT_TROUPE_ERROR(md, errc::not_found);
  EXPECT_EQ(plugin_of(md.error()), "e");
  EXPECT_TRUE(mentions(md.error(), "node.toml:3: no compiled-in plugin class 'no_such_class'"))
    << describe(md.error());
}

TEST(KindConfig, AKeyTheEntrysKindDoesNotReadIsRefusedWithItsLine) {
  auto cfg = parse_node_config("[[plugins]]\nid = \"r\"\nscript = \"r.lua\"\nclass = \"x\"\n",
                                    "k.toml", standard_kinds());
  ASSERT_FALSE(cfg);
  EXPECT_TRUE(mentions(cfg.error(), "k.toml:4")) << describe(cfg.error());
  EXPECT_TRUE(mentions(cfg.error(), "unknown key 'class' in [[plugins]] of kind \"lua\""))
    << describe(cfg.error());
}

TEST(KindConfig, AnUnknownKindInAConfigNamesTheFileLineAndTheKindsThereAre) {
  auto cfg = parse_node_config("[[plugins]]\nid = \"x\"\nkind = \"teleport\"\n", "k.toml",
                                    standard_kinds());
  ASSERT_FALSE(cfg);
  EXPECT_TRUE(mentions(cfg.error(), "k.toml:1")) << describe(cfg.error());
  EXPECT_TRUE(mentions(cfg.error(), R"(there are: "native", "lua", "library")"))
    << describe(cfg.error());
}

TEST(KindConfig, EachKindsKeysAreReadIntoTheSpec) {
  auto cfg = parse_node_config(R"(
[[plugins]]
id = "e"
class = "echo"
[[plugins]]
id = "w"
library = "troupe_word_count"
[[plugins]]
id = "r"
script = "rules.lua"
[plugins.limits]
wall_time_ms = 50
)",
                                    "/etc/troupe/node.toml", standard_kinds());
  ASSERT_TRUE(cfg) << describe(cfg.error());
  ASSERT_EQ(cfg->plugins.size(), 3u);
  EXPECT_EQ(cfg->plugins[0].kind, "native");
  EXPECT_EQ(cfg->plugins[0].key("class"), "echo");
  EXPECT_EQ(cfg->plugins[1].kind, "library");
  EXPECT_EQ(cfg->plugins[1].key("library"), "troupe_word_count");
  EXPECT_EQ(cfg->plugins[1].base_dir, "/etc/troupe");
  EXPECT_EQ(cfg->plugins[2].kind, "lua");
  EXPECT_EQ(cfg->plugins[2].key("script"), "/etc/troupe/rules.lua");
  EXPECT_EQ(cfg->plugins[2].config.settings.at("limit.wall_time_ms"), "50");
  EXPECT_EQ(cfg->plugins[2].origin, "/etc/troupe/node.toml:8");
}

} // namespace
} // namespace troupe::test
