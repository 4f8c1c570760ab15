// The building blocks of supervision, with injected time and randomness: the restart backoff
// (actors/supervision/backoff.hpp), the restart intensity window
// (actors/supervision/restart_intensity.hpp) and the group settings with their validation and
// parsing (actors/supervision/supervision_spec.hpp).

#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <gtest/gtest.h>

#include "actors/supervision/backoff.hpp"
#include "actors/supervision/restart_intensity.hpp"
#include "actors/supervision/supervision_spec.hpp"
#include "messages/errors.hpp"

namespace troupe {
namespace {

using namespace std::chrono_literals;
using time_point = std::chrono::steady_clock::time_point;

const time_point t0{};

/// The largest double below 1: as close to 1 as a unit_random in [0, 1) gets.
const double almost_one = std::nextafter(1.0, 0.0);

backoff_policy policy(std::chrono::milliseconds min, std::chrono::milliseconds max,
                      double multiplier, double jitter,
                      std::chrono::milliseconds reset_after = 30000ms) {
  backoff_policy p;
  p.min = min;
  p.max = max;
  p.multiplier = multiplier;
  p.jitter = jitter;
  p.reset_after = reset_after;
  return p;
}

bool contains_text(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// -- backoff -------------------------------------------------------------------------------------

TEST(Backoff, FirstDelayEqualsMinWhenJitterIsNeutral) {
  backoff b{policy(10ms, 10s, 2.0, 0.2)};
  EXPECT_EQ(b.consecutive(), 0u);
  EXPECT_EQ(b.next(t0, 0.5), std::chrono::nanoseconds{10ms});
  EXPECT_EQ(b.consecutive(), 1u);
}

TEST(Backoff, DefaultPolicyFirstDelayIsFiveMilliseconds) {
  backoff b{backoff_policy{}};
  EXPECT_EQ(b.next(t0, 0.5), std::chrono::nanoseconds{5ms});
}

TEST(Backoff, DelayDoublesWithEachConsecutiveRestart) {
  backoff b{policy(10ms, 10s, 2.0, 0.2)};
  std::vector<std::chrono::nanoseconds> delays;
  for (int i = 0; i < 5; ++i)
    delays.push_back(b.next(t0 + i * 1ms, 0.5));
  EXPECT_EQ(delays, (std::vector<std::chrono::nanoseconds>{10ms, 20ms, 40ms, 80ms, 160ms}));
  EXPECT_EQ(b.consecutive(), 5u);
}

TEST(Backoff, DelayIsCappedAtMax) {
  backoff b{policy(10ms, 50ms, 2.0, 0.2)};
  std::vector<std::chrono::nanoseconds> delays;
  for (int i = 0; i < 6; ++i)
    delays.push_back(b.next(t0 + i * 1ms, 0.5));
  EXPECT_EQ(delays, (std::vector<std::chrono::nanoseconds>{10ms, 20ms, 40ms, 50ms, 50ms, 50ms}));
}

TEST(Backoff, DelayStaysAtMaxAfterVeryManyRestarts) {
  backoff b{policy(10ms, 50ms, 2.0, 0.0)};
  std::chrono::nanoseconds last{};
  for (int i = 0; i < 200; ++i)
    last = b.next(t0 + i * 1ms, 0.5);
  EXPECT_EQ(last, std::chrono::nanoseconds{50ms});
}

TEST(Backoff, ZeroRandomGivesMinTimesOneMinusJitter) {
  backoff b{policy(100ms, 10s, 2.0, 0.25)};
  EXPECT_EQ(b.next(t0, 0.0), std::chrono::nanoseconds{75ms});
}

TEST(Backoff, DefaultJitterWithZeroRandomGivesEightyPercentOfMin) {
  backoff b{backoff_policy{}}; // min 5 ms, jitter 0.2
  EXPECT_NEAR(static_cast<double>(b.next(t0, 0.0).count()), 4'000'000.0, 1.0);
}

TEST(Backoff, RandomNearOneGivesAboutMinTimesOnePlusJitter) {
  backoff b{policy(100ms, 10s, 2.0, 0.25)};
  auto delay = b.next(t0, almost_one);
  EXPECT_NEAR(static_cast<double>(delay.count()), 125'000'000.0, 1.0);
  EXPECT_LE(delay, std::chrono::nanoseconds{125ms});
}

TEST(Backoff, JitterAppliesToTheGrownDelayToo) {
  backoff b{policy(100ms, 10s, 2.0, 0.25)};
  b.next(t0, 0.5);                                                // 100 ms
  EXPECT_EQ(b.next(t0 + 1ms, 0.0), std::chrono::nanoseconds{150ms}); // 200 ms * 0.75
}

TEST(Backoff, JitterNeverPushesTheDelayAboveMax) {
  backoff b{policy(10ms, 40ms, 2.0, 1.0)};
  // k = 0: about 10 ms * 2; k = 1: 20 ms * 2 = 40 ms; from k = 2 on the base is max already.
  for (int i = 0; i < 10; ++i) {
    auto delay = b.next(t0 + i * 1ms, almost_one);
    EXPECT_LE(delay, std::chrono::nanoseconds{40ms}) << "restart " << i;
    if (i >= 2) {
      EXPECT_EQ(delay, std::chrono::nanoseconds{40ms}) << "restart " << i;
    }
  }
}

TEST(Backoff, OutOfRangeRandomIsClampedToTheJitterBounds) {
  backoff low{policy(100ms, 10s, 2.0, 0.25)};
  EXPECT_EQ(low.next(t0, -3.0), std::chrono::nanoseconds{75ms});
  backoff high{policy(100ms, 10s, 2.0, 0.25)};
  EXPECT_EQ(high.next(t0, 7.0), std::chrono::nanoseconds{125ms});
}

TEST(Backoff, ReturnsToMinAfterAQuietPeriodOfResetAfter) {
  backoff b{policy(10ms, 10s, 2.0, 0.2, 1000ms)};
  EXPECT_EQ(b.next(t0, 0.5), std::chrono::nanoseconds{10ms});
  EXPECT_EQ(b.next(t0 + 100ms, 0.5), std::chrono::nanoseconds{20ms});
  EXPECT_EQ(b.next(t0 + 200ms, 0.5), std::chrono::nanoseconds{40ms});
  // Exactly reset_after since the last restart: a quiet period.
  EXPECT_EQ(b.next(t0 + 1200ms, 0.5), std::chrono::nanoseconds{10ms});
  EXPECT_EQ(b.consecutive(), 1u);
  EXPECT_EQ(b.next(t0 + 1300ms, 0.5), std::chrono::nanoseconds{20ms});
}

TEST(Backoff, GapShorterThanResetAfterKeepsGrowing) {
  backoff b{policy(10ms, 10s, 2.0, 0.2, 1000ms)};
  b.next(t0, 0.5);
  b.next(t0 + 999ms, 0.5);
  EXPECT_EQ(b.next(t0 + 1998ms, 0.5), std::chrono::nanoseconds{40ms});
  EXPECT_EQ(b.consecutive(), 3u);
}

TEST(Backoff, ResetReturnsToTheFirstDelay) {
  backoff b{policy(10ms, 10s, 2.0, 0.2)};
  b.next(t0, 0.5);
  b.next(t0 + 1ms, 0.5);
  b.reset();
  EXPECT_EQ(b.consecutive(), 0u);
  EXPECT_EQ(b.next(t0 + 2ms, 0.5), std::chrono::nanoseconds{10ms});
}

TEST(Backoff, ZeroMinMakesEveryDelayZero) {
  backoff b{policy(0ms, 1s, 2.0, 0.5)};
  for (int i = 0; i < 6; ++i) {
    double r = i % 3 == 0 ? 0.0 : (i % 3 == 1 ? 0.5 : almost_one);
    EXPECT_EQ(b.next(t0 + i * 1ms, r), std::chrono::nanoseconds{0}) << "restart " << i;
  }
}

TEST(Backoff, MultiplierOneKeepsDelaysConstant) {
  backoff b{policy(25ms, 10s, 1.0, 0.2)};
  std::vector<std::chrono::nanoseconds> delays;
  for (int i = 0; i < 5; ++i)
    delays.push_back(b.next(t0 + i * 1ms, 0.5));
  EXPECT_EQ(delays, (std::vector<std::chrono::nanoseconds>(5, 25ms)));
}

// -- restart_intensity ---------------------------------------------------------------------------

intensity_policy intensity(std::size_t max_restarts, std::chrono::milliseconds within) {
  intensity_policy p;
  p.max_restarts = max_restarts;
  p.within = within;
  return p;
}

TEST(RestartIntensity, AdmitsMaxRestartsWithinTheWindowAndRefusesTheNext) {
  restart_intensity r{intensity(3, 1000ms)};
  EXPECT_TRUE(r.admit(t0));
  EXPECT_TRUE(r.admit(t0 + 100ms));
  EXPECT_TRUE(r.admit(t0 + 200ms));
  EXPECT_EQ(r.recent(), 3u);
  EXPECT_FALSE(r.admit(t0 + 300ms));
}

TEST(RestartIntensity, DefaultPolicyAdmitsFiveRestartsWithinTenSeconds) {
  restart_intensity r{intensity_policy{}};
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(r.admit(t0 + i * 1s)) << "restart " << i;
  EXPECT_FALSE(r.admit(t0 + 9s));
}

TEST(RestartIntensity, RestartsOlderThanWithinFallOutOfTheWindow) {
  restart_intensity r{intensity(2, 1000ms)};
  EXPECT_TRUE(r.admit(t0));
  EXPECT_TRUE(r.admit(t0 + 500ms));
  // The restart at t0 is 1100 ms old: out of the window.
  EXPECT_TRUE(r.admit(t0 + 1100ms));
  EXPECT_EQ(r.recent(), 2u);
  // 500 ms and 1100 ms are still in the window: a third is too many.
  EXPECT_FALSE(r.admit(t0 + 1200ms));
}

TEST(RestartIntensity, AllOldRestartsLeaveTheWindowAfterALongQuiet) {
  restart_intensity r{intensity(2, 1000ms)};
  r.admit(t0);
  r.admit(t0 + 1ms);
  EXPECT_FALSE(r.admit(t0 + 2ms));
  EXPECT_TRUE(r.admit(t0 + 5s));
  EXPECT_EQ(r.recent(), 1u);
}

TEST(RestartIntensity, ZeroMaxRestartsRefusesTheFirst) {
  restart_intensity r{intensity(0, 1000ms)};
  EXPECT_FALSE(r.admit(t0));
}

TEST(RestartIntensity, ResetForgetsEveryRecordedRestart) {
  restart_intensity r{intensity(1, 1000ms)};
  EXPECT_TRUE(r.admit(t0));
  EXPECT_FALSE(r.admit(t0 + 1ms));
  r.reset();
  EXPECT_EQ(r.recent(), 0u);
  EXPECT_TRUE(r.admit(t0 + 2ms));
  EXPECT_EQ(r.recent(), 1u);
}

// -- supervision_spec: validate ------------------------------------------------------------------

group_spec group(const std::string& name, const std::string& parent = root_group) {
  group_spec g;
  g.name = name;
  g.parent = parent;
  return g;
}

supervision_config config(std::vector<group_spec> groups) {
  supervision_config cfg;
  cfg.groups = std::move(groups);
  return cfg;
}

void expect_config_error(const caf::error& err, const std::string& mentions) {
  ASSERT_TRUE(static_cast<bool>(err)) << "expected a config_error mentioning '" << mentions << "'";
  EXPECT_EQ(code_name(err), "config_error");
  EXPECT_TRUE(contains_text(describe(err), mentions)) << describe(err);
}

TEST(SupervisionSpec, ValidateAcceptsAnEmptyConfig) {
  EXPECT_FALSE(static_cast<bool>(validate(supervision_config{})));
}

TEST(SupervisionSpec, ValidateAcceptsDefaultGroups) {
  auto err = validate(config({group(root_group), group("workers"), group("io", "workers")}));
  EXPECT_FALSE(static_cast<bool>(err)) << describe(err);
}

TEST(SupervisionSpec, ValidateIgnoresTheParentOfRoot) {
  auto err = validate(config({group(root_group, "nowhere")}));
  EXPECT_FALSE(static_cast<bool>(err)) << describe(err);
}

TEST(SupervisionSpec, ValidateRefusesDuplicateNames) {
  expect_config_error(validate(config({group("workers"), group("workers")})), "defined twice");
}

TEST(SupervisionSpec, ValidateRefusesRootListedTwice) {
  expect_config_error(validate(config({group(root_group), group(root_group)})), "defined twice");
}

TEST(SupervisionSpec, ValidateRefusesAnEmptyGroupName) {
  expect_config_error(validate(config({group("")})), "needs a name");
}

TEST(SupervisionSpec, ValidateRefusesAnUnknownParent) {
  auto err = validate(config({group("workers", "nowhere")}));
  expect_config_error(err, "'nowhere' is not a group");
  EXPECT_TRUE(contains_text(describe(err), "'workers'")) << describe(err);
}

TEST(SupervisionSpec, ValidateNamesTheUnknownParentOfAGroupFurtherDownTheChain) {
  // "a" descends from "b", whose parent "nowhere" does not exist. The error should say so.
  // Regression: the ancestor walk once inserted "nowhere" into the map it walked and reported a
  // cycle instead of the missing group.
  auto err = validate(config({group("a", "b"), group("b", "nowhere")}));
  expect_config_error(err, "'nowhere' is not a group");
}

TEST(SupervisionSpec, ValidateRefusesAParentCycle) {
  expect_config_error(validate(config({group("a", "b"), group("b", "a")})), "cycle");
}

TEST(SupervisionSpec, ValidateRefusesALongerParentCycle) {
  expect_config_error(validate(config({group("a", "c"), group("b", "a"), group("c", "b"),
                                       group("d")})),
                      "cycle");
}

TEST(SupervisionSpec, ValidateRefusesAGroupThatIsItsOwnParent) {
  expect_config_error(validate(config({group("a", "a")})), "cycle");
}

TEST(SupervisionSpec, ValidateRefusesJitterBelowZero) {
  auto g = group("workers");
  g.backoff.jitter = -0.01;
  expect_config_error(validate(config({g})), "jitter");
}

TEST(SupervisionSpec, ValidateRefusesJitterAboveOne) {
  auto g = group("workers");
  g.backoff.jitter = 1.01;
  expect_config_error(validate(config({g})), "jitter");
}

TEST(SupervisionSpec, ValidateAcceptsJitterZeroAndOne) {
  auto zero = group("a");
  zero.backoff.jitter = 0.0;
  auto one = group("b");
  one.backoff.jitter = 1.0;
  auto err = validate(config({zero, one}));
  EXPECT_FALSE(static_cast<bool>(err)) << describe(err);
}

TEST(SupervisionSpec, ValidateRefusesMultiplierBelowOne) {
  auto g = group("workers");
  g.backoff.multiplier = 0.99;
  expect_config_error(validate(config({g})), "multiplier");
}

TEST(SupervisionSpec, ValidateAcceptsMultiplierOne) {
  auto g = group("workers");
  g.backoff.multiplier = 1.0;
  EXPECT_FALSE(static_cast<bool>(validate(config({g}))));
}

TEST(SupervisionSpec, ValidateRefusesBackoffMaxBelowMin) {
  auto g = group("workers");
  g.backoff.min = 100ms;
  g.backoff.max = 99ms;
  expect_config_error(validate(config({g})), "backoff max");
}

TEST(SupervisionSpec, ValidateAcceptsBackoffMinZero) {
  auto g = group("workers");
  g.backoff.min = 0ms;
  EXPECT_FALSE(static_cast<bool>(validate(config({g}))));
}

TEST(SupervisionSpec, ValidateRefusesZeroHealthFailures) {
  auto g = group("workers");
  g.health.failures = 0;
  expect_config_error(validate(config({g})), "health failures");
}

TEST(SupervisionSpec, ValidateRefusesAZeroIntensityWindow) {
  auto g = group("workers");
  g.intensity.within = 0ms;
  expect_config_error(validate(config({g})), "intensity within");
}

TEST(SupervisionSpec, ValidateChecksTheValuesOfAListedRoot) {
  auto g = group(root_group);
  g.backoff.multiplier = 0.5;
  expect_config_error(validate(config({g})), "'root'");
}

// -- supervision_spec: parsing -------------------------------------------------------------------

TEST(SupervisionSpec, ParseStrategyAcceptsTheThreeNames) {
  auto a = parse_strategy("one_for_one");
  auto b = parse_strategy("one_for_all");
  auto c = parse_strategy("rest_for_one");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  ASSERT_TRUE(c);
  EXPECT_EQ(*a, restart_strategy::one_for_one);
  EXPECT_EQ(*b, restart_strategy::one_for_all);
  EXPECT_EQ(*c, restart_strategy::rest_for_one);
}

TEST(SupervisionSpec, ParseStrategyRefusesUnknownNamesListingTheAcceptedOnes) {
  for (const std::string text : {"", "one-for-one", "ONE_FOR_ONE", "simple_one_for_one"}) {
    auto r = parse_strategy(text);
    ASSERT_FALSE(r) << "'" << text << "'";
    EXPECT_EQ(code_name(r.error()), "config_error");
    auto text_of = describe(r.error());
    for (const char* name : {"one_for_one", "one_for_all", "rest_for_one"})
      EXPECT_TRUE(contains_text(text_of, name)) << text_of;
    EXPECT_TRUE(contains_text(text_of, "'" + text + "'")) << text_of;
  }
}

TEST(SupervisionSpec, ParseRestartTypeAcceptsTheThreeNames) {
  auto a = parse_restart_type("permanent");
  auto b = parse_restart_type("transient");
  auto c = parse_restart_type("temporary");
  ASSERT_TRUE(a);
  ASSERT_TRUE(b);
  ASSERT_TRUE(c);
  EXPECT_EQ(*a, restart_type::permanent);
  EXPECT_EQ(*b, restart_type::transient);
  EXPECT_EQ(*c, restart_type::temporary);
}

TEST(SupervisionSpec, ParseRestartTypeTreatsEmptyAsPermanent) {
  auto r = parse_restart_type("");
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, restart_type::permanent);
}

TEST(SupervisionSpec, ParseRestartTypeRefusesUnknownNamesListingTheAcceptedOnes) {
  for (const std::string text : {"always", "Permanent", " permanent"}) {
    auto r = parse_restart_type(text);
    ASSERT_FALSE(r) << "'" << text << "'";
    EXPECT_EQ(code_name(r.error()), "config_error");
    auto text_of = describe(r.error());
    for (const char* name : {"permanent", "transient", "temporary"})
      EXPECT_TRUE(contains_text(text_of, name)) << text_of;
    EXPECT_TRUE(contains_text(text_of, "'" + text + "'")) << text_of;
  }
}

TEST(SupervisionSpec, ToStringRoundTripsThroughParse) {
  for (auto x : {restart_strategy::one_for_one, restart_strategy::one_for_all,
                 restart_strategy::rest_for_one}) {
    auto r = parse_strategy(to_string(x));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, x);
  }
  for (auto x : {restart_type::permanent, restart_type::transient, restart_type::temporary}) {
    auto r = parse_restart_type(to_string(x));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, x);
  }
}

// -- supervision_spec: find_group ----------------------------------------------------------------

TEST(SupervisionSpec, FindGroupReturnsADefaultRootWhenRootIsNotListed) {
  auto cfg = config({group("workers")});
  const group_spec* root = find_group(cfg, root_group);
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->name, "root");
  EXPECT_EQ(root->parent, "");
  EXPECT_EQ(root->strategy, restart_strategy::one_for_one);
  EXPECT_EQ(root->intensity.max_restarts, 5u);
  EXPECT_EQ(root->intensity.within, 10000ms);
  EXPECT_EQ(root->backoff.min, 5ms);
  EXPECT_EQ(root->backoff.max, 5000ms);
  EXPECT_EQ(root->backoff.multiplier, 2.0);
  EXPECT_EQ(root->backoff.jitter, 0.2);
  EXPECT_EQ(root->backoff.reset_after, 30000ms);
  EXPECT_FALSE(root->queue.fail_fast);
  EXPECT_EQ(root->queue.capacity, 1024u);
  EXPECT_EQ(root->queue.timeout, 5000ms);
  EXPECT_EQ(root->health.interval, 5000ms);
  EXPECT_EQ(root->health.failures, 3u);
  EXPECT_EQ(root->watchdog, 30000ms);
  EXPECT_EQ(root->checkpoint_every, 1u);
}

TEST(SupervisionSpec, FindGroupReturnsADefaultRootForAnEmptyConfig) {
  const group_spec* root = find_group(supervision_config{}, root_group);
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->name, "root");
}

TEST(SupervisionSpec, FindGroupReturnsTheListedRootWhenRootIsListed) {
  auto r = group(root_group);
  r.strategy = restart_strategy::one_for_all;
  r.intensity.max_restarts = 1;
  auto cfg = config({group("workers"), r});
  const group_spec* root = find_group(cfg, root_group);
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root, &cfg.groups[1]);
  EXPECT_EQ(root->strategy, restart_strategy::one_for_all);
  EXPECT_EQ(root->intensity.max_restarts, 1u);
}

TEST(SupervisionSpec, FindGroupReturnsTheListedGroupAndNullForAnUnknownName) {
  auto cfg = config({group("workers"), group("io", "workers")});
  EXPECT_EQ(find_group(cfg, "io"), &cfg.groups[1]);
  EXPECT_EQ(find_group(cfg, "nowhere"), nullptr);
  EXPECT_EQ(find_group(cfg, ""), nullptr);
}

} // namespace
} // namespace troupe
