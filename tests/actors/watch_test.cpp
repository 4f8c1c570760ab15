// Hot reload from files: a watched Lua script edited on disk is reloaded through the manager.
// Tests wait for reload events (with a deadline), never by sleeping.

#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "actor_fixture.hpp"
#include "actors/counter_script.hpp"
#include "actors/event_log.hpp"
#include "actors/runtime.hpp"
#include "messages/msgpack_codec.hpp"

namespace troupe::test {
namespace {

class Watch : public ::testing::Test {
protected:
  void start(reload_strategy strategy, std::chrono::milliseconds debounce = {}) {
    runtime_options opts;
    opts.call_timeout = request_timeout;
    rt = std::make_unique<runtime>(sys, std::move(opts));
    rt->subscribe([this](const runtime_event& ev) { log.push(ev); });
    path = dir.file("counter.lua");
    write_in_place(counter_script(1));
    ASSERT_TRUE(rt->add(lua_spec(config_for("counter"), path)));
    ASSERT_TRUE(rt->start_all());
    watch_options w;
    w.directories = {dir.path().string()};
    w.strategy = strategy;
    w.debounce = debounce;
    ASSERT_FALSE(rt->watch(w));
  }

  /// The "truncate and write" save: one open, two writes, one close.
  void write_in_place(const std::string& text) {
    std::ofstream out{path, std::ios::trunc};
    out << text.substr(0, text.size() / 2) << std::flush;
    out << text.substr(text.size() / 2);
  }

  /// The "write a temporary file and rename it" save.
  void write_and_rename(const std::string& text) {
    auto tmp = dir.file(".counter.lua.swp");
    {
      std::ofstream out{tmp, std::ios::trunc};
      out << text;
    }
    ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0);
  }

  /// Waits for the n-th completed reload and answers its "old -> new" detail.
  std::string completed(std::size_t n) {
    auto ev = log.wait(event_kind::reload_completed, "counter", n);
    EXPECT_TRUE(ev) << "reload " << n << " did not complete";
    return ev ? ev->detail.substr(0, ev->detail.find(" in ")) : std::string{};
  }

  registered_config cfg;
  caf::actor_system sys{cfg};
  temp_dir dir;
  std::string path;
  event_log log;
  std::unique_ptr<runtime> rt;
};

TEST_F(Watch, TruncateAndWriteSaveGivesExactlyOneReload) {
  start(reload_strategy::immediate);
  write_in_place(counter_script(2));
  EXPECT_EQ(completed(1), "1.0.0 -> 2.0.0");
  // A second save: had the first produced two reloads, this one would read 2 -> 2.
  write_in_place(counter_script(3));
  EXPECT_EQ(completed(2), "2.0.0 -> 3.0.0");
}

TEST_F(Watch, RenameSaveGivesExactlyOneReload) {
  start(reload_strategy::immediate);
  write_and_rename(counter_script(2));
  EXPECT_EQ(completed(1), "1.0.0 -> 2.0.0");
  write_and_rename(counter_script(3));
  EXPECT_EQ(completed(2), "2.0.0 -> 3.0.0");
}

TEST_F(Watch, DebounceCoalescesABurstOfWritesIntoOneReload) {
  start(reload_strategy::debounced, std::chrono::milliseconds{150});
  for (int v = 2; v <= 6; ++v)
    write_in_place(counter_script(v));
  EXPECT_EQ(completed(1), "1.0.0 -> 6.0.0");
  write_in_place(counter_script(7));
  EXPECT_EQ(completed(2), "6.0.0 -> 7.0.0") << "the burst gave one reload, not several";
}

TEST_F(Watch, SyntaxErrorOnDiskLeavesTheOldVersionServingAndTheNextSaveRetries) {
  start(reload_strategy::immediate);
  write_in_place("function execute(x) return x +\nend\n");
  auto failed = log.wait(event_kind::reload_failed, "counter");
  ASSERT_TRUE(failed);
  auto out = rt->execute("counter", pack(std::string("x")));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ((*unpack_as<std::map<std::string, std::int64_t>>(*out))["version"], 1);
  write_in_place(counter_script(2)); // retried after a backoff
  EXPECT_EQ(completed(1), "1.0.0 -> 2.0.0");
}

TEST_F(Watch, ScriptEditedAHundredTimesWhileAClientExecutesLosesNothing) {
  start(reload_strategy::immediate);
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::atomic<int> calls{0};
  std::thread client{[&] {
    std::int64_t last = 0;
    while (!done) {
      auto out = rt->execute("counter", pack(std::string("x")));
      if (!out) {
        ++failures;
        ADD_FAILURE() << describe(out.error());
        continue;
      }
      auto count = (*unpack_as<std::map<std::string, std::int64_t>>(*out))["count"];
      if (count != last + 1)
        ADD_FAILURE() << "count went from " << last << " to " << count << ": state not carried";
      last = count;
      ++calls;
    }
  }};
  for (int v = 2; v <= 101; ++v) {
    if (v % 2 == 0)
      write_in_place(counter_script(v));
    else
      write_and_rename(counter_script(v));
    ASSERT_EQ(completed(static_cast<std::size_t>(v - 1)),
              std::to_string(v - 1) + ".0.0 -> " + std::to_string(v) + ".0.0");
  }
  done = true;
  client.join();
  EXPECT_EQ(failures, 0);
  EXPECT_GT(calls, 0);
  auto st = rt->stats("counter");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->reloads, 100u);
}

TEST_F(Watch, NewScriptFileLoadsAndStartsANewPlugin) {
  start(reload_strategy::immediate);
  {
    std::ofstream out{dir.file("fresh.lua")};
    out << "function execute(x) return 'fresh: ' .. tostring(x) end\n";
  }
  ASSERT_TRUE(eventually([&] { return static_cast<bool>(rt->execute("fresh", pack(1))); }));
  auto out = rt->execute("fresh", pack(std::string("hi")));
  ASSERT_TRUE(out);
  EXPECT_EQ(*unpack_as<std::string>(*out), "fresh: hi");
}

TEST_F(Watch, RemovedScriptFileUnloadsItsPluginAndARecreatedOneLoadsAgain) {
  start(reload_strategy::immediate);
  ASSERT_EQ(std::remove(path.c_str()), 0);
  ASSERT_TRUE(eventually([&] {
    auto st = rt->stats("counter");
    return st && st->state.code == state_code::unloaded;
  }));
  write_in_place(counter_script(5));
  ASSERT_TRUE(eventually([&] { return static_cast<bool>(rt->execute("counter", pack(1))); }));
  auto out = rt->execute("counter", pack(1));
  ASSERT_TRUE(out);
  EXPECT_EQ((*unpack_as<std::map<std::string, std::int64_t>>(*out))["version"], 5);
}

} // namespace
} // namespace troupe::test
