// One stable address per plugin: callers resolve an id once and send calls to the plugin's own
// actor, which stays the same across crashes, restarts, reloads and rollbacks; the manager is
// not on the call path. Real actors; no sleeps (the plugin's "hang:N" is the fault under test).

#include <fstream>

#include "actors/counter_script.hpp"
#include "actors/supervision_fixture.hpp"
#include "plugin_specs.hpp"
#include "plugins/examples/echo_plugin.hpp"

namespace troupe::test {
namespace {

using StableAddress = Supervision;

/// Sends `text` to `address` and waits for the answer.
caf::expected<payload> call_at(caf::scoped_actor& self, const plugin_actor& address,
                               const std::string& text) {
  caf::expected<payload> out{caf::error{}};
  self->request(address, request_timeout, execute_atom::value, pack(text))
    .receive([&](payload& p) { out = std::move(p); }, [&](caf::error& e) { out = std::move(e); });
  return out;
}

TEST_F(StableAddress, LookupAnswersTheAddressTheRuntimeResolves) {
  start();
  add("a");
  auto resolved = rt->resolve("a");
  ASSERT_TRUE(resolved) << describe(resolved.error());
  caf::scoped_actor self{sys};
  caf::expected<plugin_actor> looked_up{caf::error{}};
  self->request(rt->manager(), request_timeout, lookup_atom::value, std::string("a"))
    .receive([&](plugin_actor& a) { looked_up = std::move(a); },
             [&](caf::error& e) { looked_up = std::move(e); });
  ASSERT_TRUE(looked_up) << describe(looked_up.error());
  EXPECT_EQ(*looked_up, *resolved);
}

TEST_F(StableAddress, LookupOfAnUnknownIdIsNotFoundNamingTheRegisteredOnes) {
  start();
  add("a");
  auto resolved = rt->resolve("nobody");
  EXPECT_TROUPE_ERROR(resolved, errc::not_found);
  EXPECT_EQ(plugin_of(resolved.error()), "nobody");
  EXPECT_NE(detail_of(resolved.error()).find("registered: a"), std::string::npos)
    << describe(resolved.error());
}

TEST_F(StableAddress, AddressStaysTheSameAcrossACrashAndItsRestart) {
  start();
  add("w");
  ASSERT_TRUE(rt->start_all());
  auto before = rt->resolve("w");
  ASSERT_TRUE(before);
  caf::scoped_actor self{sys};
  auto crashed = call_at(self, *before, "crash");
  EXPECT_TROUPE_ERROR(crashed, errc::crashed);
  ASSERT_TRUE(log.wait(event_kind::restarted, "w"));
  auto after = rt->resolve("w");
  ASSERT_TRUE(after);
  EXPECT_EQ(*after, *before);
  auto instance = call_at(self, *before, "instance");
  ASSERT_TRUE(instance) << describe(instance.error());
  EXPECT_EQ(*unpack_as<int>(*instance), 2);
}

TEST_F(StableAddress, CallsQueuedBeforeACrashAreAnsweredCrashedAndLaterOnesServed) {
  start();
  add("w");
  ASSERT_TRUE(rt->start_all());
  auto address = rt->resolve("w");
  ASSERT_TRUE(address);
  caf::scoped_actor self{sys};
  // While the first call sleeps, the crash and two more calls queue behind it.
  auto sleeping = self->request(*address, request_timeout, execute_atom::value,
                                pack(std::string("hang:100")));
  auto crash = self->request(*address, request_timeout, execute_atom::value,
                             pack(std::string("crash")));
  auto queued1 = self->request(*address, request_timeout, execute_atom::value,
                               pack(std::string("inc")));
  auto queued2 = self->request(*address, request_timeout, execute_atom::value,
                               pack(std::string("inc")));
  auto expect_crashed = [&](auto& handle, const char* which) {
    handle.receive([&](payload&) { ADD_FAILURE() << which << " was served"; },
                   [&](caf::error& err) {
                     EXPECT_TRUE(is_troupe_error(err)
                                 && err.code() == static_cast<std::uint8_t>(errc::crashed))
                       << which << ": " << describe(err);
                     EXPECT_EQ(plugin_of(err), "w") << which;
                     EXPECT_NE(detail_of(err).find("crash on purpose"), std::string::npos)
                       << which << ": " << describe(err);
                   });
  };
  sleeping.receive([](payload& p) { EXPECT_EQ(*unpack_as<std::string>(p), "woke"); },
                   [](caf::error& err) { ADD_FAILURE() << describe(err); });
  expect_crashed(crash, "the crashing call");
  expect_crashed(queued1, "the first call queued behind it");
  expect_crashed(queued2, "the second call queued behind it");
  auto later = call_at(self, *address, "instance");
  ASSERT_TRUE(later) << describe(later.error());
  EXPECT_EQ(*unpack_as<int>(*later), 2);
}

TEST_F(StableAddress, CallsToTheAddressNeverPassTheManager) {
  start();
  // An unsupervised plugin: the manager does not end its actor when it ends itself.
  auto md = rt->add(config_for("echo"), std::make_unique<examples::echo_plugin>());
  ASSERT_TRUE(md) << describe(md.error());
  ASSERT_TRUE(rt->start_all());
  auto address = rt->resolve("echo");
  ASSERT_TRUE(address);
  caf::scoped_actor self{sys};
  self->monitor(rt->manager());
  caf::anon_send_exit(rt->manager(), caf::exit_reason::kill);
  self->receive([](caf::down_msg&) {});
  auto out = call_at(self, *address, "still here");
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*unpack_as<std::string>(*out), "still here");
}

TEST_F(StableAddress, HungHostForwardsToItsSuccessorOnceItsCallReturns) {
  auto g = quiet_group(root_group);
  g.watchdog = milliseconds{40};
  start({g});
  add("slow");
  ASSERT_TRUE(rt->start_all());
  auto old_address = rt->resolve("slow");
  ASSERT_TRUE(old_address);
  caf::scoped_actor self{sys};
  auto hung = call_at(self, *old_address, "hang:300");
  EXPECT_TROUPE_ERROR(hung, errc::crashed);
  EXPECT_NE(detail_of(hung.error()).find("watchdog"), std::string::npos) << describe(hung.error());
  ASSERT_TRUE(log.wait(event_kind::restarted, "slow"));
  auto successor = rt->resolve("slow");
  ASSERT_TRUE(successor);
  EXPECT_NE(*successor, *old_address);
  // The old address still answers: once its hung call returns it hands everything on.
  auto through_old = call_at(self, *old_address, "instance");
  ASSERT_TRUE(through_old) << describe(through_old.error());
  EXPECT_EQ(*unpack_as<int>(*through_old), 2);
}

TEST_F(StableAddress, ALuaPluginKeepsItsAddressAcrossAReloadAndARollback) {
  start();
  temp_dir dir;
  auto path = dir.file("counter.lua");
  std::ofstream{path} << counter_script(1);
  auto md = rt->add(lua_spec(config_for("counter"), path));
  ASSERT_TRUE(md) << describe(md.error());
  ASSERT_TRUE(rt->start_all());
  auto before = rt->resolve("counter");
  ASSERT_TRUE(before);
  std::ofstream{path, std::ios::trunc} << counter_script(2);
  ASSERT_TRUE(rt->reload("counter"));
  EXPECT_EQ(*rt->resolve("counter"), *before);
  caf::scoped_actor self{sys};
  auto v2 = call_at(self, *before, "x");
  ASSERT_TRUE(v2) << describe(v2.error());
  EXPECT_EQ((*unpack_as<std::map<std::string, std::int64_t>>(*v2))["version"], 2);
  // Version 3 fails every call: after the probation (3 calls) version 2 serves again.
  std::ofstream{path, std::ios::trunc}
    << "plugin_version = '3.0.0'\nfunction execute(x) error('broken') end\n";
  ASSERT_TRUE(rt->reload("counter"));
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(call_at(self, *before, "x"));
  ASSERT_TRUE(log.wait(event_kind::rolled_back, "counter"));
  EXPECT_EQ(*rt->resolve("counter"), *before);
  auto back = call_at(self, *before, "x");
  ASSERT_TRUE(back) << describe(back.error());
  EXPECT_EQ((*unpack_as<std::map<std::string, std::int64_t>>(*back))["version"], 2);
}

} // namespace
} // namespace troupe::test

namespace troupe::test {
namespace {

using Standby = Supervision;

TEST_F(Standby, AfterACrashASpareIsBuiltAndTheNextRestartTakesItWithTheCheckpoint) {
  start(); // quiet root group: standby on (the default)
  auto control = add("w");
  ASSERT_TRUE(rt->start_all());
  ASSERT_TRUE(exec("w", "inc"));
  crash("w");
  ASSERT_TRUE(log.wait(event_kind::restarted, "w"));
  // The restart built instance 2; a spare (instance 3) is built in the background.
  ASSERT_TRUE(eventually([&] { return exec("w", "ping") && control->instances.load() == 3; }));
  EXPECT_EQ(instance_of("w"), 2);
  crash("w");
  // The second restart took the spare: no instance was built for it.
  EXPECT_EQ(instance_of("w"), 3);
  auto counter = exec("w", "inc");
  ASSERT_TRUE(counter) << describe(counter.error());
  EXPECT_EQ(*unpack_as<std::int64_t>(*counter), 2) << "the checkpoint was restored into the spare";
}

TEST_F(Standby, WithStandbyOffEveryRestartBuildsItsOwnInstance) {
  auto g = quiet_group(root_group);
  g.standby = false;
  start({g});
  auto control = add("w");
  ASSERT_TRUE(rt->start_all());
  crash("w");
  EXPECT_EQ(instance_of("w"), 2);
  crash("w");
  EXPECT_EQ(instance_of("w"), 3);
  EXPECT_EQ(control->instances.load(), 3);
}

} // namespace
} // namespace troupe::test

namespace troupe::test {
namespace {

class StuckRestart : public Supervision {};

TEST_F(StuckRestart, ARestartStuckInLoadGivesThePluginASuccessorWhichServes) {
  runtime_options opts;
  opts.manager.supervision.groups = {quiet_group(root_group)};
  opts.manager.random = [] { return 0.5; };
  opts.manager.lifecycle_timeout = milliseconds{100};
  opts.call_timeout = request_timeout;
  rt = std::make_unique<runtime>(sys, std::move(opts));
  subscription = rt->subscribe([this](const runtime_event& ev) { log.push(ev); });
  auto control = add("w");
  ASSERT_TRUE(rt->start_all());
  auto old_address = rt->resolve("w");
  ASSERT_TRUE(old_address);
  control->hang_load_of = 2; // the restart's instance blocks its host in load
  control->hang_load_ms = 400;
  crash("w");
  auto failed = log.wait(event_kind::restart_failed, "w");
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->detail.find("did not finish within 100 ms"), std::string::npos)
    << failed->detail;
  ASSERT_TRUE(log.wait(event_kind::restarted, "w"));
  auto successor = rt->resolve("w");
  ASSERT_TRUE(successor);
  EXPECT_NE(*successor, *old_address);
  EXPECT_EQ(instance_of("w"), 3); // the successor's own instance
}

} // namespace
} // namespace troupe::test

namespace troupe::test {
namespace {

using ReloadDrain = Supervision;

TEST_F(ReloadDrain, AReloadWaitsForACallSuspendedOnAnotherPluginAndHoldsNewCallsMeanwhile) {
  start();
  add("slow"); // native: "hang:N" answers "woke" after N ms
  temp_dir dir;
  auto path = dir.file("caller.lua");
  auto script = [](int v) {
    return "plugin_version = '" + std::to_string(v) + ".0.0'\n"
           "function execute(x)\n"
           "  if x == 'via' then return call_plugin('slow', 'hang:150') end\n"
           "  return " + std::to_string(v) + "\n"
           "end\n";
  };
  std::ofstream{path} << script(1);
  ASSERT_TRUE(rt->add(lua_spec(config_for("caller"), path)));
  ASSERT_TRUE(rt->start_all());
  auto address = rt->resolve("caller");
  ASSERT_TRUE(address);
  caf::scoped_actor self{sys};
  // The first call waits on "slow"; the reload and a later call come while it waits.
  auto waiting = self->request(*address, request_timeout, execute_atom::value,
                               pack(std::string("via")));
  std::ofstream{path, std::ios::trunc} << script(2);
  auto reloaded = self->request(rt->manager(), request_timeout, reload_atom::value,
                                std::string("caller"));
  // The manager sends the reload on before its reload_started event reaches the subscriber:
  // a call sent now reaches the plugin's actor after the reload.
  ASSERT_TRUE(log.wait(event_kind::reload_started, "caller"));
  auto later = self->request(*address, request_timeout, execute_atom::value,
                             pack(std::string("x")));
  waiting.receive([](payload& p) { EXPECT_EQ(*unpack_as<std::string>(p), "woke"); },
                  [](caf::error& err) { ADD_FAILURE() << "suspended call: " << describe(err); });
  reloaded.receive([](plugin_metadata& md) { EXPECT_EQ(md.version, "2.0.0"); },
                   [](caf::error& err) { ADD_FAILURE() << "the reload: " << describe(err); });
  // Held during the swap, then served by the new version.
  later.receive([](payload& p) { EXPECT_EQ(*unpack_as<std::int64_t>(p), 2); },
                [](caf::error& err) { ADD_FAILURE() << "the later call: " << describe(err); });
}

} // namespace
} // namespace troupe::test

namespace troupe::test {
namespace {

TEST_F(ReloadDrain, ACrashWhileAReloadDrainsFailsTheReloadAndTheRestartServesTheNewCode) {
  start();
  add("slow");
  temp_dir dir;
  auto path = dir.file("caller.lua");
  // After its call to "slow" returns, the first version fills its memory and keeps what it
  // filled: its state cannot recover, a crash.
  std::ofstream{path} << "plugin_version = '1.0.0'\n"
                         "local hog\n"
                         "function execute(x)\n"
                         "  if x == 'via' then\n"
                         "    call_plugin('slow', 'hang:150')\n"
                         "    hog = {}\n"
                         "    local i = 0\n"
                         "    while true do i = i + 1; hog[i] = string.rep('x', 1024) .. i end\n"
                         "  end\n"
                         "  return 1\n"
                         "end\n";
  ASSERT_TRUE(rt->add(lua_spec(config_for("caller", {{"limit.memory", "512K"}}), path)));
  ASSERT_TRUE(rt->start_all());
  auto address = rt->resolve("caller");
  ASSERT_TRUE(address);
  caf::scoped_actor self{sys};
  auto waiting = self->request(*address, request_timeout, execute_atom::value,
                               pack(std::string("via")));
  std::ofstream{path, std::ios::trunc} << "plugin_version = '2.0.0'\n"
                                          "function execute(x) return 2 end\n";
  auto reloaded = self->request(rt->manager(), request_timeout, reload_atom::value,
                                std::string("caller"));
  waiting.receive([](payload&) { ADD_FAILURE() << "the crashing call was served"; },
                  [](caf::error& err) {
                    EXPECT_TRUE(is_troupe_error(err)
                                && err.code() == static_cast<std::uint8_t>(errc::crashed))
                      << describe(err);
                  });
  reloaded.receive([](plugin_metadata&) { ADD_FAILURE() << "the reload succeeded"; },
                   [](caf::error& err) {
                     EXPECT_NE(detail_of(err).find("went down during the reload"),
                               std::string::npos)
                       << describe(err);
                     EXPECT_EQ(detail_of(err).find("serves on"), std::string::npos)
                       << "it does not: " << describe(err);
                   });
  ASSERT_TRUE(log.wait(event_kind::restarted, "caller"));
  auto after = call_at(self, *address, "x"); // the restart read the file: the new code
  ASSERT_TRUE(after) << describe(after.error());
  EXPECT_EQ(*unpack_as<std::int64_t>(*after), 2);
}

} // namespace
} // namespace troupe::test
