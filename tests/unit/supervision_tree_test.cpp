// supervision_tree (actors/supervision/supervision_tree.hpp): the decisions that follow a plugin's
// exit (strategies, restart types, intensity and escalation, backoff), driven with an injected
// clock (time points built from steady_clock::time_point{} plus durations) and an injected random
// source (0.5 means no jitter).

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <caf/error.hpp>
#include <gtest/gtest.h>

#include "actors/supervision/supervision_tree.hpp"
#include "messages/errors.hpp"

namespace troupe {
namespace {

using namespace std::chrono_literals;
using names = std::vector<std::string>;
using time_point = supervision_tree::time_point;

const time_point t0{};

double no_jitter() {
  return 0.5;
}

group_spec group(const std::string& name, const std::string& parent = root_group,
                 restart_strategy strategy = restart_strategy::one_for_one) {
  group_spec g;
  g.name = name;
  g.parent = parent;
  g.strategy = strategy;
  return g;
}

supervision_config config(std::vector<group_spec> groups) {
  supervision_config cfg;
  cfg.groups = std::move(groups);
  return cfg;
}

/// The ids of plan.removed, in order.
names removed_ids(const restart_plan& plan) {
  names out;
  for (const auto& [id, reason] : plan.removed)
    out.push_back(id);
  return out;
}

void add(supervision_tree& tree, const std::string& id, const std::string& grp = "",
         restart_type type = restart_type::permanent) {
  auto err = tree.add_plugin(id, grp, type);
  ASSERT_FALSE(static_cast<bool>(err)) << describe(err);
}

// -- strategies ----------------------------------------------------------------------------------

TEST(SupervisionTree, OneForOneRestartsOnlyTheCrashedPlugin) {
  supervision_tree tree{supervision_config{}, no_jitter};
  add(tree, "a");
  add(tree, "b");
  add(tree, "c");
  auto plan = tree.on_exit("b", true, t0);
  EXPECT_EQ(plan.group, "root");
  EXPECT_EQ(plan.stop, names{});
  EXPECT_EQ(plan.restart, names{"b"});
  EXPECT_EQ(plan.delay, std::chrono::nanoseconds{5ms});
  EXPECT_EQ(plan.attempt, 1u);
  EXPECT_TRUE(plan.removed.empty());
  EXPECT_EQ(plan.escalated, names{});
  EXPECT_FALSE(plan.gave_up);
  EXPECT_EQ(tree.plugins_under(root_group), (names{"a", "b", "c"}));
}

TEST(SupervisionTree, OneForAllStopsEverySiblingAndRestartsAllInStartOrder) {
  auto cfg = config({group("all", root_group, restart_strategy::one_for_all)});
  supervision_tree tree{cfg, no_jitter};
  add(tree, "outside");
  add(tree, "a", "all");
  add(tree, "b", "all");
  add(tree, "c", "all");
  auto plan = tree.on_exit("b", true, t0);
  EXPECT_EQ(plan.group, "all");
  EXPECT_EQ(plan.stop, (names{"a", "c"}));
  EXPECT_EQ(plan.restart, (names{"a", "b", "c"}));
  EXPECT_TRUE(plan.removed.empty());
  EXPECT_EQ(plan.escalated, names{});
  EXPECT_FALSE(plan.gave_up);
}

TEST(SupervisionTree, OneForAllAlsoRestartsThePluginsOfNestedGroups) {
  auto cfg = config({group("all", root_group, restart_strategy::one_for_all),
                     group("inner", "all")});
  supervision_tree tree{cfg, no_jitter};
  add(tree, "a", "all");
  add(tree, "x", "inner");
  add(tree, "y", "inner");
  add(tree, "b", "all");
  // Children of "all": the nested group first (from the config), then a and b.
  auto plan = tree.on_exit("b", true, t0);
  EXPECT_EQ(plan.group, "all");
  EXPECT_EQ(plan.stop, (names{"x", "y", "a"}));
  EXPECT_EQ(plan.restart, (names{"x", "y", "a", "b"}));
}

TEST(SupervisionTree, RestForOneRestartsTheCrashedPluginAndThoseAddedAfterItInOrder) {
  auto cfg = config({group("chain", root_group, restart_strategy::rest_for_one)});
  supervision_tree tree{cfg, no_jitter};
  for (const auto* id : {"a", "b", "c", "d"})
    add(tree, id, "chain");
  auto plan = tree.on_exit("b", true, t0);
  EXPECT_EQ(plan.group, "chain");
  EXPECT_EQ(plan.stop, (names{"c", "d"}));
  EXPECT_EQ(plan.restart, (names{"b", "c", "d"}));
}

TEST(SupervisionTree, RestForOneCrashOfTheLastPluginRestartsOnlyIt) {
  auto cfg = config({group("chain", root_group, restart_strategy::rest_for_one)});
  supervision_tree tree{cfg, no_jitter};
  for (const auto* id : {"a", "b", "c"})
    add(tree, id, "chain");
  auto plan = tree.on_exit("c", true, t0);
  EXPECT_EQ(plan.stop, names{});
  EXPECT_EQ(plan.restart, names{"c"});
}

TEST(SupervisionTree, RestForOneCrashOfTheFirstPluginRestartsAll) {
  auto cfg = config({group("chain", root_group, restart_strategy::rest_for_one)});
  supervision_tree tree{cfg, no_jitter};
  for (const auto* id : {"a", "b", "c"})
    add(tree, id, "chain");
  auto plan = tree.on_exit("a", true, t0);
  EXPECT_EQ(plan.stop, (names{"b", "c"}));
  EXPECT_EQ(plan.restart, (names{"a", "b", "c"}));
}

// -- restart types -------------------------------------------------------------------------------

TEST(SupervisionTree, PermanentPluginRestartsAfterANormalExit) {
  supervision_tree tree{supervision_config{}, no_jitter};
  add(tree, "a", "", restart_type::permanent);
  auto plan = tree.on_exit("a", false, t0);
  EXPECT_EQ(plan.group, "root");
  EXPECT_EQ(plan.restart, names{"a"});
  EXPECT_TRUE(plan.removed.empty());
  EXPECT_TRUE(tree.contains("a"));
}

TEST(SupervisionTree, TransientPluginRestartsAfterACrash) {
  supervision_tree tree{supervision_config{}, no_jitter};
  add(tree, "a", "", restart_type::transient);
  auto plan = tree.on_exit("a", true, t0);
  EXPECT_EQ(plan.group, "root");
  EXPECT_EQ(plan.restart, names{"a"});
  EXPECT_TRUE(plan.removed.empty());
  EXPECT_TRUE(tree.contains("a"));
}

TEST(SupervisionTree, TransientPluginIsRemovedAfterANormalExit) {
  supervision_tree tree{supervision_config{}, no_jitter};
  add(tree, "a", "", restart_type::transient);
  add(tree, "b");
  auto plan = tree.on_exit("a", false, t0);
  EXPECT_EQ(plan.group, "");
  EXPECT_EQ(plan.restart, names{});
  EXPECT_EQ(plan.stop, names{});
  EXPECT_EQ(removed_ids(plan), names{"a"});
  EXPECT_FALSE(plan.removed.at(0).second.empty());
  EXPECT_FALSE(tree.contains("a"));
  EXPECT_EQ(tree.plugins_under(root_group), names{"b"});
}

TEST(SupervisionTree, TemporaryPluginIsRemovedNotRestartedAndLeavesTheTree) {
  supervision_tree tree{supervision_config{}, no_jitter};
  add(tree, "a", "", restart_type::temporary);
  add(tree, "b");
  auto plan = tree.on_exit("a", true, t0);
  EXPECT_EQ(plan.group, "");
  EXPECT_EQ(plan.restart, names{});
  EXPECT_EQ(plan.stop, names{});
  EXPECT_EQ(removed_ids(plan), names{"a"});
  EXPECT_FALSE(plan.gave_up);
  EXPECT_FALSE(tree.contains("a"));
  EXPECT_EQ(tree.plugins_under(root_group), names{"b"});
  // Gone for good: a later exit report is about an unknown plugin.
  auto again = tree.on_exit("a", true, t0 + 1ms);
  EXPECT_EQ(again.restart, names{});
  EXPECT_TRUE(again.removed.empty());
}

TEST(SupervisionTree, TemporaryPluginIsRemovedAfterANormalExitToo) {
  supervision_tree tree{supervision_config{}, no_jitter};
  add(tree, "a", "", restart_type::temporary);
  auto plan = tree.on_exit("a", false, t0);
  EXPECT_EQ(removed_ids(plan), names{"a"});
  EXPECT_EQ(plan.restart, names{});
  EXPECT_FALSE(tree.contains("a"));
}

TEST(SupervisionTree, TemporarySiblingInOneForAllGroupIsStoppedAndRemovedNotRestarted) {
  auto cfg = config({group("all", root_group, restart_strategy::one_for_all)});
  supervision_tree tree{cfg, no_jitter};
  add(tree, "a", "all");
  add(tree, "t", "all", restart_type::temporary);
  add(tree, "c", "all", restart_type::transient);
  auto plan = tree.on_exit("a", true, t0);
  EXPECT_EQ(plan.group, "all");
  EXPECT_EQ(plan.stop, (names{"t", "c"}));
  EXPECT_EQ(plan.restart, (names{"a", "c"}));
  EXPECT_EQ(removed_ids(plan), names{"t"});
  EXPECT_FALSE(tree.contains("t"));
  EXPECT_EQ(tree.plugins_under("all"), (names{"a", "c"}));
}

TEST(SupervisionTree, TemporaryPluginExitDoesNotTouchItsRestForOneSiblings) {
  auto cfg = config({group("chain", root_group, restart_strategy::rest_for_one)});
  supervision_tree tree{cfg, no_jitter};
  add(tree, "a", "chain", restart_type::temporary);
  add(tree, "b", "chain");
  auto plan = tree.on_exit("a", true, t0);
  EXPECT_EQ(plan.stop, names{});
  EXPECT_EQ(plan.restart, names{});
  EXPECT_EQ(removed_ids(plan), names{"a"});
  EXPECT_EQ(tree.plugins_under("chain"), names{"b"});
}

// -- intensity and escalation --------------------------------------------------------------------

TEST(SupervisionTree, MaxRestartsWithinTheWindowRestartAndTheNextEscalates) {
  auto workers = group("workers");
  workers.intensity.max_restarts = 3;
  workers.intensity.within = 10s;
  supervision_tree tree{config({workers}), no_jitter};
  add(tree, "w1", "workers");
  add(tree, "w2", "workers");
  add(tree, "r1");
  for (int i = 0; i < 3; ++i) {
    auto plan = tree.on_exit("w1", true, t0 + i * 1ms);
    EXPECT_EQ(plan.group, "workers") << "crash " << i;
    EXPECT_EQ(plan.restart, names{"w1"}) << "crash " << i;
    EXPECT_EQ(plan.escalated, names{}) << "crash " << i;
  }
  auto plan = tree.on_exit("w1", true, t0 + 3ms);
  EXPECT_EQ(plan.escalated, names{"workers"});
  EXPECT_EQ(plan.group, "root");
  EXPECT_EQ(plan.restart, (names{"w1", "w2"}));
  EXPECT_EQ(plan.stop, names{"w2"});
  EXPECT_FALSE(plan.gave_up);
  EXPECT_TRUE(plan.removed.empty());
}

TEST(SupervisionTree, CrashesOfDifferentPluginsCountTowardsTheSameGroupIntensity) {
  auto workers = group("workers");
  workers.intensity.max_restarts = 2;
  supervision_tree tree{config({workers}), no_jitter};
  add(tree, "w1", "workers");
  add(tree, "w2", "workers");
  EXPECT_EQ(tree.on_exit("w1", true, t0).escalated, names{});
  EXPECT_EQ(tree.on_exit("w2", true, t0 + 1ms).escalated, names{});
  EXPECT_EQ(tree.on_exit("w1", true, t0 + 2ms).escalated, names{"workers"});
}

TEST(SupervisionTree, ZeroMaxRestartsEscalatesTheFirstCrash) {
  auto workers = group("workers");
  workers.intensity.max_restarts = 0;
  supervision_tree tree{config({workers}), no_jitter};
  add(tree, "w1", "workers");
  auto plan = tree.on_exit("w1", true, t0);
  EXPECT_EQ(plan.escalated, names{"workers"});
  EXPECT_EQ(plan.group, "root");
  EXPECT_EQ(plan.restart, names{"w1"});
}

TEST(SupervisionTree, NestedGroupOverItsIntensityEscalatesToItsParentWhichRestartsTheWholeGroup) {
  auto outer = group("outer");
  outer.intensity.max_restarts = 10;
  auto inner = group("inner", "outer");
  inner.intensity.max_restarts = 1;
  supervision_tree tree{config({outer, inner}), no_jitter};
  add(tree, "o1", "outer");
  add(tree, "i1", "inner");
  add(tree, "i2", "inner");
  add(tree, "i3", "inner");

  auto first = tree.on_exit("i2", true, t0);
  EXPECT_EQ(first.group, "inner");
  EXPECT_EQ(first.restart, names{"i2"});
  EXPECT_EQ(first.escalated, names{});

  auto second = tree.on_exit("i2", true, t0 + 1ms);
  EXPECT_EQ(second.escalated, names{"inner"});
  EXPECT_EQ(second.group, "outer");
  EXPECT_EQ(second.restart, (names{"i1", "i2", "i3"}));
  EXPECT_EQ(second.stop, (names{"i1", "i3"}));
  EXPECT_FALSE(second.gave_up);
  EXPECT_TRUE(second.removed.empty());

  // The restarted nested group counts afresh: one more crash is admitted...
  auto third = tree.on_exit("i2", true, t0 + 2ms);
  EXPECT_EQ(third.group, "inner");
  EXPECT_EQ(third.restart, names{"i2"});
  EXPECT_EQ(third.escalated, names{});
  // ...and its backoff started afresh too.
  EXPECT_EQ(third.attempt, 1u);
  EXPECT_EQ(third.delay, std::chrono::nanoseconds{5ms});

  // ...and the one after escalates again.
  auto fourth = tree.on_exit("i2", true, t0 + 3ms);
  EXPECT_EQ(fourth.escalated, names{"inner"});
  EXPECT_EQ(fourth.group, "outer");
}

TEST(SupervisionTree, EscalationToARestForOneParentRestartsTheGroupAndTheChildrenAfterIt) {
  auto parent = group("parent", root_group, restart_strategy::rest_for_one);
  auto before = group("before", "parent");
  auto inner = group("inner", "parent");
  inner.intensity.max_restarts = 0;
  supervision_tree tree{config({parent, before, inner}), no_jitter};
  add(tree, "b1", "before");
  add(tree, "i1", "inner");
  add(tree, "i2", "inner");
  add(tree, "p1", "parent");
  // Children of "parent": before, inner, p1.
  auto plan = tree.on_exit("i1", true, t0);
  EXPECT_EQ(plan.escalated, names{"inner"});
  EXPECT_EQ(plan.group, "parent");
  EXPECT_EQ(plan.restart, (names{"i1", "i2", "p1"}));
  EXPECT_EQ(plan.stop, (names{"i2", "p1"}));
}

TEST(SupervisionTree, EscalationThroughTwoLevelsNamesBothGroupsInnermostFirst) {
  auto outer = group("outer");
  outer.intensity.max_restarts = 0;
  auto inner = group("inner", "outer");
  inner.intensity.max_restarts = 0;
  supervision_tree tree{config({outer, inner}), no_jitter};
  add(tree, "o1", "outer");
  add(tree, "i1", "inner");
  add(tree, "r1");
  auto plan = tree.on_exit("i1", true, t0);
  EXPECT_EQ(plan.escalated, (names{"inner", "outer"}));
  EXPECT_EQ(plan.group, "root");
  EXPECT_EQ(plan.restart, (names{"i1", "o1"}));
  EXPECT_EQ(plan.stop, names{"o1"});
  EXPECT_FALSE(plan.gave_up);
}

TEST(SupervisionTree, RootOverItsIntensityGivesUpAndEmptiesTheTree) {
  auto root = group(root_group);
  root.intensity.max_restarts = 2;
  auto workers = group("workers");
  supervision_tree tree{config({root, workers}), no_jitter};
  add(tree, "a");
  add(tree, "b");
  add(tree, "w1", "workers");
  // Root's children: workers, a, b.
  EXPECT_EQ(tree.on_exit("a", true, t0).restart, names{"a"});
  EXPECT_EQ(tree.on_exit("a", true, t0 + 1ms).restart, names{"a"});
  auto plan = tree.on_exit("a", true, t0 + 2ms);
  EXPECT_TRUE(plan.gave_up);
  EXPECT_EQ(plan.escalated, names{"root"});
  EXPECT_EQ(plan.group, "");
  EXPECT_EQ(plan.restart, names{});
  EXPECT_EQ(plan.stop, (names{"w1", "b"}));
  EXPECT_EQ(removed_ids(plan), (names{"w1", "a", "b"}));
  for (const auto& [id, reason] : plan.removed)
    EXPECT_FALSE(reason.empty()) << id;
  EXPECT_FALSE(tree.contains("a"));
  EXPECT_FALSE(tree.contains("b"));
  EXPECT_FALSE(tree.contains("w1"));
  EXPECT_EQ(tree.plugins_under(root_group), names{});
  EXPECT_EQ(tree.plugins_under("workers"), names{});
}

TEST(SupervisionTree, EscalationReachingAnExhaustedRootGivesUp) {
  auto root = group(root_group);
  root.intensity.max_restarts = 0;
  auto inner = group("inner");
  inner.intensity.max_restarts = 0;
  supervision_tree tree{config({root, inner}), no_jitter};
  add(tree, "i1", "inner");
  add(tree, "i2", "inner");
  add(tree, "r1");
  auto plan = tree.on_exit("i2", true, t0);
  EXPECT_TRUE(plan.gave_up);
  EXPECT_EQ(plan.escalated, (names{"inner", "root"}));
  EXPECT_EQ(plan.stop, (names{"i1", "r1"}));
  EXPECT_EQ(removed_ids(plan), (names{"i1", "i2", "r1"}));
  EXPECT_EQ(tree.plugins_under(root_group), names{});
}

TEST(SupervisionTree, CrashLoopSlowerThanTheWindowKeepsRestartingWithoutEscalating) {
  auto root = group(root_group);
  root.intensity.max_restarts = 3;
  root.intensity.within = 1000ms;
  supervision_tree tree{config({root}), no_jitter};
  add(tree, "a");
  add(tree, "b");
  // Every 400 ms: the window holds this crash and the two before it, never more than 3.
  for (int i = 0; i < 30; ++i) {
    auto plan = tree.on_exit("a", true, t0 + i * 400ms);
    ASSERT_EQ(plan.escalated, names{}) << "crash " << i;
    ASSERT_FALSE(plan.gave_up) << "crash " << i;
    ASSERT_EQ(plan.restart, names{"a"}) << "crash " << i;
  }
  EXPECT_EQ(tree.plugins_under(root_group), (names{"a", "b"}));
}

// -- backoff -------------------------------------------------------------------------------------

supervision_config backoff_config() {
  auto root = group(root_group);
  root.backoff.min = 10ms;
  root.backoff.max = 1s;
  root.backoff.multiplier = 2.0;
  root.backoff.jitter = 0.2;
  root.backoff.reset_after = 2s;
  root.intensity.max_restarts = 100;
  root.intensity.within = 1s;
  return config({root});
}

TEST(SupervisionTree, BackoffDelayDoublesWithEachRestartAndReturnsToMinAfterAQuietPeriod) {
  supervision_tree tree{backoff_config(), no_jitter};
  add(tree, "a");
  EXPECT_EQ(tree.on_exit("a", true, t0).delay, std::chrono::nanoseconds{10ms});
  EXPECT_EQ(tree.on_exit("a", true, t0 + 100ms).delay, std::chrono::nanoseconds{20ms});
  EXPECT_EQ(tree.on_exit("a", true, t0 + 200ms).delay, std::chrono::nanoseconds{40ms});
  // reset_after (2 s) without a restart.
  auto quiet = tree.on_exit("a", true, t0 + 2200ms);
  EXPECT_EQ(quiet.delay, std::chrono::nanoseconds{10ms});
  EXPECT_EQ(quiet.attempt, 1u);
}

TEST(SupervisionTree, AttemptCountsConsecutiveRestartsFromOne) {
  supervision_tree tree{backoff_config(), no_jitter};
  add(tree, "a");
  std::vector<std::size_t> attempts;
  for (int i = 0; i < 3; ++i)
    attempts.push_back(tree.on_exit("a", true, t0 + i * 100ms).attempt);
  EXPECT_EQ(attempts, (std::vector<std::size_t>{1, 2, 3}));
}

TEST(SupervisionTree, BackoffIsCountedPerChild) {
  supervision_tree tree{backoff_config(), no_jitter};
  add(tree, "a");
  add(tree, "b");
  tree.on_exit("a", true, t0);
  tree.on_exit("a", true, t0 + 1ms);
  auto plan = tree.on_exit("b", true, t0 + 2ms);
  EXPECT_EQ(plan.attempt, 1u);
  EXPECT_EQ(plan.delay, std::chrono::nanoseconds{10ms});
}

TEST(SupervisionTree, BackoffJitterComesFromTheInjectedRandomSource) {
  auto cfg = backoff_config();
  cfg.groups[0].backoff.min = 100ms;
  cfg.groups[0].backoff.jitter = 0.25;
  int calls = 0;
  supervision_tree tree{cfg, [&calls] {
                          ++calls;
                          return 0.0;
                        }};
  add(tree, "a");
  EXPECT_EQ(tree.on_exit("a", true, t0).delay, std::chrono::nanoseconds{75ms});
  EXPECT_EQ(calls, 1);
}

TEST(SupervisionTree, NoDelayAndNoAttemptWhenNothingRestarts) {
  supervision_tree tree{backoff_config(), no_jitter};
  add(tree, "t", "", restart_type::temporary);
  auto plan = tree.on_exit("t", true, t0);
  EXPECT_EQ(plan.delay, std::chrono::nanoseconds{0});
  EXPECT_EQ(plan.attempt, 0u);
}

// -- membership ----------------------------------------------------------------------------------

TEST(SupervisionTree, AddPluginIntoAnUnknownGroupGivesConfigError) {
  supervision_tree tree{supervision_config{}, no_jitter};
  auto err = tree.add_plugin("a", "nowhere", restart_type::permanent);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_EQ(code_name(err), "config_error");
  EXPECT_EQ(plugin_of(err), "a");
  EXPECT_FALSE(tree.contains("a"));
}

TEST(SupervisionTree, AddPluginWithADuplicateIdGivesAlreadyExists) {
  supervision_tree tree{config({group("workers")}), no_jitter};
  add(tree, "a");
  auto err = tree.add_plugin("a", "workers", restart_type::transient);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_EQ(code_name(err), "already_exists");
  EXPECT_EQ(plugin_of(err), "a");
  // The first registration is untouched.
  EXPECT_EQ(tree.group_of("a").name, "root");
  EXPECT_EQ(tree.plugins_under("workers"), names{});
  EXPECT_EQ(tree.plugins_under(root_group), (names{"a"}));
}

TEST(SupervisionTree, AddPluginWithAnEmptyGroupMeansRoot) {
  supervision_tree tree{config({group("workers")}), no_jitter};
  add(tree, "a", "");
  add(tree, "w", "workers");
  EXPECT_EQ(tree.group_of("a").name, "root");
  EXPECT_EQ(tree.group_of("w").name, "workers");
  EXPECT_EQ(tree.group_of("unknown").name, "root");
}

TEST(SupervisionTree, OnExitOfAnUnknownIdGivesAnEmptyPlan) {
  supervision_tree tree{supervision_config{}, no_jitter};
  add(tree, "a");
  auto plan = tree.on_exit("nobody", true, t0);
  EXPECT_EQ(plan.group, "");
  EXPECT_EQ(plan.stop, names{});
  EXPECT_EQ(plan.restart, names{});
  EXPECT_EQ(plan.delay, std::chrono::nanoseconds{0});
  EXPECT_EQ(plan.attempt, 0u);
  EXPECT_TRUE(plan.removed.empty());
  EXPECT_EQ(plan.escalated, names{});
  EXPECT_FALSE(plan.gave_up);
}

TEST(SupervisionTree, RemovedPluginIsNoLongerSupervised) {
  supervision_tree tree{supervision_config{}, no_jitter};
  add(tree, "a");
  add(tree, "b");
  tree.remove_plugin("a");
  tree.remove_plugin("never-added");
  EXPECT_FALSE(tree.contains("a"));
  EXPECT_EQ(tree.plugins_under(root_group), names{"b"});
  EXPECT_EQ(tree.on_exit("a", true, t0).restart, names{});
  // The id can be registered again.
  add(tree, "a");
  EXPECT_EQ(tree.plugins_under(root_group), (names{"b", "a"}));
}

TEST(SupervisionTree, PluginsUnderListsNestedGroupsPluginsDepthFirstInOrder) {
  auto cfg = config({group("A"), group("A1", "A"), group("B"), group("A2", "A")});
  supervision_tree tree{cfg, no_jitter};
  add(tree, "r1");
  add(tree, "a1", "A");
  add(tree, "x1", "A1");
  add(tree, "y1", "A2");
  add(tree, "b1", "B");
  add(tree, "x2", "A1");
  add(tree, "r2");
  // root: A, B, r1, r2; A: A1, A2, a1; A1: x1, x2; A2: y1; B: b1.
  EXPECT_EQ(tree.plugins_under(root_group), (names{"x1", "x2", "y1", "a1", "b1", "r1", "r2"}));
  EXPECT_EQ(tree.plugins_under("A"), (names{"x1", "x2", "y1", "a1"}));
  EXPECT_EQ(tree.plugins_under("A1"), (names{"x1", "x2"}));
  EXPECT_EQ(tree.plugins_under("B"), names{"b1"});
}

} // namespace
} // namespace troupe
