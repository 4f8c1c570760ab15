// dependency_order: Kahn's algorithm with priority and id tie-breaks, missing dependencies and
// cycles.

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "actors/dependency_order.hpp"
#include "messages/errors.hpp"

namespace troupe {
namespace {

plugin_metadata plugin(std::string id, std::vector<std::string> deps = {},
                       std::int32_t priority = 0) {
  plugin_metadata m;
  m.id = std::move(id);
  m.dependencies = std::move(deps);
  m.priority = priority;
  return m;
}

using ids = std::vector<std::string>;

std::size_t position(const ids& order, const std::string& id) {
  return static_cast<std::size_t>(std::find(order.begin(), order.end(), id) - order.begin());
}

TEST(DependencyOrder, EmptyInputGivesEmptyOrder) {
  auto order = dependency_order({});
  ASSERT_TRUE(order) << describe(order.error());
  EXPECT_TRUE(order->empty());
}

TEST(DependencyOrder, IndependentPluginsAreOrderedById) {
  auto order = dependency_order({plugin("c"), plugin("a"), plugin("b")});
  ASSERT_TRUE(order) << describe(order.error());
  EXPECT_EQ(*order, (ids{"a", "b", "c"}));
}

TEST(DependencyOrder, ChainGivenBackwardsComesOutDependenciesFirst) {
  auto order = dependency_order({plugin("api", {"cache"}), plugin("cache", {"db"}), plugin("db")});
  ASSERT_TRUE(order) << describe(order.error());
  EXPECT_EQ(*order, (ids{"db", "cache", "api"}));
}

TEST(DependencyOrder, DependencyWinsOverPriorityAndId) {
  // "a" has the smaller id and the higher priority, but depends on "z".
  auto order = dependency_order({plugin("a", {"z"}, 100), plugin("z", {}, -5)});
  ASSERT_TRUE(order) << describe(order.error());
  EXPECT_EQ(*order, (ids{"z", "a"}));
}

TEST(DependencyOrder, DiamondPutsTheBaseFirstAndTheTopLast) {
  // top depends on left and right, which both depend on base.
  auto order = dependency_order({plugin("top", {"left", "right"}), plugin("right", {"base"}),
                                 plugin("left", {"base"}), plugin("base")});
  ASSERT_TRUE(order) << describe(order.error());
  EXPECT_EQ(*order, (ids{"base", "left", "right", "top"}));
}

TEST(DependencyOrder, HigherPriorityBreaksTiesBeforeTheId) {
  auto order = dependency_order({plugin("a", {}, 0), plugin("b", {}, 5), plugin("c", {}, 10)});
  ASSERT_TRUE(order) << describe(order.error());
  EXPECT_EQ(*order, (ids{"c", "b", "a"}));
}

TEST(DependencyOrder, PriorityBreaksTiesInsideADiamond) {
  auto order = dependency_order({plugin("top", {"left", "right"}), plugin("right", {"base"}, 7),
                                 plugin("left", {"base"}, 1), plugin("base")});
  ASSERT_TRUE(order) << describe(order.error());
  EXPECT_EQ(*order, (ids{"base", "right", "left", "top"}));
}

TEST(DependencyOrder, PriorityAppliesAmongPluginsThatBecomeReadyLater) {
  // "low" and "high" both wait for "base"; "solo" is ready at once with the lowest priority.
  auto order = dependency_order({plugin("solo", {}, -1), plugin("low", {"base"}, 1),
                                 plugin("high", {"base"}, 9), plugin("base", {}, 0)});
  ASSERT_TRUE(order) << describe(order.error());
  EXPECT_EQ(*order, (ids{"base", "high", "low", "solo"}));
}

TEST(DependencyOrder, RepeatedDependencyCountsOnce) {
  auto order = dependency_order({plugin("b", {"a", "a"}), plugin("a")});
  ASSERT_TRUE(order) << describe(order.error());
  EXPECT_EQ(*order, (ids{"a", "b"}));
}

TEST(DependencyOrder, EveryPluginComesAfterAllItsDependencies) {
  std::vector<plugin_metadata> plugins{
    plugin("p1", {"p4", "p7"}), plugin("p2", {"p1"}, 3), plugin("p3"),
    plugin("p4", {"p3"}, -2),   plugin("p5", {"p2", "p3"}), plugin("p6", {}, 8),
    plugin("p7", {"p6"}),       plugin("p8", {"p5", "p7", "p1"})};
  auto order = dependency_order(plugins);
  ASSERT_TRUE(order) << describe(order.error());
  ASSERT_EQ(order->size(), plugins.size());
  for (const auto& p : plugins)
    for (const auto& d : p.dependencies)
      EXPECT_LT(position(*order, d), position(*order, p.id)) << d << " before " << p.id;
}

TEST(DependencyOrder, MissingDependencyNamesThePluginAndWhatItLacks) {
  auto order = dependency_order({plugin("db"), plugin("api", {"db", "auth"})});
  ASSERT_FALSE(order);
  const auto& err = order.error();
  ASSERT_TRUE(is_troupe_error(err));
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(errc::missing_dependency));
  EXPECT_EQ(plugin_of(err), "api");
  EXPECT_NE(detail_of(err).find("'auth'"), std::string::npos) << describe(err);
}

TEST(DependencyOrder, TwoPluginCycleListsTheCycle) {
  auto order = dependency_order({plugin("a", {"b"}), plugin("b", {"a"})});
  ASSERT_FALSE(order);
  const auto& err = order.error();
  ASSERT_TRUE(is_troupe_error(err));
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(errc::dependency_cycle));
  EXPECT_EQ(detail_of(err), "dependency cycle: a -> b -> a");
  EXPECT_EQ(plugin_of(err), "a");
}

TEST(DependencyOrder, SelfDependencyIsACycle) {
  auto order = dependency_order({plugin("ok"), plugin("narcissus", {"narcissus"})});
  ASSERT_FALSE(order);
  const auto& err = order.error();
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(errc::dependency_cycle));
  EXPECT_EQ(detail_of(err), "dependency cycle: narcissus -> narcissus");
  EXPECT_EQ(plugin_of(err), "narcissus");
}

TEST(DependencyOrder, CycleMessageListsOnlyTheCycleNotPluginsWaitingOnIt) {
  // "0-waiter" sorts first and depends on the cycle x -> y -> z -> x but is not part of it.
  auto order = dependency_order({plugin("0-waiter", {"x"}), plugin("x", {"y"}), plugin("y", {"z"}),
                                 plugin("z", {"x"}), plugin("free")});
  ASSERT_FALSE(order);
  const auto& err = order.error();
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(errc::dependency_cycle));
  EXPECT_EQ(detail_of(err), "dependency cycle: x -> y -> z -> x");
  EXPECT_EQ(plugin_of(err), "x");
}

TEST(DependencyOrder, MissingDependencyIsReportedEvenWhenThereIsAlsoACycle) {
  auto order = dependency_order({plugin("a", {"b"}), plugin("b", {"a", "ghost"})});
  ASSERT_FALSE(order);
  EXPECT_EQ(order.error().code(), static_cast<std::uint8_t>(errc::missing_dependency));
  EXPECT_EQ(plugin_of(order.error()), "b");
}

// -- waves ---------------------------------------------------------------------------------------

using waves = std::vector<ids>;

TEST(DependencyWaves, IndependentPluginsOfOnePriorityFormOneWave) {
  auto w = dependency_waves({plugin("c"), plugin("a"), plugin("b")});
  ASSERT_TRUE(w) << describe(w.error());
  EXPECT_EQ(*w, (waves{{"a", "b", "c"}}));
}

TEST(DependencyWaves, AChainIsOneWavePerPlugin) {
  auto w = dependency_waves({plugin("top", {"mid"}), plugin("mid", {"base"}), plugin("base")});
  ASSERT_TRUE(w) << describe(w.error());
  EXPECT_EQ(*w, (waves{{"base"}, {"mid"}, {"top"}}));
}

TEST(DependencyWaves, APluginStartsANewWaveWhenItDependsOnOneInTheCurrentWave) {
  // Order: base, x, y (y needs base), z: y cannot join base's wave.
  auto w = dependency_waves({plugin("base"), plugin("x"), plugin("y", {"base"}), plugin("z")});
  ASSERT_TRUE(w) << describe(w.error());
  ids flat;
  for (const auto& wave : *w)
    flat.insert(flat.end(), wave.begin(), wave.end());
  EXPECT_EQ(flat, *dependency_order({plugin("base"), plugin("x"), plugin("y", {"base"}),
                                     plugin("z")}));
  for (const auto& wave : *w)
    EXPECT_FALSE(std::count(wave.begin(), wave.end(), "base") && std::count(wave.begin(), wave.end(), "y"))
      << "base and the plugin that needs it share a wave";
}

TEST(DependencyWaves, ADifferentPriorityStartsANewWave) {
  auto w = dependency_waves({plugin("low1", {}, 0), plugin("high", {}, 5), plugin("low2", {}, 0)});
  ASSERT_TRUE(w) << describe(w.error());
  EXPECT_EQ(*w, (waves{{"high"}, {"low1", "low2"}}));
}

TEST(DependencyWaves, CyclesAndMissingDependenciesAreTheSameErrorsAsTheOrder) {
  auto cycle = dependency_waves({plugin("a", {"b"}), plugin("b", {"a"})});
  ASSERT_FALSE(cycle);
  EXPECT_EQ(cycle.error().code(), static_cast<std::uint8_t>(errc::dependency_cycle));
  auto missing = dependency_waves({plugin("a", {"ghost"})});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), static_cast<std::uint8_t>(errc::missing_dependency));
}

} // namespace
} // namespace troupe
