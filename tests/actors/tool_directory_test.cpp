// The manager answers `tools` and `call_tool` from its tool directory, kept current as plugins
// load, unload, restart and reload: real actors, a native plugin that counts how often it is asked
// for its tools.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "actors/supervision_fixture.hpp"
#include "messages/json_codec.hpp"

namespace troupe::test {
namespace {

/// Shared by every instance: how often tools() was asked, which version the factory makes, and a
/// gate that execute("block") waits on.
struct tool_control {
  std::atomic<int> tool_queries{0};
  std::atomic<int> version{1};
  std::mutex mtx;
  std::condition_variable cv;
  bool open = false;
  bool opened_by_timer = false;
  bool blocked = false; ///< A call waits at the gate.

  /// Opens the gate; `by_timer` records who did.
  void release(bool by_timer) {
    std::lock_guard<std::mutex> guard{mtx};
    if (open)
      return;
    open = true;
    opened_by_timer = by_timer;
    cv.notify_all();
  }
};

/// Offers "double" (version 1) or "triple" (version 2); execute "crash" throws.
class tool_plugin final : public plugin {
public:
  tool_plugin(std::shared_ptr<tool_control> control)
    : control_(std::move(control)), version_(control_->version) {
  }

  plugin_metadata metadata() const override {
    plugin_metadata md;
    md.name = "tools";
    md.version = std::to_string(version_) + ".0.0";
    return md;
  }

  std::vector<tool_spec> tools() const override {
    ++control_->tool_queries;
    return {{version_ == 1 ? "double" : "triple", "multiplies x",
             R"({"type":"object","properties":{"x":{"type":"integer"}},"required":["x"]})"}};
  }

  caf::expected<payload> call_tool(plugin_context&, const std::string&,
                                   const payload& args) override {
    auto x = payload_to_json(args);
    return pack(x->at("x").get<std::int64_t>() * (version_ == 1 ? 2 : 3));
  }

  caf::expected<payload> execute(plugin_context&, const payload& input) override {
    auto text = unpack_as<std::string>(input);
    if (text && *text == "crash")
      throw std::runtime_error("crash on purpose");
    if (text && *text == "block") {
      std::unique_lock<std::mutex> lock{control_->mtx};
      control_->blocked = true;
      control_->cv.notify_all();
      control_->cv.wait(lock, [this] { return control_->open; });
    }
    return input;
  }

private:
  std::shared_ptr<tool_control> control_;
  int version_;
};

class ToolDirectory : public Supervision {
protected:
  void add_tools(const std::string& id) {
    auto md = rt->add(config_for(id), [c = control]() -> caf::expected<std::unique_ptr<plugin>> {
      return std::make_unique<tool_plugin>(c);
    });
    ASSERT_TRUE(md) << describe(md.error());
  }

  caf::expected<std::int64_t> call(const std::string& tool, std::int64_t x) {
    auto out = rt->call_tool(tool, *payload_from_json_text(R"({"x": )" + std::to_string(x) + "}"));
    if (!out)
      return std::move(out.error());
    return *unpack_as<std::int64_t>(*out);
  }

  std::shared_ptr<tool_control> control = std::make_shared<tool_control>();
};

TEST_F(ToolDirectory, CallToolDoesNotAskThePluginsForTheirToolsOnEveryCall) {
  start();
  add_tools("math");
  ASSERT_TRUE(rt->start_all());
  auto asked = control->tool_queries.load();
  for (int i = 0; i < 20; ++i) {
    auto out = call("double", i);
    ASSERT_TRUE(out) << describe(out.error());
    EXPECT_EQ(*out, 2 * i);
  }
  auto listed = rt->tools();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ(control->tool_queries.load(), asked) << "tools and call_tool asked the plugin";
}

TEST_F(ToolDirectory, ABusyPluginDoesNotDelayAToolCallOnAnother) {
  start();
  add_tools("busy");
  auto other = std::make_shared<tool_control>();
  other->version = 2;
  auto md = rt->add(config_for("calc"), [other]() -> caf::expected<std::unique_ptr<plugin>> {
    return std::make_unique<tool_plugin>(other);
  });
  ASSERT_TRUE(md) << describe(md.error());
  ASSERT_TRUE(rt->start_all());
  // "busy" blocks its thread until the gate opens: by this test once the tool call is answered,
  // or by a timer after 3 s (then the tool call waited on the busy plugin).
  auto blocked = std::async(std::launch::async,
                            [this] { return rt->execute("busy", pack(std::string("block"))); });
  {
    std::unique_lock<std::mutex> lock{control->mtx};
    ASSERT_TRUE(control->cv.wait_for(lock, request_timeout, [&] { return control->blocked; }));
  }
  std::thread timer{[c = control] {
    std::unique_lock<std::mutex> lock{c->mtx};
    if (!c->cv.wait_for(lock, std::chrono::seconds{3}, [&] { return c->open; })) {
      lock.unlock();
      c->release(true);
    }
  }};
  auto out = call("triple", 7);
  control->release(false);
  timer.join();
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, 21);
  EXPECT_FALSE(control->opened_by_timer) << "the tool call waited for the busy plugin";
  EXPECT_TRUE(blocked.get());
}

TEST_F(ToolDirectory, UnloadedPluginsToolsAreGone) {
  start();
  add_tools("math");
  ASSERT_TRUE(rt->start_all());
  ASSERT_TRUE(rt->step(lifecycle_op::stop, "math"));
  ASSERT_TRUE(rt->step(lifecycle_op::unload, "math"));
  auto listed = rt->tools();
  ASSERT_TRUE(listed);
  EXPECT_TRUE(listed->empty());
  EXPECT_TROUPE_ERROR(call("double", 1), errc::not_found);
}

TEST_F(ToolDirectory, ToolCallDuringARestartWaitsAndIsServedByTheNewInstance) {
  auto g = quiet_group(root_group);
  g.backoff.min = milliseconds{50}; // the call below arrives while the plugin is down
  g.backoff.max = milliseconds{50};
  start({g});
  add_tools("math");
  ASSERT_TRUE(rt->start_all());
  EXPECT_TROUPE_ERROR(rt->execute("math", pack(std::string("crash"))), errc::crashed);
  auto out = call("double", 21);
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, 42);
  EXPECT_TRUE(log.wait(event_kind::restarted, "math"));
}

TEST_F(ToolDirectory, ReloadAnswersOnceTheNewVersionsToolsAreListed) {
  start();
  add_tools("math");
  ASSERT_TRUE(rt->start_all());
  control->version = 2;
  auto md = rt->reload("math");
  ASSERT_TRUE(md) << describe(md.error());
  EXPECT_EQ(md->version, "2.0.0");
  auto listed = rt->tools();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "triple");
  auto out = call("triple", 5);
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, 15);
  EXPECT_TROUPE_ERROR(call("double", 5), errc::not_found);
}

} // namespace
} // namespace troupe::test
