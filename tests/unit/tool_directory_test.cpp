// The manager's tool directory (actors/tool_directory.hpp): set, remove, listing order, and how a
// name resolves to one tool.

#include <gtest/gtest.h>

#include "actors/tool_directory.hpp"
#include "messages/errors.hpp"

namespace troupe {
namespace {

tool_info tool(const std::string& plugin, const std::string& name) {
  return tool_info{plugin, name, "does " + name, R"({"type":"object"})"};
}

TEST(ToolDirectory, ListsEveryToolSortedByPluginThenName) {
  tool_directory dir;
  dir.set("zeta", {tool("zeta", "b"), tool("zeta", "a")});
  dir.set("alpha", {tool("alpha", "x")});
  auto all = dir.all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].plugin + "/" + all[0].name, "alpha/x");
  EXPECT_EQ(all[1].plugin + "/" + all[1].name, "zeta/a");
  EXPECT_EQ(all[2].plugin + "/" + all[2].name, "zeta/b");
}

TEST(ToolDirectory, SetReplacesAPluginsToolsAndAnEmptyListOrRemoveForgetsThem) {
  tool_directory dir;
  dir.set("p", {tool("p", "old")});
  dir.set("p", {tool("p", "new")});
  ASSERT_EQ(dir.all().size(), 1u);
  EXPECT_EQ(dir.all()[0].name, "new");
  dir.set("p", {});
  EXPECT_TRUE(dir.all().empty());
  dir.set("q", {tool("q", "t")});
  dir.remove("q");
  EXPECT_TRUE(dir.all().empty());
}

TEST(ToolDirectory, ResolvesAPlainNameOfferedOnceAndAQualifiedName) {
  tool_directory dir;
  dir.set("calc", {tool("calc", "add"), tool("calc", "shout")});
  auto plain = dir.resolve("add");
  ASSERT_TRUE(plain) << describe(plain.error());
  EXPECT_EQ(plain->plugin, "calc");
  auto qualified = dir.resolve("calc/shout");
  ASSERT_TRUE(qualified) << describe(qualified.error());
  EXPECT_EQ(qualified->name, "shout");
}

TEST(ToolDirectory, UnknownNameIsNotFoundNamingIt) {
  tool_directory dir;
  dir.set("calc", {tool("calc", "add")});
  auto missing = dir.resolve("multiply");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), static_cast<std::uint8_t>(errc::not_found));
  EXPECT_NE(detail_of(missing.error()).find("'multiply'"), std::string::npos);
  EXPECT_FALSE(dir.resolve("other/add"));
}

TEST(ToolDirectory, NameOfferedByTwoPluginsIsAmbiguousAndListsTheQualifiedNames) {
  tool_directory dir;
  dir.set("calc", {tool("calc", "add")});
  dir.set("calc2", {tool("calc2", "add")});
  auto both = dir.resolve("add");
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().code(), static_cast<std::uint8_t>(errc::bad_input));
  EXPECT_NE(detail_of(both.error()).find("calc/add, calc2/add"), std::string::npos)
    << describe(both.error());
  auto one = dir.resolve("calc2/add");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->plugin, "calc2");
}

} // namespace
} // namespace troupe
