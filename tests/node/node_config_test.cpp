// Reading a node config: every [[groups]] key lands in its field of the group's spec, a bad value
// or an unknown key names the file and line, and integers are never converted from floats.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "messages/errors.hpp"
#include "node/node_config.hpp"
#include "plugins/kinds/standard_kinds.hpp"

namespace troupe::test {
namespace {

TEST(NodeConfigGroups, EveryGroupKeyLandsInItsField) {
  auto cfg = parse_node_config(R"(
[[groups]]
name = "g"
parent = "root"
strategy = "rest_for_one"
max_restarts = 7
within_ms = 1500
backoff_min_ms = 3
backoff_max_ms = 900
backoff_multiplier = 3
backoff_jitter = 0.5
backoff_reset_ms = 4000
queue = "fail_fast"
queue_capacity = 9
queue_timeout_ms = 250
health_interval_ms = 60
health_failures = 4
watchdog_ms = 700
checkpoint_every = 2
rollback_after = 5
preserve_state = false
)",
                               "g.toml", standard_kinds());
  ASSERT_TRUE(cfg) << describe(cfg.error());
  const auto* g = find_group(cfg->supervision, "g");
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->parent, "root");
  EXPECT_EQ(g->strategy, *parse_strategy("rest_for_one"));
  EXPECT_EQ(g->intensity.max_restarts, 7u);
  EXPECT_EQ(g->intensity.within.count(), 1500);
  EXPECT_EQ(g->backoff.min.count(), 3);
  EXPECT_EQ(g->backoff.max.count(), 900);
  EXPECT_DOUBLE_EQ(g->backoff.multiplier, 3.0);
  EXPECT_DOUBLE_EQ(g->backoff.jitter, 0.5);
  EXPECT_EQ(g->backoff.reset_after.count(), 4000);
  EXPECT_TRUE(g->queue.fail_fast);
  EXPECT_EQ(g->queue.capacity, 9u);
  EXPECT_EQ(g->queue.timeout.count(), 250);
  EXPECT_EQ(g->health.interval.count(), 60);
  EXPECT_EQ(g->health.failures, 4u);
  EXPECT_EQ(g->watchdog.count(), 700);
  EXPECT_EQ(g->checkpoint_every, 2u);
  EXPECT_EQ(g->rollback_after, 5u);
  EXPECT_FALSE(g->preserve_state);
}

TEST(NodeConfigGroups, BadValuesAndUnknownKeysNameTheFileAndLine) {
  auto expect_refused = [](const std::string& line, const std::string& says) {
    auto cfg = parse_node_config("[[groups]]\nname = \"g\"\n" + line + "\n", "g.toml",
                                 standard_kinds());
    ASSERT_FALSE(cfg) << line;
    EXPECT_EQ(code_name(cfg.error()), "config_error");
    EXPECT_NE(describe(cfg.error()).find("g.toml:3: " + says), std::string::npos)
      << describe(cfg.error());
  };
  expect_refused("within_ms = -1", "'within_ms' in [[groups]] must be a non-negative integer");
  expect_refused("max_restarts = \"many\"", "'max_restarts' in [[groups]] must be a non-negative");
  expect_refused("backoff_jitter = \"x\"", "'backoff_jitter' in [[groups]] must be a number");
  expect_refused("queue = \"drop\"", "'queue' must be \"wait\" or \"fail_fast\"");
  expect_refused("preserve_state = 1", "'preserve_state' in [[groups]] must be true or false");
  expect_refused("colour = \"red\"", "unknown key 'colour' in [[groups]]");
  expect_refused("parent = 3", "'parent' in [[groups]] must be a string");
}

TEST(NodeConfigNode, WorkerIdleDefaultsToWaitAndTakesPoll) {
  auto plain = parse_node_config("[node]\nname = \"n\"\n", "n.toml", standard_kinds());
  ASSERT_TRUE(plain) << describe(plain.error());
  EXPECT_EQ(plain->worker_idle, "wait");
  auto polling = parse_node_config("[node]\nworker_idle = \"poll\"\n", "n.toml", standard_kinds());
  ASSERT_TRUE(polling) << describe(polling.error());
  EXPECT_EQ(polling->worker_idle, "poll");
  auto bad = parse_node_config("[node]\nworker_idle = \"nap\"\n", "n.toml", standard_kinds());
  ASSERT_FALSE(bad);
  EXPECT_NE(describe(bad.error()).find("'node.worker_idle' must be \"wait\" or \"poll\""),
            std::string::npos)
    << describe(bad.error());
}

// Found by tests/fuzz/fuzz_node_config: "node.port=932e74" made toml++ cast a float out of the
// range of int64_t (undefined behaviour) before the reader checked that the value was an integer.
TEST(NodeConfigIntegers, AFloatWhereAnIntegerBelongsIsRefusedWithoutConversion) {
  struct bad_case {
    std::string text;
    std::string says;
  };
  std::vector<bad_case> cases{
    {"node.port=932e74\n", "'node.port' must be an integer from 0 to 65535"},
    {"node.threads=-1e300\n", "'node.threads' must be an integer from 0 to 65535"},
    {"[[groups]]\nname = \"g\"\nwithin_ms = 1e30\n",
     "'within_ms' in [[groups]] must be a non-negative integer"},
    {"[watch]\ndebounce_ms = 9e99\n", "'watch.debounce_ms' must be a non-negative integer"},
    {"[cluster]\nheartbeat_ms = 4e40\n", "'cluster.heartbeat_ms' must be an integer from 1"},
    {"[[plugins]]\nid = \"p\"\nreplicas = 2e20\n", "'replicas' must be an integer from 1 to 256"},
    {"node.port=80.0\n", "'node.port' must be an integer from 0 to 65535"},
    {"[gateway]\nmax_frame_bytes = 1e300\n", "'gateway.max_frame_bytes' must be an integer from 64"},
    {"[http]\ncall_timeout_ms = -9e18\n", "'http.call_timeout_ms' must be an integer from 1"},
  };
  for (const auto& c : cases) {
    auto cfg = parse_node_config(c.text, "f.toml", standard_kinds());
    ASSERT_FALSE(cfg) << c.text;
    EXPECT_EQ(code_name(cfg.error()), "config_error");
    EXPECT_NE(describe(cfg.error()).find(c.says), std::string::npos) << describe(cfg.error());
  }
}

} // namespace
} // namespace troupe::test
