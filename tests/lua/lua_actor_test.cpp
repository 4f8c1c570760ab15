// Lua plugins through real actors, with troupe::runtime: execute and stats, call_plugin between
// plugins (Lua and native, missing, timing out, interleaved), call_script_function, tools with
// their schemas, and one plugin's limit violation leaving the others serving.

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "actor_fixture.hpp"
#include "actors/runtime.hpp"
#include "lua/lua_test_support.hpp"

namespace troupe::lua::test {
namespace {

using json = nlohmann::json;
using troupe::test::registered_config;
using troupe::test::example_natives;
using troupe::test::lua_spec;
using troupe::test::native_spec;

/// A native plugin whose execute waits until the test opens the gate, then echoes its input.
class gate_plugin final : public plugin {
public:
  explicit gate_plugin(std::shared_future<void> open) : open_(std::move(open)) {}
  plugin_metadata metadata() const override {
    plugin_metadata m;
    m.name = "gate";
    return m;
  }
  caf::expected<payload> execute(plugin_context&, const payload& input) override {
    open_.wait_for(std::chrono::seconds(10)); // a backstop: the test always opens it
    return input;
  }

private:
  std::shared_future<void> open_;
};

class LuaActors : public lua_fixture {
protected:
  static runtime_options options() {
    runtime_options opts;
    opts.call_timeout = std::chrono::seconds(10); // a hang becomes a failure
    opts.natives = example_natives(); // "echo", "kv_store"
    return opts;
  }

  /// Adds a Lua plugin `id` running `text`; `settings` as its config.
  void add(const std::string& id, const std::string& text,
           std::map<std::string, std::string> settings = {}) {
    auto path = write_script(id + ".lua", text);
    auto md = rt.add(lua_spec(plugin_config{id, std::move(settings), {}}, path));
    ASSERT_TRUE(md) << text_of(md.error());
  }

  /// Starts every plugin.
  void start() {
    auto started = rt.start_all();
    ASSERT_TRUE(started) << text_of(started.error());
  }

  /// Executes plugin `id` with JSON text; the answer as JSON.
  caf::expected<json> exec(const std::string& id, const std::string& json_text) {
    return as_json(rt.execute(id, *payload_from_json_text(json_text)));
  }

  registered_config cfg;
  caf::actor_system sys{cfg};
  runtime rt{sys, options()};
};

constexpr const char* calculator = R"(
  plugin_name = "calculator"
  tools = {
    { name = "add", description = "adds two numbers",
      parameters = { type = "object",
                     properties = { a = { type = "number" }, b = { type = "number" } },
                     required = { "a", "b" } },
      handler = function(args) handled = handled + 1 return args.a + args.b end },
    { name = "shout", description = "upper-cases text" },
  }
  handled = 0
  function handled_count() return handled end
  function shout(args) return upper(args.text) end
  function add3(a, b, c) return a + b + c end
  function argc(...) return select("#", ...) end
  function execute(x)
    if x == "fail" then error("asked to fail") end
    local s = 0
    for i = 1, 10000 do s = s + i end
    return s
  end
)";

// -- execute and stats ---------------------------------------------------------------------------

TEST_F(LuaActors, ExecuteRunsTheScriptAndMetadataComesFromIt) {
  add("calc", calculator);
  start();
  EXPECT_EQ(*exec("calc", "null"), 50005000);
  auto md = rt.metadata("calc");
  ASSERT_TRUE(md) << text_of(md.error());
  EXPECT_EQ(md->name, "calculator");
  EXPECT_EQ(md->type, (plugin_type{plugin_kind::custom, "lua"}));
  auto health = rt.health("calc");
  ASSERT_TRUE(health) << text_of(health.error());
  EXPECT_TRUE(health->healthy);
  EXPECT_EQ(health->detail.rfind("lua ", 0), 0u) << health->detail;
}

TEST_F(LuaActors, StatsCountCallsFailuresAndLuaCounters) {
  add("calc", calculator, {{"limit.memory", "4M"}});
  start();
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(exec("calc", "null"));
  EXPECT_TROUPE_ERROR(exec("calc", "\"fail\""), errc::plugin_failed);
  auto stats = rt.stats("calc");
  ASSERT_TRUE(stats) << text_of(stats.error());
  EXPECT_EQ(stats->calls, 4u);
  EXPECT_EQ(stats->failures, 1u);
  EXPECT_GT(stats->counters["memory_bytes"], 0);
  EXPECT_GE(stats->counters["memory_peak_bytes"], stats->counters["memory_bytes"]);
  EXPECT_EQ(stats->counters["memory_limit_bytes"], 4 << 20);
  EXPECT_GT(stats->counters["instructions"], 30000);
  EXPECT_EQ(stats->counters["waiting_calls"], 0);
}

// -- call_plugin ---------------------------------------------------------------------------------

constexpr const char* relay = R"(
  function execute(x)
    local result, err, code = call_plugin(x.target, x.input, x.timeout)
    return { result = result, err = err, code = code }
  end
)";

TEST_F(LuaActors, CallPluginReachesAnotherLuaPlugin) {
  add("relay", relay);
  add("doubler", "function execute(x) return x * 2 end");
  start();
  EXPECT_EQ(*exec("relay", R"({"target": "doubler", "input": 21})"),
            json::parse(R"({"result": 42})"));
}

TEST_F(LuaActors, CallPluginReachesANativePlugin) {
  add("relay", relay);
  ASSERT_TRUE(rt.add(native_spec({"echo", {}, {}}, "echo")));
  start();
  EXPECT_EQ(*exec("relay", R"({"target": "echo", "input": {"deep": [1, 2.5, "x"]}})"),
            json::parse(R"({"result": {"deep": [1, 2.5, "x"]}})"));
}

TEST_F(LuaActors, CallPluginToAMissingPluginAnswersNilMessageAndCode) {
  add("relay", relay);
  start();
  auto out = exec("relay", R"({"target": "nobody", "input": 1})");
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_FALSE(out->contains("result"));
  EXPECT_EQ((*out)["code"], "not_found");
  EXPECT_NE((*out)["err"].get<std::string>().find("nobody"), std::string::npos) << *out;
}

TEST_F(LuaActors, CallPluginPassesTheTargetsErrorOn) {
  add("relay", relay);
  add("grumpy", "function execute(x) error('not today') end");
  start();
  auto out = exec("relay", R"({"target": "grumpy", "input": 1})");
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ((*out)["code"], "plugin_failed");
  EXPECT_NE((*out)["err"].get<std::string>().find("not today"), std::string::npos) << *out;
}

TEST_F(LuaActors, CallPluginTimesOut) {
  add("relay", relay);
  add("slow", "function execute(x) if x == 'spin' then while true do end end return 'awake' end",
      {{"limit.instructions", "0"}, {"limit.wall_time_ms", "150"}});
  start();
  auto out = exec("relay", R"({"target": "slow", "input": "spin", "timeout": 50})");
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_FALSE(out->contains("result"));
  EXPECT_EQ((*out)["code"], "timeout");
  EXPECT_NE((*out)["err"].get<std::string>().find("50 ms"), std::string::npos) << *out;
  EXPECT_EQ(*exec("slow", "\"hello\""), "awake"); // after its own wall-time stop
  EXPECT_EQ(*exec("relay", R"({"target": "slow", "input": 1})"), json::parse(R"({"result":"awake"})"));
}

TEST_F(LuaActors, CallPluginFromALifecycleFunctionFails) {
  ASSERT_TRUE(rt.add(native_spec({"echo", {}, {}}, "echo")));
  add("eager", "function init() call_plugin('echo', 1) end function execute(x) return x end");
  ASSERT_TRUE(rt.step(lifecycle_op::load, "eager"));
  auto init = rt.step(lifecycle_op::init, "eager");
  EXPECT_TROUPE_ERROR(init, errc::plugin_failed);
  EXPECT_TRUE(mentions(init.error(), "call_plugin can only be used by execute")) << text_of(init.error());
}

TEST_F(LuaActors, CallPluginWhereItCannotWaitFails) {
  ASSERT_TRUE(rt.add(native_spec({"echo", {}, {}}, "echo")));
  add("nested", R"(
    function execute(x)
      if x == "coroutine" then
        return coroutine.wrap(function() return call_plugin("echo", 1) end)()
      end
      table.sort({2, 1}, function(a, b) call_plugin("echo", 1) return a < b end)
    end
  )");
  start();
  auto from_coroutine = exec("nested", "\"coroutine\"");
  EXPECT_TROUPE_ERROR(from_coroutine, errc::plugin_failed);
  EXPECT_TRUE(mentions(from_coroutine.error(), "call_plugin can only be used"));
  auto from_comparator = exec("nested", "\"sort\"");
  EXPECT_TROUPE_ERROR(from_comparator, errc::plugin_failed);
  EXPECT_TRUE(mentions(from_comparator.error(), "cannot wait here"));
}

TEST_F(LuaActors, CallPluginArgumentsAreChecked) {
  ASSERT_TRUE(rt.add(native_spec({"echo", {}, {}}, "echo")));
  add("careless", R"(
    function execute(x)
      if x == "function" then return call_plugin("echo", {f = print}) end
      if x == "timeout" then return call_plugin("echo", 1, 0) end
      return call_plugin("echo", x)
    end
  )");
  start();
  auto unencodable = exec("careless", "\"function\"");
  EXPECT_TROUPE_ERROR(unencodable, errc::plugin_failed);
  EXPECT_TRUE(mentions(unencodable.error(), "call_plugin: cannot send the value"))
    << text_of(unencodable.error());
  auto zero = exec("careless", "\"timeout\"");
  EXPECT_TROUPE_ERROR(zero, errc::plugin_failed);
  EXPECT_TRUE(mentions(zero.error(), "timeout must be a positive number")) << text_of(zero.error());
  EXPECT_EQ(*exec("careless", "\"fine\""), "fine");
}

TEST_F(LuaActors, InterleavedCallsBackIntoTheCallerDoNotDeadlock) {
  add("a", R"(
    function execute(x)
      if x == "start" then return "a got " .. call_plugin("b", "ping") end
      return "a answers " .. x
    end
  )");
  add("b", "function execute(x) return 'b got ' .. call_plugin('a', 'from b') end");
  start();
  EXPECT_EQ(*exec("a", "\"start\""), "a got b got a answers from b");
}

TEST_F(LuaActors, CallerKeepsServingWhileOneCallWaits) {
  std::promise<void> opener;
  std::shared_future<void> open = opener.get_future().share();
  ASSERT_TRUE(rt.add({"gate", {}, {}}, std::make_unique<gate_plugin>(open)));
  add("a", R"(
    function execute(x)
      if x == "wait" then return "a got " .. call_plugin("gate", "through") end
      return "quick " .. x
    end
  )");
  start();
  auto waiting = std::async(std::launch::async, [&] { return exec("a", "\"wait\""); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::int64_t suspended = 0;
  while (suspended == 0 && std::chrono::steady_clock::now() < deadline) {
    auto stats = rt.stats("a");
    suspended = stats ? stats->counters["waiting_calls"] : 0;
    std::this_thread::yield();
  }
  ASSERT_EQ(suspended, 1) << "a never started waiting";
  EXPECT_EQ(*exec("a", "\"one\""), "quick one");
  EXPECT_EQ(*exec("a", "\"two\""), "quick two");
  EXPECT_EQ(rt.stats("a")->counters["waiting_calls"], 1); // the gate is still closed
  opener.set_value();
  auto out = waiting.get();
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(*out, "a got through");
  EXPECT_EQ(rt.stats("a")->counters["waiting_calls"], 0);
}

// -- call_script_function ------------------------------------------------------------------------

TEST_F(LuaActors, CallScriptFunctionSpreadsArrayArguments) {
  add("calc", calculator);
  ASSERT_TRUE(rt.add(native_spec({"echo", {}, {}}, "echo")));
  add("relay", "function via_echo(x) return call_plugin('echo', x) end "
               "function execute(x) return x end");
  start();
  auto sum = rt.call_script_function("calc", "add3", pack(std::vector<int>{1, 2, 3}));
  ASSERT_TRUE(sum) << text_of(sum.error());
  EXPECT_EQ(*unpack_as<int>(*sum), 6);
  EXPECT_EQ(*as_json(rt.call_script_function("calc", "argc", nil_payload())), 0);
  EXPECT_EQ(*as_json(rt.call_script_function("calc", "argc", pack(std::string("one")))), 1);
  EXPECT_EQ(*as_json(rt.call_script_function("relay", "via_echo", pack(std::string("hi")))), "hi");
  EXPECT_TROUPE_ERROR(rt.call_script_function("calc", "nothing_here", nil_payload()),
                      errc::not_found);
}

// -- tools ---------------------------------------------------------------------------------------

TEST_F(LuaActors, ToolsAppearWithTheirSchemas) {
  add("calc", calculator);
  start();
  auto tools = rt.tools();
  ASSERT_TRUE(tools) << text_of(tools.error());
  ASSERT_EQ(tools->size(), 2u);
  const auto& add_tool = (*tools)[0];
  EXPECT_EQ(add_tool.plugin, "calc");
  EXPECT_EQ(add_tool.name, "add");
  EXPECT_EQ(add_tool.description, "adds two numbers");
  EXPECT_EQ(json::parse(add_tool.parameters),
            json::parse(R"({"type":"object","required":["a","b"],
                            "properties":{"a":{"type":"number"},"b":{"type":"number"}}})"));
  EXPECT_EQ((*tools)[1].name, "shout");
  EXPECT_EQ(json::parse((*tools)[1].parameters), json::parse(R"({"type":"object"})"));
}

TEST_F(LuaActors, CallToolRunsTheHandlerOrTheGlobalFunction) {
  add("calc", calculator);
  start();
  EXPECT_EQ(*as_json(rt.call_tool("add", *payload_from_json_text(R"({"a": 2, "b": 3.5})"))), 5.5);
  EXPECT_EQ(*as_json(rt.call_tool("calc/shout", *payload_from_json_text(R"({"text": "hey"})"))),
            "HEY");
}

TEST_F(LuaActors, ToolArgumentsFailingTheSchemaAreBadInput) {
  add("calc", calculator);
  start();
  auto missing = rt.call_tool("add", *payload_from_json_text(R"({"a": 2})"));
  EXPECT_TROUPE_ERROR(missing, errc::bad_input);
  EXPECT_TRUE(mentions(missing.error(), "/b")) << text_of(missing.error());
  EXPECT_TRUE(mentions(missing.error(), "required")) << text_of(missing.error());
  auto wrong = rt.call_tool("add", *payload_from_json_text(R"({"a": 2, "b": "three"})"));
  EXPECT_TROUPE_ERROR(wrong, errc::bad_input);
  EXPECT_TRUE(mentions(wrong.error(), "expected")) << text_of(wrong.error());
  EXPECT_EQ(*as_json(rt.call_script_function("calc", "handled_count", nil_payload())), 0)
    << "the handler must not have run";
  EXPECT_EQ(*as_json(rt.call_tool("add", *payload_from_json_text(R"({"a": 2, "b": 3})"))), 5);
  EXPECT_EQ(*as_json(rt.call_script_function("calc", "handled_count", nil_payload())), 1);
}

TEST_F(LuaActors, UnknownToolIsNotFound) {
  add("calc", calculator);
  start();
  EXPECT_TROUPE_ERROR(rt.call_tool("multiply", nil_payload()), errc::not_found);
  EXPECT_TROUPE_ERROR(rt.call_tool("other/add", nil_payload()), errc::not_found);
}

TEST_F(LuaActors, SameToolNameInTwoPluginsIsAmbiguousUnlessQualified) {
  add("calc", calculator);
  add("calc2", calculator);
  start();
  auto args = *payload_from_json_text(R"({"a": 1, "b": 2})");
  auto ambiguous = rt.call_tool("add", args);
  EXPECT_TROUPE_ERROR(ambiguous, errc::bad_input);
  EXPECT_TRUE(mentions(ambiguous.error(), "ambiguous")) << text_of(ambiguous.error());
  EXPECT_TRUE(mentions(ambiguous.error(), "calc2/add")) << text_of(ambiguous.error());
  EXPECT_EQ(*as_json(rt.call_tool("calc2/add", args)), 3);
  EXPECT_EQ(rt.stats("calc2")->calls, 1u);
}

TEST_F(LuaActors, ToolHandlerCanCallAnotherPlugin) {
  ASSERT_TRUE(rt.add(native_spec({"echo", {}, {}}, "echo")));
  add("asker", R"(
    tools = { { name = "ask", handler = function(args) return call_plugin("echo", args.q) end } }
    function execute(x) return x end
  )");
  start();
  EXPECT_EQ(*as_json(rt.call_tool("ask", *payload_from_json_text(R"({"q": "why"})"))), "why");
}

// -- isolation and configuration -----------------------------------------------------------------

TEST_F(LuaActors, LimitViolationInOnePluginLeavesTheOthersServing) {
  add("calc", calculator);
  add("spinner", "function execute(x) if x == 'spin' then while true do end end return 'ok' end",
      {{"limit.instructions", "100000"}});
  start();
  auto stopped = exec("spinner", "\"spin\"");
  EXPECT_TROUPE_ERROR(stopped, errc::limit_exceeded);
  EXPECT_TRUE(mentions(stopped.error(), "instruction limit exceeded (100000 per call)"))
    << text_of(stopped.error());
  EXPECT_EQ(plugin_of(stopped.error()), "spinner");
  EXPECT_EQ(*exec("calc", "null"), 50005000);
  EXPECT_EQ(*exec("spinner", "\"again\""), "ok");
  auto stats = rt.stats("spinner");
  EXPECT_EQ(stats->failures, 1u);
  EXPECT_EQ(stats->counters["instruction_stops"], 1);
  EXPECT_EQ(stats->state.code, state_code::running);
}

TEST_F(LuaActors, ScriptSettingConfiguresAPluginAddedWithoutAPath) {
  auto path = write_script("configured.lua", "function execute(x) return 'configured ' .. x end");
  ASSERT_TRUE(rt.add(lua_spec(plugin_config{"conf", {{"script", path}}, {}}, "")));
  start();
  EXPECT_EQ(*exec("conf", "\"yes\""), "configured yes");
}

TEST_F(LuaActors, BadLimitSettingFailsLoadWithAConfigError) {
  add("bad", "function execute(x) return x end", {{"limit.wall_time_ms", "soon"}});
  auto loaded = rt.step(lifecycle_op::load, "bad");
  EXPECT_TROUPE_ERROR(loaded, errc::config_error);
  EXPECT_TRUE(mentions(loaded.error(), "wall_time_ms")) << text_of(loaded.error());
}

} // namespace
} // namespace troupe::lua::test
