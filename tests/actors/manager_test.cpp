// The manager through troupe::runtime and troupe::client: registration, lookup, listing, health,
// stats, dependency order for bulk steps, and errors crossing actor boundaries intact.

#include <string>
#include <vector>

#include <caf/after.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include "actor_fixture.hpp"
#include "actors/plugin_host.hpp"
#include "actors/runtime.hpp"
#include "messages/msgpack_codec.hpp"
#include "scripted_plugin.hpp"

namespace troupe::test {
namespace {

using ids = std::vector<std::string>;

runtime_options test_options() {
  runtime_options opts;
  opts.call_timeout = std::chrono::milliseconds{10000};
  opts.manager.lifecycle_timeout = std::chrono::milliseconds{10000};
  opts.manager.query_timeout = std::chrono::milliseconds{10000};
  opts.natives = example_natives(); // "echo", "kv_store"
  return opts;
}

class Manager : public actor_fixture {
protected:
  /// Adds a scripted plugin that logs into the shared `log`.
  void add_scripted(const std::string& id, std::vector<std::string> deps = {},
                    std::int32_t priority = 0, std::vector<std::string> config_deps = {}) {
    script s;
    s.id = id;
    s.dependencies = std::move(deps);
    s.priority = priority;
    s.log = log;
    auto md = rt.add(config_for(id, {}, std::move(config_deps)), make_scripted(std::move(s)));
    ASSERT_TRUE(md) << describe(md.error());
  }

  std::vector<std::string> listed_ids() {
    std::vector<std::string> result;
    auto all = rt.list();
    EXPECT_TRUE(all) << describe(all.error());
    if (all)
      for (const auto& info : *all)
        result.push_back(info.metadata.id);
    return result;
  }

  std::shared_ptr<hook_log> log = std::make_shared<hook_log>();
  runtime rt{sys, test_options()};
};

// -- registration and lookup ---------------------------------------------------------------------

TEST_F(Manager, ExecuteEchoByIdReturnsTheSamePayload) {
  ASSERT_TRUE(rt.add(native_spec(config_for("echo"), "echo")));
  ASSERT_TRUE(rt.start_all());
  auto out = rt.execute("echo", pack(std::string("hi")));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, pack(std::string("hi")));
  auto text = unpack_as<std::string>(*out);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "hi");
}

TEST_F(Manager, RegisterAnswersMetadataWithTheConfigId) {
  auto md = rt.add(native_spec(config_for("my-echo"), "echo"));
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->id, "my-echo");
  EXPECT_EQ(md->name, "Echo");
  EXPECT_EQ(md->type, (plugin_type{plugin_kind::tool, {}}));
  auto again = rt.metadata("my-echo");
  ASSERT_TRUE(again) << describe(again.error());
  EXPECT_EQ(again->name, "Echo");
}

TEST_F(Manager, RegisteringADuplicateIdIsAlreadyExistsAndKeepsTheFirst) {
  ASSERT_TRUE(rt.add(native_spec(config_for("echo"), "echo")));
  auto second = rt.add(native_spec(config_for("echo"), "echo"));
  EXPECT_TROUPE_ERROR(second, errc::already_exists);
  EXPECT_EQ(plugin_of(second.error()), "echo");
  EXPECT_EQ(listed_ids(), (ids{"echo"}));
  ASSERT_TRUE(rt.start_all());
  EXPECT_TRUE(rt.execute("echo", pack(1)));
}

TEST_F(Manager, RegisteringWithoutAnIdIsBadInput) {
  auto host = spawn_plugin_host(sys, "x", std::make_unique<scripted_plugin>(script{}),
                                std::make_shared<shared_state>());
  auto md = rt.register_plugin(plugin_config{}, host);
  EXPECT_TROUPE_ERROR(md, errc::bad_input);
  caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
}

TEST_F(Manager, UnknownClassNameIsNotFound) {
  auto md = rt.add(native_spec(config_for("x"), "no_such_class"));
  EXPECT_TROUPE_ERROR(md, errc::not_found);
  EXPECT_EQ(plugin_of(md.error()), "x");
}

TEST_F(Manager, ExecuteUnknownIdIsNotFoundNamingItAndListingKnownOnes) {
  ASSERT_TRUE(rt.add(native_spec(config_for("echo"), "echo")));
  auto out = rt.execute("nobody", pack(1));
  EXPECT_TROUPE_ERROR(out, errc::not_found);
  EXPECT_EQ(plugin_of(out.error()), "nobody");
  EXPECT_NE(detail_of(out.error()).find("echo"), std::string::npos) << describe(out.error());
}

TEST_F(Manager, StepAndQueriesOfUnknownIdAreNotFound) {
  EXPECT_TROUPE_ERROR(rt.step(lifecycle_op::start, "ghost"), errc::not_found);
  EXPECT_TROUPE_ERROR(rt.health("ghost"), errc::not_found);
  EXPECT_TROUPE_ERROR(rt.stats("ghost"), errc::not_found);
  EXPECT_TROUPE_ERROR(rt.metadata("ghost"), errc::not_found);
}

TEST_F(Manager, ExecuteBeforeStartIsInvalidStateThroughTheManager) {
  ASSERT_TRUE(rt.add(native_spec(config_for("echo"), "echo")));
  auto out = rt.execute("echo", pack(1));
  EXPECT_TROUPE_ERROR(out, errc::invalid_state);
  EXPECT_EQ(plugin_of(out.error()), "echo");
}

TEST_F(Manager, SingleStepsGoThroughTheManager) {
  ASSERT_TRUE(rt.add(native_spec(config_for("echo"), "echo")));
  std::vector<state_code> seen;
  for (auto op : {lifecycle_op::load, lifecycle_op::init, lifecycle_op::start,
                  lifecycle_op::pause, lifecycle_op::resume, lifecycle_op::stop,
                  lifecycle_op::unload}) {
    auto s = rt.step(op, "echo");
    ASSERT_TRUE(s) << to_string(op) << ": " << describe(s.error());
    seen.push_back(s->code);
  }
  EXPECT_EQ(seen, (std::vector<state_code>{state_code::loaded, state_code::loaded,
                                           state_code::running, state_code::paused,
                                           state_code::running, state_code::loaded,
                                           state_code::unloaded}));
  auto illegal = rt.step(lifecycle_op::start, "echo");
  EXPECT_TROUPE_ERROR(illegal, errc::invalid_state);
  EXPECT_EQ(plugin_of(illegal.error()), "echo");
}

// -- list, health, stats -------------------------------------------------------------------------

TEST_F(Manager, ListIsSortedByIdAndCarriesStates) {
  ASSERT_TRUE(rt.add(native_spec(config_for("zeta"), "echo")));
  ASSERT_TRUE(rt.add(native_spec(config_for("alpha"), "echo")));
  ASSERT_TRUE(rt.add(native_spec(config_for("mid"), "echo")));
  ASSERT_TRUE(rt.step(lifecycle_op::load, "mid"));
  auto all = rt.list();
  ASSERT_TRUE(all) << describe(all.error());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].metadata.id, "alpha");
  EXPECT_EQ((*all)[1].metadata.id, "mid");
  EXPECT_EQ((*all)[2].metadata.id, "zeta");
  EXPECT_EQ((*all)[0].state.code, state_code::unloaded);
  EXPECT_EQ((*all)[1].state.code, state_code::loaded);
}

TEST_F(Manager, ListByTypeKeepsOnlyThatType) {
  temp_dir dir;
  ASSERT_TRUE(rt.add(native_spec(config_for("echo"), "echo")));
  ASSERT_TRUE(rt.add(native_spec(config_for("kv", {{"path", dir.file("kv.db")}}), "kv_store")));
  script translator;
  translator.id = "translator";
  translator.type = {plugin_kind::custom, "translator"};
  ASSERT_TRUE(rt.add(config_for("translator"), make_scripted(translator)));
  auto ids_of = [&](const plugin_type& t) {
    ids result;
    auto infos = rt.list(t);
    EXPECT_TRUE(infos) << describe(infos.error());
    if (infos)
      for (const auto& i : *infos)
        result.push_back(i.metadata.id);
    return result;
  };
  EXPECT_EQ(ids_of({plugin_kind::tool, {}}), (ids{"echo"}));
  EXPECT_EQ(ids_of({plugin_kind::storage, {}}), (ids{"kv"}));
  EXPECT_EQ(ids_of(*parse_plugin_type("custom:translator")), (ids{"translator"}));
  EXPECT_EQ(ids_of({plugin_kind::custom, "other"}), ids{});
  EXPECT_EQ(ids_of({plugin_kind::llm, {}}), ids{});
}

TEST_F(Manager, EmptyManagerListsNothing) {
  auto all = rt.list();
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->empty());
  auto h = rt.health();
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->empty());
  auto started = rt.start_all();
  ASSERT_TRUE(started) << describe(started.error());
  EXPECT_TRUE(started->empty());
}

TEST_F(Manager, HealthOfAllReportsEveryPlugin) {
  temp_dir dir;
  ASSERT_TRUE(rt.add(native_spec(config_for("echo"), "echo")));
  ASSERT_TRUE(rt.add(native_spec(config_for("kv", {{"path", dir.file("kv.db")}}), "kv_store")));
  ASSERT_TRUE(rt.add(native_spec(config_for("idle"), "echo")));
  ASSERT_TRUE(rt.step(lifecycle_op::load, "echo"));
  ASSERT_TRUE(rt.step(lifecycle_op::load, "kv"));
  auto all = rt.health();
  ASSERT_TRUE(all) << describe(all.error());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, "echo");
  EXPECT_TRUE((*all)[0].healthy);
  EXPECT_EQ((*all)[1].id, "idle");
  EXPECT_FALSE((*all)[1].healthy);
  EXPECT_EQ((*all)[1].detail, "not loaded");
  EXPECT_EQ((*all)[2].id, "kv");
  EXPECT_TRUE((*all)[2].healthy);
  EXPECT_EQ((*all)[2].detail, "0 keys");
  auto one = rt.health("kv");
  ASSERT_TRUE(one);
  EXPECT_EQ(one->state.code, state_code::loaded);
}

TEST_F(Manager, StatsOfOnePluginCountItsCalls) {
  ASSERT_TRUE(rt.add(native_spec(config_for("echo"), "echo")));
  ASSERT_TRUE(rt.add(native_spec(config_for("other"), "echo")));
  ASSERT_TRUE(rt.start_all());
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(rt.execute("echo", pack(i)));
  auto st = rt.stats("echo");
  ASSERT_TRUE(st) << describe(st.error());
  EXPECT_EQ(st->id, "echo");
  EXPECT_EQ(st->calls, 3u);
  EXPECT_EQ(st->failures, 0u);
  EXPECT_GT(st->mean_us, 0.0);
  EXPECT_GT(st->p50_us, 0.0);
  EXPECT_GT(st->p99_us, 0.0);
  auto all = rt.stats();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].calls, 3u);
  EXPECT_EQ((*all)[1].id, "other");
  EXPECT_EQ((*all)[1].calls, 0u);
}

TEST_F(Manager, FailuresThroughTheManagerAreCountedAndServingGoesOn) {
  script s;
  s.id = "worker";
  ASSERT_TRUE(rt.add(config_for("worker"), make_scripted(s)));
  ASSERT_TRUE(rt.start_all());
  auto failed = rt.execute("worker", pack(std::string("fail")));
  EXPECT_TROUPE_ERROR(failed, errc::bad_input);
  EXPECT_EQ(plugin_of(failed.error()), "worker");
  EXPECT_TRUE(rt.execute("worker", pack(std::string("fine"))));
  auto st = rt.stats("worker");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->calls, 2u);
  EXPECT_EQ(st->failures, 1u);
}

// -- dependency order ----------------------------------------------------------------------------

TEST_F(Manager, StartAllFollowsDependenciesAndShutdownGoesInReverse) {
  // Registered in the wrong order; "log" has no dependencies but the highest priority.
  add_scripted("api", {"cache", "db"});
  add_scripted("cache", {"db"});
  add_scripted("log", {}, 10);
  add_scripted("db");
  if (HasFatalFailure())
    return;
  const ids order{"log", "db", "cache", "api"};
  const ids reverse{"api", "cache", "db", "log"};
  auto started = rt.start_all();
  ASSERT_TRUE(started) << describe(started.error());
  EXPECT_EQ(*started, order);
  EXPECT_EQ(log->plugins_that_ran("load"), order);
  EXPECT_EQ(log->plugins_that_ran("init"), order);
  EXPECT_EQ(log->plugins_that_ran("start"), order);
  auto stopped = rt.step_all(lifecycle_op::stop);
  ASSERT_TRUE(stopped) << describe(stopped.error());
  EXPECT_EQ(*stopped, reverse);
  EXPECT_EQ(log->plugins_that_ran("stop"), reverse);
  auto unloaded = rt.step_all(lifecycle_op::unload);
  ASSERT_TRUE(unloaded) << describe(unloaded.error());
  EXPECT_EQ(*unloaded, reverse);
  EXPECT_EQ(log->plugins_that_ran("unload"), reverse);
  auto after = rt.list();
  ASSERT_TRUE(after) << describe(after.error());
  for (const auto& info : *after)
    EXPECT_EQ(info.state.code, state_code::unloaded) << info.metadata.id;
}

TEST_F(Manager, ShutdownAllStopsAndUnloadsInReverseOrder) {
  add_scripted("b", {"a"});
  add_scripted("a");
  if (HasFatalFailure())
    return;
  ASSERT_TRUE(rt.start_all());
  auto done = rt.shutdown_all();
  ASSERT_TRUE(done) << describe(done.error());
  EXPECT_EQ(*done, (ids{"b", "a"}));
  EXPECT_EQ(log->plugins_that_ran("stop"), (ids{"b", "a"}));
  EXPECT_EQ(log->plugins_that_ran("unload"), (ids{"b", "a"}));
}

TEST_F(Manager, ConfigDependenciesOrderPluginsToo) {
  add_scripted("first-by-id", {}, 0, {"second-by-id"});
  add_scripted("second-by-id");
  if (HasFatalFailure())
    return;
  auto started = rt.start_all();
  ASSERT_TRUE(started) << describe(started.error());
  EXPECT_EQ(*started, (ids{"second-by-id", "first-by-id"}));
  auto md = rt.metadata("first-by-id");
  ASSERT_TRUE(md);
  EXPECT_EQ(md->dependencies, ids{"second-by-id"});
}

TEST_F(Manager, CycleMakesStartAllFailWithDependencyCycleAndLoadsNothing) {
  add_scripted("a", {"b"});
  add_scripted("b", {"c"});
  add_scripted("c", {"a"});
  add_scripted("free");
  if (HasFatalFailure())
    return;
  auto started = rt.start_all();
  EXPECT_TROUPE_ERROR(started, errc::dependency_cycle);
  EXPECT_NE(detail_of(started.error()).find("a -> b -> c -> a"), std::string::npos)
    << describe(started.error());
  EXPECT_TRUE(log->entries().empty());
  auto after = rt.list();
  ASSERT_TRUE(after) << describe(after.error());
  for (const auto& info : *after)
    EXPECT_EQ(info.state.code, state_code::unloaded) << info.metadata.id;
}

TEST_F(Manager, SelfDependencyMakesStartAllFail) {
  add_scripted("loop", {"loop"});
  if (HasFatalFailure())
    return;
  auto started = rt.start_all();
  EXPECT_TROUPE_ERROR(started, errc::dependency_cycle);
  EXPECT_EQ(plugin_of(started.error()), "loop");
}

TEST_F(Manager, MissingDependencyMakesStartAllFailNamingBoth) {
  add_scripted("api", {"auth"});
  if (HasFatalFailure())
    return;
  auto started = rt.start_all();
  EXPECT_TROUPE_ERROR(started, errc::missing_dependency);
  EXPECT_EQ(plugin_of(started.error()), "api");
  EXPECT_NE(detail_of(started.error()).find("auth"), std::string::npos);
  EXPECT_TRUE(log->entries().empty());
}

TEST_F(Manager, StartAllStopsAtTheFirstFailingPlugin) {
  add_scripted("a");
  script bad;
  bad.id = "b";
  bad.dependencies = {"a"};
  bad.failing_hooks[lifecycle_op::init] = failure::error;
  bad.log = log;
  ASSERT_TRUE(rt.add(config_for("b"), make_scripted(bad)));
  add_scripted("c", {"b"});
  if (HasFatalFailure())
    return;
  auto started = rt.start_all();
  EXPECT_TROUPE_ERROR(started, errc::plugin_failed);
  EXPECT_EQ(plugin_of(started.error()), "b");
  EXPECT_EQ(log->plugins_that_ran("init"), (ids{"a", "b"}));
  EXPECT_TRUE(log->plugins_that_ran("start").empty());
  // Shutting down does as much as it can: stop skips plugins that are not running, unload
  // releases everything including the one in Error.
  auto done = rt.shutdown_all();
  ASSERT_TRUE(done) << describe(done.error());
  EXPECT_EQ(log->plugins_that_ran("unload"), (ids{"c", "b", "a"}));
}

// -- errors across actor boundaries --------------------------------------------------------------

TEST_F(Manager, ErrorFromAPluginCrossesHostManagerAndClientIntact) {
  script s;
  s.id = "deep";
  ASSERT_TRUE(rt.add(config_for("deep"), make_scripted(s)));
  ASSERT_TRUE(rt.start_all());
  auto out = rt.execute("deep", pack(std::string("fail")));
  ASSERT_FALSE(out);
  const auto& err = out.error();
  EXPECT_EQ(err.category(), caf::atom("troupe"));
  EXPECT_EQ(err.code(), static_cast<std::uint8_t>(errc::bad_input));
  ASSERT_TRUE((err.context().match_elements<std::string, std::string>()));
  EXPECT_EQ(err.context().get_as<std::string>(0), "deep");
  EXPECT_EQ(err.context().get_as<std::string>(1), "told to fail");
  EXPECT_EQ(describe(err), "bad_input: plugin 'deep': told to fail");
}

TEST_F(Manager, ErrorSurvivesBinarySerializationLikeARemoteHop) {
  auto err = make_error(errc::plugin_failed, "remote-plugin", "start threw: no network");
  std::vector<char> buf;
  caf::binary_serializer sink{sys, buf};
  ASSERT_FALSE(sink(err));
  caf::error copy;
  caf::binary_deserializer source{sys, buf};
  ASSERT_FALSE(source(copy));
  EXPECT_TRUE(is_troupe_error(copy));
  EXPECT_EQ(copy.code(), err.code());
  EXPECT_EQ(plugin_of(copy), "remote-plugin");
  EXPECT_EQ(detail_of(copy), "start threw: no network");
  EXPECT_EQ(describe(copy), describe(err));
}

TEST_F(Manager, ActorSystemRendersTroupeErrorsLikeDescribe) {
  auto err = make_error(errc::timeout, "slow", "no answer within 10 ms");
  EXPECT_EQ(sys.render(err), describe(err));
}

TEST_F(Manager, DeadPluginActorIsForgotten) {
  // A plugin actor that terminates is unregistered by the manager's monitor.
  script s;
  s.id = "mortal";
  auto host = spawn_plugin_host(sys, "mortal", make_scripted(s), std::make_shared<shared_state>());
  ASSERT_TRUE(rt.register_plugin(config_for("mortal"), host));
  {
    caf::scoped_actor self{sys};
    self->monitor(host);
    caf::anon_send_exit(host, caf::exit_reason::user_shutdown);
    bool down = false;
    self->receive([&](caf::down_msg&) { down = true; },
                  caf::after(std::chrono::seconds(10)) >> [] {});
    ASSERT_TRUE(down);
  }
  // Our down message may arrive before the manager's: ask again (a bounded number of times, no
  // sleeping) until the manager has processed its own.
  bool forgotten = false;
  for (int i = 0; i < 1000 && !forgotten; ++i) {
    auto md = rt.metadata("mortal");
    forgotten = !md && md.error().code() == static_cast<std::uint8_t>(errc::not_found);
  }
  EXPECT_TRUE(forgotten);
}

} // namespace
} // namespace troupe::test
