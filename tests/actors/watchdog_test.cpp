// The watchdog measures a call from when it was sent, not from the epoch or the last tick: a first
// call longer than a tick is not a hang, a Lua loop meets its own wall-time limit first, and a real
// hang is reported with how long it really waited. Real actors and a real clock; no sleeps in the
// test itself (the plugin's "hang:N" is the fault under test).

#include <chrono>
#include <fstream>
#include <regex>
#include <string>

#include "actors/supervision_fixture.hpp"

namespace troupe::test {
namespace {

using Watchdog = Supervision;

/// A group with the documented defaults (watchdog 30 s, health checks every 5 s) and no backoff.
group_spec default_root_group() {
  group_spec g;
  g.name = root_group;
  g.backoff.min = milliseconds{0};
  g.backoff.jitter = 0;
  return g;
}

/// The N of "watchdog: no answer for N ms" in a crash detail, or -1.
long reported_ms(const std::string& detail) {
  std::smatch m;
  static const std::regex pattern{"no answer for ([0-9]+) ms"};
  return std::regex_search(detail, m, pattern) ? std::stol(m[1]) : -1;
}

TEST_F(Watchdog, FirstCallLongerThanATickButWithinTheWatchdogIsAnswered) {
  auto g = quiet_group(root_group);
  g.watchdog = milliseconds{600}; // the manager ticks every 150 ms: the call spans a tick
  start({g});
  add("slow");
  ASSERT_TRUE(rt->start_all());
  auto out = exec("slow", "hang:300");
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::string>(*out), "woke");
  EXPECT_EQ(log.count(event_kind::crashed, "slow"), 0u);
}

TEST_F(Watchdog, RealHangIsCaughtAndReportsHowLongTheCallReallyWaited) {
  auto g = quiet_group(root_group);
  g.watchdog = milliseconds{40};
  start({g});
  add("stuck");
  ASSERT_TRUE(rt->start_all());
  auto sent = std::chrono::steady_clock::now();
  auto out = exec("stuck", "hang:400");
  auto waited = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - sent);
  EXPECT_TROUPE_ERROR(out, errc::crashed);
  auto detail = detail_of(out.error());
  auto reported = reported_ms(detail);
  EXPECT_GE(reported, 40) << detail;
  EXPECT_LE(reported, waited.count()) << detail << " (the caller waited " << waited.count()
                                      << " ms)";
  ASSERT_TRUE(log.wait(event_kind::restarted, "stuck"));
}

// The blocking client's own deadline: a call past it is a timeout naming the plugin, and the late
// answer never reaches a later call (the client retires the actor that waited).
TEST_F(Watchdog, ClientCallPastItsDeadlineTimesOutAndItsLateAnswerReachesNoLaterCall) {
  runtime_options opts;
  opts.manager.supervision.groups = {quiet_group(root_group)};
  opts.call_timeout = milliseconds{50};
  rt = std::make_unique<runtime>(sys, std::move(opts));
  add("slow");
  ASSERT_TRUE(rt->start_all());
  auto late = exec("slow", "hang:200");
  EXPECT_TROUPE_ERROR(late, errc::timeout);
  EXPECT_EQ(plugin_of(late.error()), "slow");
  EXPECT_NE(detail_of(late.error()).find("no answer within 50 ms"), std::string::npos)
    << describe(late.error());
  // A patient client waits behind the hang; then the impatient one is answered its own call.
  client patient{sys, rt->manager(), request_timeout};
  auto after_hang = patient.execute("slow", pack(std::string("first")));
  ASSERT_TRUE(after_hang) << describe(after_hang.error());
  EXPECT_EQ(*unpack_as<std::string>(*after_hang), "first");
  auto next = exec("slow", "second");
  ASSERT_TRUE(next) << describe(next.error());
  EXPECT_EQ(*unpack_as<std::string>(*next), "second");
}

class LuaWatchdog : public Watchdog {
protected:
  /// Adds a Lua plugin `id` running `source` under the default supervision settings.
  void add_script(const std::string& id, const std::string& source,
                  std::map<std::string, std::string> settings = {}) {
    auto path = dir.file(id + ".lua");
    std::ofstream{path} << source;
    start({default_root_group()});
    auto md = rt->add(lua_spec(config_for(id, std::move(settings)), path));
    ASSERT_TRUE(md) << describe(md.error());
    ASSERT_TRUE(rt->start_all());
  }

  temp_dir dir;
};

constexpr const char* busy_wait_script =
  "function execute(ms) local t0 = now() while now() - t0 < ms do end return 'done' end\n";

TEST_F(LuaWatchdog, FirstCallOf800MsWithinTheWallTimeLimitSucceeds) {
  add_script("busy", busy_wait_script);
  auto out = rt->execute("busy", pack(std::int64_t{800}));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::string>(*out), "done");
  EXPECT_EQ(log.count(event_kind::crashed, "busy"), 0u);
}

TEST_F(LuaWatchdog, FirstCallThatLoopsForeverGetsTheWallTimeLimitNotTheWatchdog) {
  // Instructions unlimited, so that only the wall clock can stop the loop.
  add_script("spin", "function execute(x) while true do end end\n", {{"limit.instructions", "0"}});
  auto out = rt->execute("spin", pack(std::string("go")));
  EXPECT_TROUPE_ERROR(out, errc::limit_exceeded);
  auto detail = detail_of(out.error());
  EXPECT_NE(detail.find("wall-time limit exceeded (1000 ms per call)"), std::string::npos) << detail;
  EXPECT_EQ(detail.find("watchdog"), std::string::npos) << detail;
  // Not a crash: the same instance serves the next call.
  EXPECT_EQ(log.count(event_kind::crashed, "spin"), 0u);
  auto again = rt->execute("spin", pack(std::string("go")));
  EXPECT_TROUPE_ERROR(again, errc::limit_exceeded);
}

} // namespace
} // namespace troupe::test
