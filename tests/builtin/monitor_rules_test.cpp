// The monitor's rules without actors: reading the `rules` setting, and the rule engine driven by
// an injected clock (each rule kind, thresholds, windows, per plugin and aggregate, no re-firing
// while a condition holds, cool-down reminders and flap suppression).

#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "plugins/builtin/monitor/monitor_rules.hpp"
#include "plugins/builtin/monitor/rule_engine.hpp"

namespace troupe::builtin {
namespace {

/// Rules from JSON text; fails the test on a parse error.
std::vector<monitor_rule> rules(const std::string& text) {
  auto parsed = parse_rules(text, "mon");
  EXPECT_TRUE(parsed) << describe(parsed.error());
  return parsed ? *parsed : std::vector<monitor_rule>{};
}

/// A rule engine on a clock the test moves.
struct engine_on_a_clock {
  explicit engine_on_a_clock(const std::string& text, std::string exclude = {})
    : engine(rules(text), [this] { return now; }, std::move(exclude)) {}

  std::vector<alert> at(std::int64_t t, std::vector<observed_stats> stats,
                        std::vector<observed_event> events = {}) {
    now = t;
    return engine.observe(stats, events);
  }

  std::int64_t now = 0;
  rule_engine engine;
};

observed_stats calls(std::string plugin, std::uint64_t n, std::uint64_t failed, double p99 = 0) {
  return {std::move(plugin), n, failed, p99};
}

observed_event restarted(std::string plugin, std::int64_t t) {
  return {"restarted", std::move(plugin), t};
}

TEST(MonitorRules, ReadsEveryKeyAndAppliesDefaults) {
  auto r = rules(R"([{"kind": "error_rate", "threshold": 0.25},
                     {"name": "slow", "kind": "p99_latency", "plugin": "llm", "threshold": 5000,
                      "min_calls": 3, "cooldown_ms": 0},
                     {"kind": "restarts", "aggregate": true, "threshold": 2, "window_ms": 1000}])");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].name, "error_rate:*");
  EXPECT_EQ(r[0].plugin, "*");
  EXPECT_EQ(r[0].window_ms, 60000);
  EXPECT_EQ(r[0].min_calls, 10);
  EXPECT_EQ(r[0].cooldown_ms, 300000);
  EXPECT_DOUBLE_EQ(r[0].threshold, 0.25);
  EXPECT_EQ(r[1].name, "slow");
  EXPECT_EQ(r[1].kind, rule_kind::p99_latency);
  EXPECT_EQ(r[1].min_calls, 3);
  EXPECT_EQ(r[1].cooldown_ms, 0);
  EXPECT_TRUE(r[2].aggregate);
  EXPECT_EQ(r[2].window_ms, 1000);
}

TEST(MonitorRules, BadRulesAreConfigErrorsNamingTheRuleAndTheKey) {
  std::vector<std::pair<std::string, std::string>> bad = {
    {"not json", "not valid JSON"},
    {R"({"kind": "restarts"})", "must be a JSON array"},
    {R"([{"threshold": 1}])", "rule 0 needs a string \"kind\""},
    {R"([{"kind": "cpu", "threshold": 1}])", "unknown kind 'cpu'"},
    {R"([{"kind": "restarts"}])", "needs a number \"threshold\""},
    {R"([{"kind": "restarts", "threshold": -1}])", "needs a number \"threshold\""},
    {R"([{"kind": "error_rate", "threshold": 1.5}])", "fraction"},
    {R"([{"kind": "restarts", "threshold": 1}, {"kind": "restarts", "threshold": 1, "windw_ms": 5}])",
     "rule 1 has an unknown key 'windw_ms'"},
    {R"([{"kind": "restarts", "threshold": 1, "window_ms": 0}])", "window_ms"},
    {R"([{"kind": "restarts", "threshold": 1, "cooldown_ms": "5"}])", "cooldown_ms"},
    {R"([{"kind": "restarts", "threshold": 1, "plugin": "a", "aggregate": true}])", "aggregate"},
  };
  for (const auto& [text, words] : bad) {
    auto parsed = parse_rules(text, "mon");
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code(), static_cast<std::uint8_t>(errc::config_error)) << text;
    EXPECT_EQ(plugin_of(parsed.error()), "mon");
    EXPECT_NE(detail_of(parsed.error()).find(words), std::string::npos)
      << text << ": " << detail_of(parsed.error());
  }
}

TEST(RuleEngine, ErrorRateFiresOnlyOverTheThresholdWithEnoughCalls) {
  engine_on_a_clock e{R"([{"kind": "error_rate", "threshold": 0.5, "min_calls": 4}])"};
  EXPECT_TRUE(e.at(1000, {calls("a", 3, 3)}).empty()); // 3 calls < min_calls
  EXPECT_TRUE(e.at(2000, {calls("a", 6, 3)}).empty()); // 3 of 6: not over 0.5
  auto fired = e.at(3000, {calls("a", 8, 5)});         // 5 of 8
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].plugin, "a");
  EXPECT_EQ(fired[0].kind, "error_rate");
  EXPECT_EQ(fired[0].rule, "error_rate:*");
  EXPECT_NEAR(fired[0].value, 5.0 / 8, 1e-9);
  EXPECT_DOUBLE_EQ(fired[0].threshold, 0.5);
  EXPECT_EQ(fired[0].time_ms, 3000);
  EXPECT_NE(fired[0].message.find("plugin 'a'"), std::string::npos) << fired[0].message;
}

TEST(RuleEngine, ErrorRateCountsOnlyCallsWithinTheWindow) {
  engine_on_a_clock e{R"([{"kind": "error_rate", "threshold": 0.5, "min_calls": 1,
                           "window_ms": 10000}])"};
  EXPECT_TRUE(e.at(0, {calls("a", 100, 0)}).empty());
  EXPECT_TRUE(e.at(5000, {calls("a", 110, 6)}).empty()); // 6 of 110 so far
  // The window counts from its oldest observation: the earlier calls and failures are out.
  EXPECT_TRUE(e.at(20000, {calls("a", 120, 6)}).empty());
  auto fired = e.at(25000, {calls("a", 124, 10)}); // since the observation at 20000: 4 of 4
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_DOUBLE_EQ(fired[0].value, 1.0);
}

TEST(RuleEngine, ARespawnedPluginsCountsStartAgainWithoutHidingFailures) {
  engine_on_a_clock e{R"([{"kind": "error_rate", "threshold": 0.1, "min_calls": 5}])"};
  EXPECT_TRUE(e.at(1000, {calls("a", 50, 0)}).empty());
  auto fired = e.at(2000, {calls("a", 10, 10)}); // stats reset by a restart: 10 new, all failed
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_NEAR(fired[0].value, 10.0 / 60, 1e-9); // 10 of the 60 calls in the window
  EXPECT_TRUE(e.at(3000, {calls("a", 10, 10)}).empty()); // holds on: no re-firing
}

TEST(RuleEngine, AConditionThatHoldsFiresOnceThenAgainAfterTheCooldown) {
  engine_on_a_clock e{R"([{"kind": "p99_latency", "plugin": "slow", "threshold": 1000,
                           "min_calls": 1, "cooldown_ms": 5000}])"};
  std::uint64_t n = 0;
  auto tick = [&](std::int64_t t, double p99) { return e.at(t, {calls("slow", n += 10, 0, p99)}); };
  EXPECT_EQ(tick(0, 2000).size(), 1u);
  EXPECT_TRUE(tick(1000, 2500).empty());
  EXPECT_TRUE(tick(4999, 2500).empty());
  auto reminder = tick(5000, 3000);
  ASSERT_EQ(reminder.size(), 1u);
  EXPECT_DOUBLE_EQ(reminder[0].value, 3000);
  EXPECT_TRUE(tick(6000, 2000).empty());
  EXPECT_TRUE(tick(7000, 900).empty());   // clears: re-armed
  EXPECT_TRUE(tick(8000, 2000).empty());  // re-enters 3 s after the last alert: suppressed
  EXPECT_TRUE(tick(9000, 900).empty());
  EXPECT_EQ(tick(10000, 2000).size(), 1u); // re-enters 5 s after it: fires
}

TEST(RuleEngine, ZeroCooldownFiresOnEveryEntryAndNeverWhileHolding) {
  engine_on_a_clock e{R"([{"kind": "p99_latency", "plugin": "s", "threshold": 10,
                           "min_calls": 1, "cooldown_ms": 0}])"};
  std::uint64_t n = 0;
  auto tick = [&](std::int64_t t, double p99) { return e.at(t, {calls("s", n += 1, 0, p99)}); };
  EXPECT_EQ(tick(0, 20).size(), 1u);
  for (int t = 1; t < 100; ++t)
    EXPECT_TRUE(tick(t * 1000, 20).empty()) << t;
  EXPECT_TRUE(tick(100000, 5).empty());
  EXPECT_EQ(tick(101000, 20).size(), 1u);
}

TEST(RuleEngine, P99NeedsCallsWithinTheWindowSoAnIdlePluginDoesNotHold) {
  engine_on_a_clock e{R"([{"kind": "p99_latency", "threshold": 100, "min_calls": 2,
                           "window_ms": 1000, "cooldown_ms": 0}])"};
  EXPECT_EQ(e.at(0, {calls("a", 5, 0, 500)}).size(), 1u);
  EXPECT_TRUE(e.at(5000, {calls("a", 5, 0, 500)}).empty()); // idle: no calls in the window
  EXPECT_EQ(e.at(5500, {calls("a", 7, 0, 500)}).size(), 1u); // busy and slow again: re-entered
}

TEST(RuleEngine, RestartsCountRestartedEventsPerPluginWithinTheWindow) {
  engine_on_a_clock e{R"([{"kind": "restarts", "threshold": 2, "window_ms": 60000}])"};
  EXPECT_TRUE(e.at(1000, {}, {restarted("a", 100), restarted("a", 200), restarted("b", 300)}).empty());
  auto fired = e.at(2000, {}, {restarted("a", 1500), {"crashed", "b", 1600}});
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].plugin, "a");
  EXPECT_DOUBLE_EQ(fired[0].value, 3);
  EXPECT_TRUE(e.at(70000, {}, {}).empty());                     // the restarts aged out: clears
  EXPECT_TRUE(e.at(71000, {}, {restarted("a", 70500)}).empty()); // 2 within the window
}

TEST(RuleEngine, AnAggregateRuleSumsEveryPluginButTheMonitorItself) {
  engine_on_a_clock e{R"([{"name": "all", "kind": "error_rate", "aggregate": true,
                           "threshold": 0.5, "min_calls": 10},
                          {"name": "each", "kind": "restarts", "threshold": 0}])",
                      "mon"};
  // 4 of 10 fail in a, 2 of 2 in b: 6 of 12 is not over 0.5; mon's calls do not count.
  EXPECT_TRUE(e.at(1000, {calls("a", 10, 4), calls("b", 2, 2), calls("mon", 100, 0)}).empty());
  auto fired = e.at(2000, {calls("a", 10, 4), calls("b", 4, 4), calls("mon", 200, 0)},
                    {restarted("mon", 1500)});
  ASSERT_EQ(fired.size(), 1u); // the monitor's own restart is not watched by "*" rules
  EXPECT_EQ(fired[0].rule, "all");
  EXPECT_EQ(fired[0].plugin, "*");
  EXPECT_NEAR(fired[0].value, 8.0 / 14, 1e-9);
  EXPECT_NE(fired[0].message.find("all plugins"), std::string::npos);
}

TEST(RuleEngine, APerPluginRuleFiresForEachPluginOnItsOwn) {
  engine_on_a_clock e{R"([{"kind": "error_rate", "threshold": 0.1, "min_calls": 1}])"};
  auto fired = e.at(1000, {calls("a", 10, 5), calls("b", 10, 0), calls("c", 1, 1)});
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_EQ(fired[0].plugin, "a");
  EXPECT_EQ(fired[1].plugin, "c");
  fired = e.at(2000, {calls("a", 10, 5), calls("b", 20, 10), calls("c", 1, 1)});
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].plugin, "b");
}

} // namespace
} // namespace troupe::builtin
