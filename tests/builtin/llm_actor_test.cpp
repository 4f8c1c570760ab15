// The llm plugin in a runtime (real actors): a blocking plugin's host runs detached (and so does
// its successor after a hang), so a call that blocks its thread does not stall other plugins on
// a one-thread scheduler; bad settings fail load; and an execute through the host against the
// test server.

#include <condition_variable>
#include <future>
#include <mutex>

#include "actor_fixture.hpp"
#include "actors/plugin_directory.hpp"
#include "actors/runtime.hpp"
#include "llm_test_server.hpp"
#include "messages/json_codec.hpp"
#include "messages/msgpack_codec.hpp"
#include "plugins/builtin/register_builtins.hpp"

namespace troupe::test {
namespace {

using nlohmann::json;

/// What the test shares with its blocker plugins: how many calls entered execute, and the
/// future that lets them return.
struct gate {
  std::mutex mtx;
  std::condition_variable cv;
  int entered = 0;
  std::shared_future<void> go;

  /// Waits (at most 10 s) until `n` calls have entered; whether they did.
  bool wait_entered(int n) {
    std::unique_lock<std::mutex> lock{mtx};
    return cv.wait_for(lock, std::chrono::seconds{10}, [&] { return entered >= n; });
  }
};

/// Blocks its thread in execute until the gate opens (at most 10 s), then answers "released".
/// Lists blocking_capability, so its host runs detached.
class blocker_plugin final : public plugin {
public:
  explicit blocker_plugin(std::shared_ptr<gate> g) : gate_(std::move(g)) {}

  plugin_metadata metadata() const override {
    plugin_metadata m;
    m.id = "blocker";
    m.capabilities = {blocking_capability};
    return m;
  }

  caf::expected<payload> execute(plugin_context&, const payload&) override {
    {
      std::lock_guard<std::mutex> guard{gate_->mtx};
      ++gate_->entered;
      gate_->cv.notify_all();
    }
    gate_->go.wait_for(std::chrono::seconds{10});
    return pack(std::string("released"));
  }

private:
  std::shared_ptr<gate> gate_;
};

/// One scheduler thread: a host that blocks it would stall every other plugin.
struct one_thread_config : registered_config {
  one_thread_config() { set("scheduler.max-threads", static_cast<std::size_t>(1)); }
};

class LlmActors : public ::testing::Test {
protected:
  runtime_options options() {
    runtime_options opts;
    opts.call_timeout = std::chrono::milliseconds{5000};
    opts.natives = example_natives();
    builtin::register_builtins(*opts.natives);
    return opts;
  }

  /// Adds "blocker" (a fresh blocker_plugin on `g` from each factory call) and "echo".
  void add_blocker(runtime& rt, std::shared_ptr<gate> g) {
    rt.natives().add("blocker", [g]() -> caf::expected<std::unique_ptr<plugin>> {
      return std::unique_ptr<plugin>{new blocker_plugin(g)};
    });
    ASSERT_TRUE(rt.add(native_spec(config_for("blocker"), "blocker")));
    ASSERT_TRUE(rt.add(native_spec(config_for("echo"), "echo")));
  }

  one_thread_config cfg;
  caf::actor_system sys{cfg};
};

TEST_F(LlmActors, BlockingPluginDoesNotStallOthersOnASharedThread) {
  std::promise<void> go;
  auto g = std::make_shared<gate>();
  g->go = go.get_future().share();
  runtime rt{sys, options()};
  add_blocker(rt, g);
  auto started = rt.start_all();
  ASSERT_TRUE(started) << describe(started.error());
  auto blocker = rt.directory()->find("blocker");
  ASSERT_TRUE(blocker);
  caf::scoped_actor self{sys};
  self->send(blocker, execute_atom::value, pack(std::string("wait")));
  ASSERT_TRUE(g->wait_entered(1)); // the blocker's host now blocks its thread
  auto echoed = rt.execute("echo", pack(std::string("still here")));
  go.set_value();
  ASSERT_TRUE(echoed) << describe(echoed.error());
  EXPECT_EQ(unpack_as<std::string>(*echoed).value(), "still here");
  auto released = rt.execute("blocker", pack(std::string("again")));
  ASSERT_TRUE(released) << describe(released.error());
  EXPECT_EQ(unpack_as<std::string>(*released).value(), "released");
  rt.shutdown_all();
}

TEST_F(LlmActors, SuccessorOfAHungBlockingPluginIsDetachedToo) {
  std::promise<void> go;
  auto g = std::make_shared<gate>();
  g->go = go.get_future().share();
  auto opts = options();
  group_spec root;
  root.name = root_group;
  root.backoff.min = std::chrono::milliseconds{0};
  root.backoff.jitter = 0;
  root.health.interval = std::chrono::milliseconds{0};
  root.watchdog = std::chrono::milliseconds{100};
  opts.manager.supervision.groups = {root};
  runtime rt{sys, std::move(opts)};
  add_blocker(rt, g);
  ASSERT_TRUE(rt.start_all());
  auto first_host = rt.directory()->find("blocker");
  auto hung = rt.execute("blocker", pack(std::string("first"))); // the watchdog answers it
  ASSERT_FALSE(hung);
  EXPECT_EQ(code_name(hung.error()), "crashed") << describe(hung.error());
  // The next call runs on the successor (revived from the factory) and blocks it too.
  ASSERT_TRUE(eventually([&] { return rt.directory()->find("blocker") != first_host; }));
  caf::scoped_actor self{sys};
  self->send(rt.directory()->find("blocker"), execute_atom::value, pack(std::string("second")));
  ASSERT_TRUE(g->wait_entered(2));
  auto echoed = rt.execute("echo", pack(std::string("still here")));
  go.set_value();
  ASSERT_TRUE(echoed) << describe(echoed.error());
  rt.shutdown_all();
}

TEST_F(LlmActors, BadSettingFailsLoadWithConfigErrorNamingThePlugin) {
  runtime rt{sys, options()};
  ASSERT_TRUE(rt.add(native_spec(config_for("chat-model", {{"base_url", "ftp://x"}}), "llm")));
  auto started = rt.start_all();
  ASSERT_FALSE(started);
  auto text = describe(started.error());
  EXPECT_NE(text.find("chat-model"), std::string::npos) << text;
  EXPECT_NE(text.find("base_url"), std::string::npos) << text;
  EXPECT_NE(text.find("config_error"), std::string::npos) << text;
}

// Depends on the host routing "troupe.hooks/..." targets to the hook pipeline (the lead's
// branch): with no hook plugins the pipeline answers "continue" unchanged. Until that is
// merged the host answers those targets not_found and this test fails.
TEST_F(LlmActors, ExecuteThroughTheHostAnswersTheServersCompletion) {
  chat_server server;
  json reply = {{"id", "x"}, {"choices", {{{"message", {{"role", "assistant"}, {"content", "hi"}}}}}}};
  server.script({answer(200, reply)});
  runtime rt{sys, options()};
  ASSERT_TRUE(rt.add(native_spec(
    config_for("llm", {{"base_url", server.base_url()}, {"model", "m"}}), "llm")));
  auto started = rt.start_all();
  ASSERT_TRUE(started) << describe(started.error());
  json request = {{"agent", "a1"}, {"messages", {{{"role", "user"}, {"content", "hello"}}}}};
  auto out = rt.execute("llm", payload_from_json(request));
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(payload_to_json(*out).value(), reply);
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].json()["model"], "m");
  EXPECT_FALSE(got[0].json().contains("agent"));
  rt.shutdown_all();
}

} // namespace
} // namespace troupe::test
