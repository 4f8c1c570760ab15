// Reload end to end: a Lua plugin's file is rewritten and reloaded through the manager while the
// old version serves; state carried, failures leave the old version serving.

#include <atomic>
#include <fstream>
#include <thread>

#include "actor_fixture.hpp"
#include "actors/counter_script.hpp"
#include "actors/event_log.hpp"
#include "actors/runtime.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::test {
namespace {

class Reload : public ::testing::Test {
protected:
  void SetUp() override {
    runtime_options opts;
    opts.call_timeout = request_timeout;
    rt = std::make_unique<runtime>(sys, std::move(opts));
    rt->subscribe([this](const runtime_event& ev) { log.push(ev); });
    path = dir.file("counter.lua");
    write(counter_script(1));
    auto md = rt->add(lua_spec(config_for("counter"), path));
    ASSERT_TRUE(md) << describe(md.error());
    ASSERT_TRUE(rt->start_all());
  }

  void write(const std::string& text) {
    std::ofstream out{path, std::ios::trunc};
    out << text;
  }

  /// Executes and answers {version, count}.
  std::pair<std::int64_t, std::int64_t> call() {
    auto out = rt->execute("counter", pack(std::string("x")));
    EXPECT_TRUE(out) << describe(out.error());
    if (!out)
      return {-1, -1};
    auto obj = unpack_as<std::map<std::string, std::int64_t>>(*out);
    EXPECT_TRUE(obj);
    return obj ? std::make_pair((*obj)["version"], (*obj)["count"]) : std::make_pair(-1L, -1L);
  }

  registered_config cfg;
  caf::actor_system sys{cfg};
  temp_dir dir;
  std::string path;
  event_log log;
  std::unique_ptr<runtime> rt;
};

TEST_F(Reload, NewVersionServesAndCarriesTheScriptsGlobals) {
  EXPECT_EQ(call(), std::make_pair(1L, 1L));
  EXPECT_EQ(call(), std::make_pair(1L, 2L));
  write(counter_script(2));
  auto md = rt->reload("counter");
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->version, "2.0.0");
  EXPECT_EQ(call(), std::make_pair(2L, 3L)) << "count carried from version 1";
  auto done = log.wait(event_kind::reload_completed, "counter");
  ASSERT_TRUE(done);
  EXPECT_NE(done->detail.find("1.0.0 -> 2.0.0"), std::string::npos) << done->detail;
  EXPECT_TRUE(log.wait(event_kind::reload_started, "counter"));
  auto st = rt->stats("counter");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->reloads, 1u);
}

TEST_F(Reload, SnapshotAndRestoreMigrateTheState) {
  call();
  call();
  // Version 2 keeps its count as `n` and migrates through snapshot/restore.
  write("plugin_version = '2.0.0'\n"
        "n = 0\n"
        "function execute(x) n = n + 1 return {version = 2, count = n} end\n"
        "function snapshot() return {n = n} end\n"
        "function restore(s) n = (s.n or s.count or 0) end\n");
  ASSERT_TRUE(rt->reload("counter"));
  EXPECT_EQ(call(), std::make_pair(2L, 3L));
}

TEST_F(Reload, SyntaxErrorLeavesTheOldVersionServingUnchanged) {
  call();
  write("function execute(x) return x +\nend\n");
  auto md = rt->reload("counter");
  EXPECT_TROUPE_ERROR(md, errc::load_failed);
  EXPECT_NE(detail_of(md.error()).find("the old version serves on"), std::string::npos)
    << describe(md.error());
  EXPECT_EQ(call(), std::make_pair(1L, 2L));
  auto failed = log.wait(event_kind::reload_failed, "counter");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->attempt, 1u);
}

TEST_F(Reload, FailingInitLeavesTheOldVersionServing) {
  call();
  write(counter_script(2, "function init() error('not today') end\n"));
  auto md = rt->reload("counter");
  EXPECT_FALSE(md);
  EXPECT_NE(describe(md.error()).find("not today"), std::string::npos) << describe(md.error());
  EXPECT_EQ(call(), std::make_pair(1L, 2L));
}

TEST_F(Reload, MissingExecuteLeavesTheOldVersionServing) {
  call();
  write("plugin_version = '2.0.0'\n");
  EXPECT_FALSE(rt->reload("counter"));
  EXPECT_EQ(call(), std::make_pair(1L, 2L));
}

TEST_F(Reload, ScriptReloadedManyTimesWhileAClientExecutesNeverFailsARequest) {
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<std::int64_t> last_count{0};
  std::atomic<int> calls{0};
  std::thread client{[&] {
    while (!done) {
      auto out = rt->execute("counter", pack(std::string("x")));
      if (!out) {
        ++failures;
        ADD_FAILURE() << describe(out.error());
        continue;
      }
      auto obj = unpack_as<std::map<std::string, std::int64_t>>(*out);
      if (obj) {
        // The count only ever grows by one: state carried through every reload.
        auto count = (*obj)["count"];
        if (count != last_count + 1)
          ADD_FAILURE() << "count went from " << last_count << " to " << count;
        last_count = count;
      }
      ++calls;
    }
  }};
  for (int v = 2; v <= 51; ++v) {
    write(counter_script(v));
    auto md = rt->reload("counter");
    ASSERT_TRUE(md) << describe(md.error());
    EXPECT_EQ(md->version, std::to_string(v) + ".0.0");
  }
  done = true;
  client.join();
  EXPECT_EQ(failures, 0);
  EXPECT_GT(calls, 0);
  EXPECT_EQ(call().first, 51);
  auto st = rt->stats("counter");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->reloads, 50u);
}

TEST_F(Reload, PluginWithoutAFactoryCannotBeReloaded) {
  auto md = rt->reload("nobody");
  EXPECT_TROUPE_ERROR(md, errc::not_found);
}

} // namespace
} // namespace troupe::test

namespace troupe::test {
namespace {

TEST_F(Reload, NewVersionWhoseFirstCallsAllFailIsRolledBackWithTheOldState) {
  EXPECT_EQ(call(), std::make_pair(1L, 1L));
  write("plugin_version = '2.0.0'\nfunction execute(x) error('broken in 2') end\n");
  ASSERT_TRUE(rt->reload("counter"));
  for (int i = 0; i < 3; ++i) // rollback_after defaults to 3
    EXPECT_FALSE(rt->execute("counter", pack(std::string("x"))));
  auto back = log.wait(event_kind::rolled_back, "counter");
  ASSERT_TRUE(back);
  EXPECT_NE(back->detail.find("version 2.0.0 failed its first 3 calls; version 1.0.0 serves again"),
            std::string::npos)
    << back->detail;
  EXPECT_EQ(call(), std::make_pair(1L, 2L)) << "version 1 with its count as of the swap";
}

TEST_F(Reload, OneSuccessfulCallEndsTheProbation) {
  call();
  write(counter_script(2, "function fails(x) end\n"));
  ASSERT_TRUE(rt->reload("counter"));
  EXPECT_EQ(call(), std::make_pair(2L, 2L));
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(rt->call_script_function("counter", "no_such_function", payload{}));
  EXPECT_EQ(log.count(event_kind::rolled_back, "counter"), 0u);
  EXPECT_EQ(call().first, 2);
}

TEST(ReloadSettings, PreserveStateOffStartsTheNewVersionAfresh) {
  registered_config cfg;
  caf::actor_system sys{cfg};
  temp_dir dir;
  auto path = dir.file("counter.lua");
  { std::ofstream{path} << counter_script(1); }
  runtime_options opts;
  group_spec root;
  root.name = root_group;
  root.preserve_state = false;
  opts.manager.supervision.groups = {root};
  runtime rt{sys, opts};
  ASSERT_TRUE(rt.add(lua_spec(config_for("counter"), path)));
  ASSERT_TRUE(rt.start_all());
  ASSERT_TRUE(rt.execute("counter", pack(1)));
  ASSERT_TRUE(rt.execute("counter", pack(1)));
  { std::ofstream{path} << counter_script(2); }
  ASSERT_TRUE(rt.reload("counter"));
  auto out = rt.execute("counter", pack(1));
  ASSERT_TRUE(out);
  EXPECT_EQ((*unpack_as<std::map<std::string, std::int64_t>>(*out))["count"], 1);
}

} // namespace
} // namespace troupe::test
