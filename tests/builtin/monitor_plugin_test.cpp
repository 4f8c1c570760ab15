// The monitor plugin without actors: its settings, the observe request it is fed (and bad ones),
// its answers on an injected clock, the rules op, and webhook URLs.

#include <gtest/gtest.h>

#include "actor_fixture.hpp"
#include "messages/json_codec.hpp"
#include "plugins/builtin/monitor/monitor_plugin.hpp"

namespace troupe::builtin {
namespace {

using nlohmann::json;

constexpr const char* one_rule =
  R"([{"name": "errs", "kind": "error_rate", "plugin": "a", "threshold": 0.5, "min_calls": 2}])";

/// A loaded monitor on a clock the test sets.
struct loaded_monitor {
  explicit loaded_monitor(std::map<std::string, std::string> settings)
    : mon([this] { return now; }),
      ctx(test::config_for("mon", std::move(settings)), std::make_shared<shared_state>()) {
    load_error = mon.load(ctx);
  }

  caf::expected<json> call(const json& request) {
    auto out = mon.execute(ctx, payload_from_json(request));
    if (!out)
      return std::move(out.error());
    return payload_to_json(*out);
  }

  std::int64_t now = 5000;
  monitor_plugin mon;
  plugin_context ctx;
  caf::error load_error;
};

TEST(MonitorPlugin, ObserveAnswersTheAlertsOfItsRulesAtTheClocksTime) {
  loaded_monitor m{{{"rules", one_rule}}};
  ASSERT_FALSE(m.load_error) << describe(m.load_error);
  auto quiet = m.call({{"op", "observe"}, {"stats", {{{"id", "a"}, {"calls", 4}, {"failures", 1}}}}});
  ASSERT_TRUE(quiet) << describe(quiet.error());
  EXPECT_EQ(*quiet, (json{{"alerts", json::array()}}));
  m.now = 6000;
  auto loud = m.call({{"op", "observe"},
                      {"stats", {{{"id", "a"}, {"calls", 8}, {"failures", 5}, {"p99_us", 12.5}}}},
                      {"events", {{{"kind", "restarted"}, {"plugin", "a"}, {"time_ms", 5500}}}}});
  ASSERT_TRUE(loud) << describe(loud.error());
  ASSERT_EQ(loud->at("alerts").size(), 1u) << loud->dump();
  const auto& a = loud->at("alerts")[0];
  EXPECT_EQ(a["rule"], "errs");
  EXPECT_EQ(a["kind"], "error_rate");
  EXPECT_EQ(a["plugin"], "a");
  EXPECT_DOUBLE_EQ(a["value"].get<double>(), 5.0 / 8);
  EXPECT_EQ(a["time_ms"], 6000);
  auto counters = m.mon.counters();
  EXPECT_EQ(counters["observations"], 2);
  EXPECT_EQ(counters["alerts"], 1);
  EXPECT_EQ(counters["webhooks_sent"], 0);
}

TEST(MonitorPlugin, BadObservationsAreBadInputNamingThePlugin) {
  loaded_monitor m{{{"rules", one_rule}}};
  ASSERT_FALSE(m.load_error);
  for (const json& bad : {json(42), json{{"op", "watch"}}, json{{"op", "observe"}, {"stats", 3}},
                          json{{"op", "observe"}, {"stats", {1, 2}}},
                          json{{"op", "observe"}, {"stats", {{{"calls", 1}}}}},
                          json{{"op", "observe"}, {"stats", {{{"id", "a"}, {"calls", -1}}}}},
                          json{{"op", "observe"}, {"stats", {{{"id", "a"}, {"p99_us", "slow"}}}}},
                          json{{"op", "observe"}, {"events", {{{"plugin", "a"}}}}}}) {
    auto out = m.call(bad);
    ASSERT_FALSE(out) << bad.dump();
    EXPECT_EQ(out.error().code(), static_cast<std::uint8_t>(errc::bad_input)) << bad.dump();
    EXPECT_EQ(plugin_of(out.error()), "mon") << bad.dump();
  }
  EXPECT_EQ(m.mon.counters()["observations"], 0);
}

TEST(MonitorPlugin, TheRulesOpAnswersTheRulesWithTheirDefaults) {
  loaded_monitor m{{{"rules", one_rule}}};
  auto rules = m.call({{"op", "rules"}});
  ASSERT_TRUE(rules) << describe(rules.error());
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0]["name"], "errs");
  EXPECT_EQ((*rules)[0]["window_ms"], 60000);
  EXPECT_EQ((*rules)[0]["cooldown_ms"], 300000);
  EXPECT_EQ((*rules)[0]["aggregate"], false);
}

TEST(MonitorPlugin, BadSettingsFailTheLoadWithAConfigError) {
  std::vector<std::map<std::string, std::string>> bad = {
    {},
    {{"rules", "[{]"}},
    {{"rules", one_rule}, {"interval_ms", "0"}},
    {{"rules", one_rule}, {"webhook_timeout_ms", "soon"}},
    {{"rules", one_rule}, {"webhook_url", "https://example.com/hook"}},
    {{"rules", one_rule}, {"webhook_url", "http:///hook"}},
  };
  for (const auto& settings : bad) {
    loaded_monitor m{settings};
    ASSERT_TRUE(m.load_error);
    EXPECT_EQ(m.load_error.code(), static_cast<std::uint8_t>(errc::config_error))
      << describe(m.load_error);
  }
}

TEST(Webhook, UrlsAreSplitIntoOriginAndPath) {
  auto t = parse_webhook_url("http://127.0.0.1:9000/alerts/x?y=1", "mon");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->origin, "http://127.0.0.1:9000");
  EXPECT_EQ(t->path, "/alerts/x?y=1");
  auto bare = parse_webhook_url("http://alerts.example", "mon");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->origin, "http://alerts.example:80");
  EXPECT_EQ(bare->path, "/");
}

} // namespace
} // namespace troupe::builtin
