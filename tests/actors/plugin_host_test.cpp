// The plugin host actor: every lifecycle step from every reachable position, failing hooks,
// failing executes and statistics. Each test talks to a real actor through blocking requests.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "actor_fixture.hpp"
#include "actors/plugin_host.hpp"
#include "messages/msgpack_codec.hpp"
#include "scripted_plugin.hpp"

namespace troupe::test {
namespace {

/// The positions a plugin actor can really be in.
enum class position { unloaded, loaded_fresh, loaded_initialized, running, paused, error };

const std::vector<position> all_positions{position::unloaded, position::loaded_fresh,
                                          position::loaded_initialized, position::running,
                                          position::paused, position::error};
const std::vector<lifecycle_op> all_ops{lifecycle_op::load,  lifecycle_op::init,
                                        lifecycle_op::start, lifecycle_op::pause,
                                        lifecycle_op::resume, lifecycle_op::stop,
                                        lifecycle_op::unload};

const char* name(position p) {
  switch (p) {
    case position::unloaded: return "Unloaded";
    case position::loaded_fresh: return "Loaded";
    case position::loaded_initialized: return "Loaded(initialized)";
    case position::running: return "Running";
    case position::paused: return "Paused";
    case position::error: return "Error";
  }
  return "?";
}

state_code code_of(position p) {
  switch (p) {
    case position::unloaded: return state_code::unloaded;
    case position::loaded_fresh:
    case position::loaded_initialized: return state_code::loaded;
    case position::running: return state_code::running;
    case position::paused: return state_code::paused;
    case position::error: return state_code::error;
  }
  return state_code::error;
}

/// The documented transitions, from the plugin actor's point of view.
std::optional<position> legal_next(position from, lifecycle_op op) {
  using p = position;
  using o = lifecycle_op;
  if (from == p::unloaded && op == o::load) return p::loaded_fresh;
  if (from == p::loaded_fresh && op == o::init) return p::loaded_initialized;
  if (from == p::loaded_initialized && op == o::start) return p::running;
  if (from == p::running && op == o::pause) return p::paused;
  if (from == p::paused && op == o::resume) return p::running;
  if ((from == p::running || from == p::paused) && op == o::stop) return p::loaded_initialized;
  if ((from == p::loaded_fresh || from == p::loaded_initialized || from == p::error)
      && op == o::unload)
    return p::unloaded;
  return std::nullopt;
}

class PluginHost : public actor_fixture {
protected:
  /// Spawns a host for a scripted plugin named `id`.
  plugin_actor spawn(script s) {
    log = s.log;
    auto id = s.id; // copied before s is moved from
    return spawn_plugin_host(sys, std::move(id), make_scripted(std::move(s)),
                             std::make_shared<shared_state>());
  }

  plugin_actor spawn(const std::string& id = "scripted") {
    script s;
    s.id = id;
    return spawn(std::move(s));
  }

  /// Steps `host` (a healthy scripted plugin, or one whose init fails for `error`) to `target`.
  void bring_to(const plugin_actor& host, position target) {
    std::vector<lifecycle_op> path;
    switch (target) {
      case position::unloaded: break;
      case position::loaded_fresh: path = {lifecycle_op::load}; break;
      case position::loaded_initialized: path = {lifecycle_op::load, lifecycle_op::init}; break;
      case position::running:
        path = {lifecycle_op::load, lifecycle_op::init, lifecycle_op::start};
        break;
      case position::paused:
        path = {lifecycle_op::load, lifecycle_op::init, lifecycle_op::start, lifecycle_op::pause};
        break;
      case position::error: path = {lifecycle_op::load, lifecycle_op::init}; break;
    }
    for (auto op : path) {
      auto result = step(host, op, config_for(id_of_host));
      if (target != position::error || op != lifecycle_op::init) {
        ASSERT_TRUE(result) << to_string(op) << ": " << describe(result.error());
      }
    }
    ASSERT_EQ(state_of(host).code, code_of(target));
  }

  /// A scripted plugin ready to be brought to `target` (init fails when target is Error).
  plugin_actor spawn_for(position target) {
    script s;
    s.id = id_of_host;
    if (target == position::error)
      s.failing_hooks[lifecycle_op::init] = failure::error;
    return spawn(std::move(s));
  }

  caf::expected<payload> execute(const plugin_actor& host, const payload& in) {
    return ask<payload>(host, execute_atom::value, in);
  }

  caf::expected<plugin_stats> stats(const plugin_actor& host) {
    return ask<plugin_stats>(host, stats_atom::value);
  }

  caf::expected<plugin_health> health(const plugin_actor& host) {
    return ask<plugin_health>(host, health_atom::value);
  }

  std::string id_of_host = "scripted";
  std::shared_ptr<hook_log> log;
};

// -- every step from every position --------------------------------------------------------------

TEST_F(PluginHost, EveryStepFromEveryPositionFollowsTheLifecycle) {
  int legal = 0;
  for (auto from : all_positions) {
    for (auto op : all_ops) {
      SCOPED_TRACE(std::string(to_string(op)) + " from " + name(from));
      auto host = spawn_for(from);
      bring_to(host, from);
      if (HasFatalFailure())
        return;
      auto before = state_of(host);
      auto hooks_before = log->entries().size();
      auto result = step(host, op, config_for(id_of_host));
      auto want = legal_next(from, op);
      if (want) {
        ++legal;
        ASSERT_TRUE(result) << describe(result.error());
        EXPECT_EQ(result->code, code_of(*want));
        EXPECT_EQ(state_of(host).code, code_of(*want));
        // The plugin's own hook ran exactly once for a legal step.
        auto entries = log->entries();
        ASSERT_EQ(entries.size(), hooks_before + 1);
        EXPECT_EQ(entries.back(), id_of_host + ":" + to_string(op));
      } else {
        ASSERT_FALSE(result) << "illegal step answered " << to_string(*result);
        EXPECT_TRUE(is_troupe_error(result.error())) << describe(result.error());
        EXPECT_EQ(result.error().code(), static_cast<std::uint8_t>(errc::invalid_state))
          << describe(result.error());
        EXPECT_EQ(plugin_of(result.error()), id_of_host);
        // Nothing changed: same state (with the same reason), no hook ran.
        EXPECT_EQ(state_of(host), before);
        EXPECT_EQ(log->entries().size(), hooks_before);
        auto h = health(host);
        ASSERT_TRUE(h) << describe(h.error());
        EXPECT_EQ(h->state, before);
      }
    }
  }
  // load, init, start, pause, resume, stop x2 (Running, Paused), unload x3 (two Loaded, Error).
  EXPECT_EQ(legal, 10);
}

TEST_F(PluginHost, IllegalStepKeepsInitializationFlag) {
  // Loaded(initialized): an illegal init must not reset "initialized", so start still works.
  auto host = spawn();
  bring_to(host, position::loaded_initialized);
  EXPECT_TROUPE_ERROR(step(host, lifecycle_op::init, {}), errc::invalid_state);
  EXPECT_TROUPE_ERROR(step(host, lifecycle_op::resume, {}), errc::invalid_state);
  auto started = step(host, lifecycle_op::start, {});
  ASSERT_TRUE(started) << describe(started.error());
  EXPECT_EQ(started->code, state_code::running);
}

TEST_F(PluginHost, IllegalStepOnFreshLoadKeepsItUninitialized) {
  auto host = spawn();
  bring_to(host, position::loaded_fresh);
  EXPECT_TROUPE_ERROR(step(host, lifecycle_op::start, {}), errc::invalid_state);
  EXPECT_TROUPE_ERROR(step(host, lifecycle_op::start, {}), errc::invalid_state);
  EXPECT_TRUE(step(host, lifecycle_op::init, {}));
}

TEST_F(PluginHost, StopGoesBackToLoadedAndStartAfterStopNeedsNoInit) {
  auto host = spawn();
  bring_to(host, position::running);
  auto stopped = step(host, lifecycle_op::stop, {});
  ASSERT_TRUE(stopped) << describe(stopped.error());
  EXPECT_EQ(*stopped, (plugin_state{state_code::loaded, {}}));
  auto restarted = step(host, lifecycle_op::start, {});
  ASSERT_TRUE(restarted) << describe(restarted.error());
  EXPECT_EQ(restarted->code, state_code::running);
  EXPECT_EQ(log->plugins_that_ran("init").size(), 1u);
  EXPECT_EQ(log->plugins_that_ran("start").size(), 2u);
  auto out = execute(host, pack(std::string("again")));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, pack(std::string("again")));
}

TEST_F(PluginHost, StopFromPausedGoesBackToLoaded) {
  auto host = spawn();
  bring_to(host, position::paused);
  auto stopped = step(host, lifecycle_op::stop, {});
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->code, state_code::loaded);
}

TEST_F(PluginHost, UnloadFromRunningIsIllegalAndKeepsServing) {
  auto host = spawn();
  bring_to(host, position::running);
  auto result = step(host, lifecycle_op::unload, {});
  EXPECT_TROUPE_ERROR(result, errc::invalid_state);
  EXPECT_NE(describe(result.error()).find("stop it first"), std::string::npos);
  EXPECT_EQ(state_of(host).code, state_code::running);
  EXPECT_TRUE(execute(host, pack(1)));
}

TEST_F(PluginHost, FullCycleCanLoadAgainAfterUnloadAndMustInitAgain) {
  auto host = spawn();
  bring_to(host, position::running);
  for (auto op : {lifecycle_op::stop, lifecycle_op::unload, lifecycle_op::load})
    ASSERT_TRUE(step(host, op, config_for(id_of_host))) << to_string(op);
  EXPECT_TROUPE_ERROR(step(host, lifecycle_op::start, {}), errc::invalid_state);
  ASSERT_TRUE(step(host, lifecycle_op::init, {}));
  ASSERT_TRUE(step(host, lifecycle_op::start, {}));
  EXPECT_EQ(log->plugins_that_ran("load").size(), 2u);
}

TEST_F(PluginHost, LoadWithAnotherPluginsConfigIsBadInputAndChangesNothing) {
  auto host = spawn("mine");
  id_of_host = "mine";
  auto result = step(host, lifecycle_op::load, config_for("someone-else"));
  EXPECT_TROUPE_ERROR(result, errc::bad_input);
  EXPECT_EQ(plugin_of(result.error()), "mine");
  EXPECT_EQ(state_of(host).code, state_code::unloaded);
  EXPECT_TRUE(log->entries().empty());
}

TEST_F(PluginHost, LoadWithEmptyConfigIdUsesTheHostId) {
  auto host = spawn("mine");
  auto result = step(host, lifecycle_op::load, plugin_config{});
  ASSERT_TRUE(result) << describe(result.error());
  EXPECT_EQ(log->entries(), (std::vector<std::string>{"mine:load"}));
}

// -- execute outside Running ---------------------------------------------------------------------

TEST_F(PluginHost, ExecuteWhileNotRunningIsInvalidStateAndChangesNothing) {
  for (auto from : {position::unloaded, position::loaded_fresh, position::loaded_initialized,
                    position::paused, position::error}) {
    SCOPED_TRACE(name(from));
    auto host = spawn_for(from);
    bring_to(host, from);
    auto before = state_of(host);
    auto out = execute(host, pack(std::string("hi")));
    EXPECT_TROUPE_ERROR(out, errc::invalid_state);
    EXPECT_EQ(plugin_of(out.error()), id_of_host);
    EXPECT_NE(detail_of(out.error()).find("cannot execute while"), std::string::npos)
      << describe(out.error());
    EXPECT_EQ(state_of(host), before);
  }
}

TEST_F(PluginHost, ExecuteWhilePausedIsInvalidStateAndResumeServesAgain) {
  auto host = spawn();
  bring_to(host, position::paused);
  auto out = execute(host, pack(std::string("hi")));
  EXPECT_TROUPE_ERROR(out, errc::invalid_state);
  EXPECT_EQ(describe(out.error()),
            "invalid_state: plugin 'scripted': cannot execute while Paused: start it first");
  ASSERT_TRUE(step(host, lifecycle_op::resume, {}));
  auto again = execute(host, pack(std::string("hi")));
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_EQ(*again, pack(std::string("hi")));
}

// -- failing hooks -------------------------------------------------------------------------------

TEST_F(PluginHost, InitReturningAnErrorIsPluginFailedAndMovesToError) {
  script s;
  s.id = "fragile";
  s.failing_hooks[lifecycle_op::init] = failure::error;
  auto host = spawn(s);
  ASSERT_TRUE(step(host, lifecycle_op::load, config_for("fragile")));
  auto result = step(host, lifecycle_op::init, {});
  EXPECT_TROUPE_ERROR(result, errc::plugin_failed);
  // The plugin returned its error without a name; the host attributes it.
  EXPECT_EQ(plugin_of(result.error()), "fragile");
  EXPECT_NE(describe(result.error()).find("init refused"), std::string::npos);
  auto state = state_of(host);
  EXPECT_EQ(state.code, state_code::error);
  EXPECT_NE(state.reason.find("init failed"), std::string::npos) << state.reason;
  EXPECT_NE(state.reason.find("init refused"), std::string::npos) << state.reason;
}

TEST_F(PluginHost, StartThrowingCrashesTheActorAndAnswersCrashedWithTheExceptionText) {
  // An exception escaping plugin code is a crash: the call gets errc::crashed naming the plugin
  // and the exception, then the actor ends with that error (its supervisor restarts it).
  script s;
  s.id = "thrower";
  s.failing_hooks[lifecycle_op::start] = failure::exception;
  auto host = spawn(s);
  ASSERT_TRUE(step(host, lifecycle_op::load, config_for("thrower")));
  ASSERT_TRUE(step(host, lifecycle_op::init, {}));
  caf::scoped_actor self{sys};
  self->monitor(host);
  auto result = step(host, lifecycle_op::start, {});
  EXPECT_TROUPE_ERROR(result, errc::crashed);
  EXPECT_EQ(plugin_of(result.error()), "thrower");
  EXPECT_NE(describe(result.error()).find("start threw: start exploded on purpose"),
            std::string::npos)
    << describe(result.error());
  caf::error reason;
  self->receive([&](caf::down_msg& msg) { reason = msg.reason; },
                caf::after(request_timeout) >> [] {});
  EXPECT_TROUPE_ERROR(caf::expected<int>{reason}, errc::crashed);
  EXPECT_EQ(plugin_of(reason), "thrower");
}

TEST_F(PluginHost, HookReturningAForeignCafErrorBecomesPluginFailed) {
  script s;
  s.id = "foreign";
  s.failing_hooks[lifecycle_op::load] = failure::foreign_error;
  auto host = spawn(s);
  auto result = step(host, lifecycle_op::load, config_for("foreign"));
  EXPECT_TROUPE_ERROR(result, errc::plugin_failed);
  EXPECT_EQ(plugin_of(result.error()), "foreign");
  EXPECT_NE(detail_of(result.error()).find("invalid_argument"), std::string::npos)
    << describe(result.error());
  EXPECT_EQ(state_of(host).code, state_code::error);
}

TEST_F(PluginHost, EveryHookReturningAnErrorMovesToErrorAndTheActorLives) {
  for (auto op : {lifecycle_op::load, lifecycle_op::init, lifecycle_op::start, lifecycle_op::pause,
                  lifecycle_op::resume, lifecycle_op::stop}) {
    SCOPED_TRACE(to_string(op));
    script s;
    s.id = "failing";
    s.failing_hooks[op] = failure::error;
    auto host = spawn(s);
    std::vector<lifecycle_op> path{lifecycle_op::load, lifecycle_op::init, lifecycle_op::start};
    if (op == lifecycle_op::resume)
      path.push_back(lifecycle_op::pause);
    path.push_back(op);
    caf::expected<plugin_state> last{plugin_state{}};
    for (auto p : path) {
      last = step(host, p, config_for("failing"));
      if (p == op)
        break;
      ASSERT_TRUE(last) << to_string(p) << ": " << describe(last.error());
    }
    EXPECT_TROUPE_ERROR(last, errc::plugin_failed);
    EXPECT_EQ(state_of(host).code, state_code::error);
    EXPECT_TRUE(step(host, lifecycle_op::unload, {}));
  }
}

TEST_F(PluginHost, FailingUnloadStillEndsUnloadedButReportsTheError) {
  script s;
  s.id = "sticky";
  s.failing_hooks[lifecycle_op::unload] = failure::error;
  auto host = spawn(s);
  ASSERT_TRUE(step(host, lifecycle_op::load, config_for("sticky")));
  auto result = step(host, lifecycle_op::unload, {});
  EXPECT_TROUPE_ERROR(result, errc::plugin_failed);
  EXPECT_EQ(plugin_of(result.error()), "sticky");
  EXPECT_EQ(state_of(host).code, state_code::unloaded);
}

// -- failing executes ----------------------------------------------------------------------------

TEST_F(PluginHost, ExecuteThrowingAnswersCrashedAndEndsTheActor) {
  auto host = spawn("worker");
  id_of_host = "worker";
  bring_to(host, position::running);
  caf::scoped_actor self{sys};
  self->monitor(host);
  auto thrown = execute(host, pack(std::string("throw")));
  EXPECT_TROUPE_ERROR(thrown, errc::crashed);
  EXPECT_EQ(plugin_of(thrown.error()), "worker");
  EXPECT_NE(describe(thrown.error()).find("execute threw: execute exploded on purpose"),
            std::string::npos)
    << describe(thrown.error());
  bool down = false;
  self->receive([&](caf::down_msg& msg) { down = plugin_of(msg.reason) == "worker"; },
                caf::after(request_timeout) >> [] {});
  EXPECT_TRUE(down);
}

TEST_F(PluginHost, ExecuteReturningAnErrorIsNotACrashAndTheNextCallIsServed) {
  auto host = spawn("worker");
  id_of_host = "worker";
  bring_to(host, position::running);
  EXPECT_TROUPE_ERROR(execute(host, pack(std::string("fail"))), errc::bad_input);
  auto next = execute(host, pack(std::string("next")));
  ASSERT_TRUE(next) << describe(next.error());
  EXPECT_EQ(*next, pack(std::string("next")));
  EXPECT_EQ(state_of(host).code, state_code::running);
}

TEST_F(PluginHost, ExecuteErrorsKeepTheirCodeAndGetThePluginName) {
  auto host = spawn("worker");
  id_of_host = "worker";
  bring_to(host, position::running);
  auto failed = execute(host, pack(std::string("fail")));
  EXPECT_TROUPE_ERROR(failed, errc::bad_input);
  EXPECT_EQ(plugin_of(failed.error()), "worker");
  EXPECT_EQ(detail_of(failed.error()), "told to fail");
  auto foreign = execute(host, pack(std::string("fail-foreign")));
  EXPECT_TROUPE_ERROR(foreign, errc::plugin_failed);
  EXPECT_EQ(plugin_of(foreign.error()), "worker");
}

// -- statistics ----------------------------------------------------------------------------------

TEST_F(PluginHost, StatsAreZeroBeforeTheFirstCall) {
  auto host = spawn();
  auto st = stats(host);
  ASSERT_TRUE(st) << describe(st.error());
  EXPECT_EQ(st->id, "scripted");
  EXPECT_EQ(st->calls, 0u);
  EXPECT_EQ(st->failures, 0u);
  EXPECT_EQ(st->mean_us, 0.0);
  EXPECT_EQ(st->p50_us, 0.0);
  EXPECT_EQ(st->p99_us, 0.0);
  EXPECT_TRUE(st->counters.empty()) << "counters are only asked for after load";
}

TEST_F(PluginHost, StatsCountCallsFailuresLatenciesAndPluginCounters) {
  script s;
  s.busy = std::chrono::microseconds{20};
  auto host = spawn(s);
  bring_to(host, position::running);
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(execute(host, pack(i)));
  EXPECT_FALSE(execute(host, pack(std::string("fail"))));
  EXPECT_FALSE(execute(host, pack(std::string("fail"))));
  EXPECT_FALSE(execute(host, pack(std::string("fail"))));
  auto st = stats(host);
  ASSERT_TRUE(st) << describe(st.error());
  EXPECT_EQ(st->calls, 13u);
  EXPECT_EQ(st->failures, 3u);
  // Every call busy-waits 20 us inside execute, which the host measures.
  EXPECT_GE(st->mean_us, 20.0);
  EXPECT_GE(st->p50_us, 20.0);
  EXPECT_GE(st->p99_us, st->p50_us);
  EXPECT_EQ(st->state.code, state_code::running);
  EXPECT_EQ(st->counters.at("executes"), 13);
}

TEST_F(PluginHost, RejectedExecuteCountsAsAFailedCall) {
  auto host = spawn();
  bring_to(host, position::loaded_initialized);
  EXPECT_FALSE(execute(host, pack(1)));
  auto st = stats(host);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->calls, 1u);
  EXPECT_EQ(st->failures, 1u);
  EXPECT_EQ(st->counters.at("executes"), 0) << "the plugin itself was never called";
}

// Known bug (see the test report): an execute rejected outside Running is recorded with a
// latency of 0 ns, although plugin_stats documents latencies as measured around the plugin's
// execute. Rejected calls thus drag the mean and percentiles of real calls towards 0.
TEST_F(PluginHost, RejectedExecutesDoNotDragLatenciesTowardsZero) {
  script s;
  s.busy = std::chrono::microseconds{20};
  auto host = spawn(s);
  bring_to(host, position::loaded_initialized);
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(execute(host, pack(i)));
  ASSERT_TRUE(step(host, lifecycle_op::start, {}));
  ASSERT_TRUE(execute(host, pack(1)));
  auto st = stats(host);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->calls, 4u);
  EXPECT_GE(st->mean_us, 20.0);
  EXPECT_GE(st->p50_us, 20.0);
}

// -- health and metadata -------------------------------------------------------------------------

TEST_F(PluginHost, HealthFollowsTheState) {
  auto host = spawn();
  auto h = health(host);
  ASSERT_TRUE(h);
  EXPECT_FALSE(h->healthy);
  EXPECT_EQ(h->detail, "not loaded");
  bring_to(host, position::running);
  h = health(host);
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->healthy);
  EXPECT_EQ(h->id, "scripted");
  EXPECT_EQ(h->state.code, state_code::running);
}

TEST_F(PluginHost, MetadataUsesTheHostIdAndMergesConfigDependencies) {
  script s;
  s.id = "instance-7";
  s.dependencies = {"db"};
  auto host = spawn(s);
  ASSERT_TRUE(step(host, lifecycle_op::load, config_for("instance-7", {}, {"db", "cache"})));
  auto md = ask<plugin_metadata>(host, metadata_atom::value);
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->id, "instance-7");
  EXPECT_EQ(md->dependencies, (std::vector<std::string>{"db", "cache"}));
}

} // namespace
} // namespace troupe::test
