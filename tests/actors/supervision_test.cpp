// Supervision end to end: real plugin actors under a real manager, faults injected through the
// faulty plugin. Tests wait for events (with a deadline), never by sleeping.

#include <condition_variable>
#include <fstream>
#include <functional>
#include <mutex>
#include <vector>

#include <caf/scoped_actor.hpp>

#include "actor_fixture.hpp"
#include "actors/supervision_fixture.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::test {
namespace {

// -- crashes and restarts ------------------------------------------------------------------------

TEST_F(Supervision, CrashedPluginIsRestartedAndServesAgainWithTheReasonInTheAnswer) {
  start();
  auto control = add("w");
  ASSERT_TRUE(rt->start_all());
  auto out = exec("w", "crash");
  EXPECT_TROUPE_ERROR(out, errc::crashed);
  EXPECT_EQ(plugin_of(out.error()), "w");
  EXPECT_NE(detail_of(out.error()).find("execute threw: crash on purpose"), std::string::npos)
    << describe(out.error());
  ASSERT_TRUE(log.wait(event_kind::restarted, "w"));
  EXPECT_EQ(instance_of("w"), 2);
  auto st = rt->stats("w");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->restarts, 1u);
  EXPECT_EQ(st->state.code, state_code::running);
}

TEST_F(Supervision, FatalErrorIsACrashButAnExecuteErrorIsNot) {
  start();
  auto control = add("w");
  ASSERT_TRUE(rt->start_all());
  EXPECT_TROUPE_ERROR(exec("w", "fail"), errc::bad_input);
  EXPECT_EQ(instance_of("w"), 1);
  EXPECT_EQ(log.count(event_kind::crashed, "w"), 0u);
  crash("w", "fatal");
  auto crashed = log.wait(event_kind::crashed, "w");
  ASSERT_TRUE(crashed);
  EXPECT_NE(crashed->detail.find("fatal on purpose"), std::string::npos) << crashed->detail;
  ASSERT_TRUE(log.wait(event_kind::restarted, "w"));
  EXPECT_EQ(instance_of("w"), 2);
}

TEST_F(Supervision, EveryRequestInFlightDuringCrashesIsAnswered) {
  start();
  add("w");
  ASSERT_TRUE(rt->start_all());
  caf::scoped_actor self{sys};
  constexpr int total = 60;
  std::vector<std::string> sent;
  std::vector<decltype(self->request(rt->manager(), request_timeout, execute_atom::value,
                                     std::string{}, payload{}))>
    replies;
  for (int i = 0; i < total; ++i) {
    auto text = (i == 20 || i == 40) ? std::string("crash") : "ping-" + std::to_string(i);
    sent.push_back(text);
    replies.push_back(self->request(rt->manager(), request_timeout, execute_atom::value,
                                    std::string("w"), pack(text)));
  }
  int ok = 0, crashed = 0, other = 0, lost = 0;
  for (int i = 0; i < total; ++i) {
    bool answered = false;
    replies[i].receive(
      [&](payload& out) {
        answered = true;
        ++ok;
        EXPECT_EQ(*unpack_as<std::string>(out), sent[i]);
      },
      [&](caf::error& err) {
        answered = err != caf::sec::request_timeout;
        if (is_troupe_error(err) && err.code() == static_cast<std::uint8_t>(errc::crashed)) {
          ++crashed;
          EXPECT_EQ(plugin_of(err), "w");
        } else if (answered) {
          ++other;
          ADD_FAILURE() << describe(err);
        }
      });
    lost += answered ? 0 : 1;
  }
  EXPECT_EQ(lost, 0);
  EXPECT_EQ(other, 0);
  EXPECT_GE(crashed, 2) << "both crash requests are answered crashed";
  EXPECT_EQ(ok + crashed, total);
  EXPECT_TRUE(exec("w", "after"));
}

TEST_F(Supervision, RequestsArrivingWhileRestartingWaitAndAreServedByTheNewInstance) {
  auto g = quiet_group(root_group);
  g.backoff.min = milliseconds{100};
  g.backoff.max = milliseconds{100};
  start({g});
  add("w");
  ASSERT_TRUE(rt->start_all());
  crash("w");
  ASSERT_TRUE(log.wait(event_kind::crashed, "w"));
  // The manager handled the crash and waits out the backoff: this request is held.
  EXPECT_EQ(instance_of("w"), 2);
  auto restarted = log.wait(event_kind::restarted, "w");
  ASSERT_TRUE(restarted);
  EXPECT_EQ(restarted->delay_ms, 100);
}

TEST_F(Supervision, FailFastAnswersUnavailableWhileRestarting) {
  auto g = quiet_group(root_group);
  g.backoff.min = milliseconds{60000};
  g.backoff.max = milliseconds{60000};
  g.queue.fail_fast = true;
  start({g});
  add("w");
  ASSERT_TRUE(rt->start_all());
  crash("w");
  ASSERT_TRUE(log.wait(event_kind::crashed, "w"));
  auto out = exec("w", "ping");
  EXPECT_TROUPE_ERROR(out, errc::unavailable);
  EXPECT_NE(detail_of(out.error()).find("restarting (fail fast)"), std::string::npos)
    << describe(out.error());
  EXPECT_NE(detail_of(out.error()).find("crash on purpose"), std::string::npos);
}

TEST_F(Supervision, HeldRequestsBeyondTheQueueCapacityAreRefused) {
  auto g = quiet_group(root_group);
  g.backoff.min = milliseconds{200};
  g.backoff.max = milliseconds{200};
  g.queue.capacity = 1;
  start({g});
  add("w");
  ASSERT_TRUE(rt->start_all());
  crash("w");
  ASSERT_TRUE(log.wait(event_kind::crashed, "w"));
  caf::scoped_actor self{sys};
  auto first = self->request(rt->manager(), request_timeout, execute_atom::value,
                             std::string("w"), pack(std::string("one")));
  auto second = self->request(rt->manager(), request_timeout, execute_atom::value,
                              std::string("w"), pack(std::string("two")));
  second.receive([&](payload&) { ADD_FAILURE() << "the second request should be refused"; },
                 [&](caf::error& err) {
                   EXPECT_EQ(err.code(), static_cast<std::uint8_t>(errc::unavailable));
                   EXPECT_NE(detail_of(err).find("queue is full (1 requests)"), std::string::npos)
                     << describe(err);
                 });
  first.receive([&](payload& out) { EXPECT_EQ(*unpack_as<std::string>(out), "one"); },
                [&](caf::error& err) { ADD_FAILURE() << describe(err); });
}

TEST_F(Supervision, HeldRequestTimesOutWhenTheRestartTakesLonger) {
  auto g = quiet_group(root_group);
  g.backoff.min = milliseconds{60000};
  g.backoff.max = milliseconds{60000};
  g.queue.timeout = milliseconds{30};
  start({g});
  add("w");
  ASSERT_TRUE(rt->start_all());
  crash("w");
  ASSERT_TRUE(log.wait(event_kind::crashed, "w"));
  auto out = exec("w", "ping");
  EXPECT_TROUPE_ERROR(out, errc::timeout);
  EXPECT_NE(detail_of(out.error()).find("still restarting after 30 ms"), std::string::npos)
    << describe(out.error());
}

TEST_F(Supervision, CheckpointedStateIsRestoredOnRestart) {
  start();
  add("w");
  ASSERT_TRUE(rt->start_all());
  for (int i = 1; i <= 3; ++i)
    ASSERT_TRUE(exec("w", "inc"));
  crash("w");
  ASSERT_TRUE(log.wait(event_kind::restarted, "w"));
  auto out = exec("w", "inc");
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::int64_t>(*out), 4);
}

TEST_F(Supervision, RestartedPluginReturnsToThePausedStateItHadReached) {
  start();
  add("w");
  ASSERT_TRUE(rt->start_all());
  ASSERT_TRUE(rt->step(lifecycle_op::pause, "w"));
  ASSERT_TRUE(rt->step(lifecycle_op::resume, "w"));
  crash("w");
  ASSERT_TRUE(log.wait(event_kind::restarted, "w"));
  ASSERT_TRUE(rt->step(lifecycle_op::pause, "w"));
  auto st = rt->stats("w");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state.code, state_code::paused);
}

// -- strategies and restart types ----------------------------------------------------------------

TEST_F(Supervision, OneForAllRestartsEverySiblingOfTheGroup) {
  start({quiet_group("g", restart_strategy::one_for_all)});
  for (auto id : {"a", "b", "c"})
    add(id, "g");
  add("outside");
  ASSERT_TRUE(rt->start_all());
  crash("b");
  for (auto id : {"a", "b", "c"})
    ASSERT_TRUE(log.wait(event_kind::restarted, id)) << id;
  EXPECT_TRUE(log.wait(event_kind::stopped, "a"));
  EXPECT_TRUE(log.wait(event_kind::stopped, "c"));
  for (auto id : {"a", "b", "c"})
    EXPECT_EQ(instance_of(id), 2) << id;
  EXPECT_EQ(instance_of("outside"), 1);
}

TEST_F(Supervision, RestForOneRestartsTheCrashedPluginAndThoseStartedAfterIt) {
  start({quiet_group("g", restart_strategy::rest_for_one)});
  for (auto id : {"a", "b", "c"})
    add(id, "g");
  ASSERT_TRUE(rt->start_all());
  crash("b");
  ASSERT_TRUE(log.wait(event_kind::restarted, "b"));
  ASSERT_TRUE(log.wait(event_kind::restarted, "c"));
  EXPECT_EQ(instance_of("a"), 1);
  EXPECT_EQ(instance_of("b"), 2);
  EXPECT_EQ(instance_of("c"), 2);
}

TEST_F(Supervision, OneForOneRestartsOnlyTheCrashedPlugin) {
  start({quiet_group("g")});
  add("a", "g");
  add("b", "g");
  ASSERT_TRUE(rt->start_all());
  crash("a");
  ASSERT_TRUE(log.wait(event_kind::restarted, "a"));
  EXPECT_EQ(instance_of("a"), 2);
  EXPECT_EQ(instance_of("b"), 1);
}

TEST_F(Supervision, TemporaryPluginIsNotRestartedAndAnswersWhy) {
  start();
  add("once", "", "temporary");
  ASSERT_TRUE(rt->start_all());
  crash("once");
  auto removed = log.wait(event_kind::removed, "once");
  ASSERT_TRUE(removed);
  EXPECT_NE(removed->detail.find("temporary"), std::string::npos) << removed->detail;
  auto out = exec("once", "ping");
  EXPECT_TROUPE_ERROR(out, errc::unavailable);
  EXPECT_NE(detail_of(out.error()).find("stopped for good"), std::string::npos);
  EXPECT_EQ(log.count(event_kind::restarted, "once"), 0u);
}

TEST_F(Supervision, TransientPluginIsRestartedAfterACrash) {
  start();
  add("t", "", "transient");
  ASSERT_TRUE(rt->start_all());
  crash("t");
  ASSERT_TRUE(log.wait(event_kind::restarted, "t"));
  EXPECT_EQ(instance_of("t"), 2);
}

TEST_F(Supervision, UnknownRestartTypeIsRefusedAtRegistration) {
  start();
  auto cfg = config_for("odd");
  cfg.restart = "sometimes";
  auto md = rt->add(std::move(cfg), faulty_factory("odd", std::make_shared<fault_control>()));
  EXPECT_TROUPE_ERROR(md, errc::config_error);
  EXPECT_NE(detail_of(md.error()).find("permanent, transient, temporary"), std::string::npos);
}

TEST_F(Supervision, PluginInAnUnknownGroupIsRefusedAtRegistration) {
  start();
  auto cfg = config_for("lost");
  cfg.group = "nowhere";
  auto md = rt->add(std::move(cfg), faulty_factory("lost", std::make_shared<fault_control>()));
  EXPECT_TROUPE_ERROR(md, errc::config_error);
}

// -- intensity, escalation, backoff --------------------------------------------------------------

TEST_F(Supervision, CrashLoopIsStoppedByTheIntensityLimitThroughEscalation) {
  auto g = quiet_group("g");
  g.intensity = {2, milliseconds{60000}};
  auto root = quiet_group(root_group);
  root.intensity = {1, milliseconds{60000}};
  start({g, root});
  add("loop", "g");
  add("bystander");
  ASSERT_TRUE(rt->start_all());
  // Crashes 1 and 2 restart within g; crash 3 exceeds g, which escalates: root restarts g.
  for (std::size_t i = 1; i <= 3; ++i) {
    crash("loop");
    ASSERT_TRUE(log.wait(event_kind::restarted, "loop", i)) << i;
  }
  EXPECT_TRUE(log.wait(event_kind::escalated, "g"));
  // g starts afresh: crashes 4 and 5 restart; crash 6 escalates again, exceeding root.
  for (std::size_t i = 4; i <= 5; ++i) {
    crash("loop");
    ASSERT_TRUE(log.wait(event_kind::restarted, "loop", i)) << i;
  }
  crash("loop");
  ASSERT_TRUE(log.wait(event_kind::gave_up, root_group));
  EXPECT_EQ(log.count(event_kind::escalated, "g"), 2u);
  EXPECT_EQ(log.count(event_kind::restarted, "loop"), 5u);
  for (auto id : {"loop", "bystander"}) {
    auto out = exec(id, "ping");
    EXPECT_TROUPE_ERROR(out, errc::unavailable);
    EXPECT_NE(detail_of(out.error()).find("stopped for good"), std::string::npos)
      << describe(out.error());
  }
}

TEST_F(Supervision, BackoffDelaysDoubleAndEachRestartWaitsForItsDelay) {
  auto g = quiet_group(root_group);
  g.backoff.min = milliseconds{20};
  g.backoff.max = milliseconds{1000};
  g.backoff.multiplier = 2;
  start({g});
  add("w");
  ASSERT_TRUE(rt->start_all());
  const std::int64_t expected[] = {20, 40, 80};
  for (std::size_t i = 1; i <= 3; ++i) {
    crash("w");
    auto crashed = log.wait(event_kind::crashed, "w", i);
    auto restarted = log.wait(event_kind::restarted, "w", i);
    ASSERT_TRUE(crashed && restarted) << i;
    EXPECT_EQ(restarted->attempt, i);
    EXPECT_EQ(restarted->delay_ms, expected[i - 1]);
    // Event times are wall-clock milliseconds: allow one for rounding.
    EXPECT_GE(restarted->time_ms - crashed->time_ms, expected[i - 1] - 1);
  }
}

// -- health checks and the watchdog ------------------------------------------------------------

TEST_F(Supervision, FailingHealthChecksInARowCrashThePlugin) {
  auto g = quiet_group(root_group);
  g.health.interval = milliseconds{10};
  g.health.failures = 2;
  start({g});
  auto control = add("sick");
  ASSERT_TRUE(rt->start_all());
  control->healthy = false;
  auto unhealthy = log.wait(event_kind::health_changed, "sick");
  ASSERT_TRUE(unhealthy);
  EXPECT_NE(unhealthy->detail.find("told to be unhealthy"), std::string::npos)
    << unhealthy->detail;
  auto crashed = log.wait(event_kind::crashed, "sick");
  ASSERT_TRUE(crashed);
  EXPECT_NE(crashed->detail.find("health check failed 2 times in a row"), std::string::npos)
    << crashed->detail;
  control->healthy = true;
  ASSERT_TRUE(log.wait(event_kind::restarted, "sick"));
  EXPECT_TRUE(exec("sick", "ping"));
}

TEST_F(Supervision, HangingCallIsCaughtByTheWatchdogAndTheNewInstanceServes) {
  auto g = quiet_group(root_group);
  g.watchdog = milliseconds{40};
  start({g});
  add("slow");
  ASSERT_TRUE(rt->start_all());
  auto out = exec("slow", "hang:400");
  EXPECT_TROUPE_ERROR(out, errc::crashed);
  EXPECT_NE(detail_of(out.error()).find("watchdog"), std::string::npos) << describe(out.error());
  ASSERT_TRUE(log.wait(event_kind::restarted, "slow"));
  // The old instance still sleeps on its thread; the new one answers.
  EXPECT_EQ(instance_of("slow"), 2);
}

// -- plugins the runtime cannot make again -----------------------------------------------------

TEST_F(Supervision, PluginAddedWithoutAFactoryIsUnregisteredWhenItCrashes) {
  start();
  auto control = std::make_shared<fault_control>();
  ASSERT_TRUE(rt->add(config_for("raw"), std::make_unique<faulty_plugin>("raw", control)));
  ASSERT_TRUE(rt->start_all());
  crash("raw");
  ASSERT_TRUE(log.wait(event_kind::crashed, "raw"));
  EXPECT_TROUPE_ERROR(rt->metadata("raw"), errc::not_found);
}

// -- Lua plugins ---------------------------------------------------------------------------------

TEST_F(Supervision, LuaPluginWhoseStateCannotRecoverIsRestartedWithItsSnapshot) {
  temp_dir dir;
  auto path = dir.file("hoarder.lua");
  {
    std::ofstream out{path};
    out << "count = 0\n"
           "hoard = {}\n"
           "function execute(x)\n"
           "  if x == 'hoard' then\n"
           "    while true do hoard[#hoard + 1] = {} end\n"
           "  end\n"
           "  count = count + 1\n"
           "  return count\n"
           "end\n"
           "function snapshot() return {count = count} end\n"
           "function restore(s) count = s.count end\n";
  }
  start();
  auto md = rt->add(lua_spec(config_for("hoarder", {{"limit.memory", "2000000"}}), path));
  ASSERT_TRUE(md) << describe(md.error());
  ASSERT_TRUE(rt->start_all());
  ASSERT_TRUE(exec("hoarder", "one"));
  ASSERT_TRUE(exec("hoarder", "two"));
  auto out = exec("hoarder", "hoard");
  EXPECT_TROUPE_ERROR(out, errc::crashed);
  EXPECT_NE(detail_of(out.error()).find("the Lua state cannot recover"), std::string::npos)
    << describe(out.error());
  ASSERT_TRUE(log.wait(event_kind::restarted, "hoarder"));
  auto next = exec("hoarder", "three");
  ASSERT_TRUE(next) << describe(next.error());
  EXPECT_EQ(*unpack_as<std::int64_t>(*next), 3) << "the snapshot's count was restored";
}

} // namespace
} // namespace troupe::test
