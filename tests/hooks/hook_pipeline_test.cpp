// The agent hook pipeline (docs/hooks.md) through real actors: Lua and native hooks around
// call_tool in priority order, continue / short_circuit / fail, after hooks on results and
// failures, the ctx (call id, agent, shared state), supervision and limits, stopped hook plugins,
// the model hook endpoint, Lua's call_tool, and `hooks` in order.

#include "hooks/hook_fixture.hpp"
#include "messages/manager_protocol.hpp"
#include "plugins/api/plugin.hpp"

namespace troupe::test {
namespace {

using nlohmann::json;

/// A hook plugin that appends its id to args.trail (before) and result.after_trail (after).
std::string trail_hook(const std::string& id, int priority) {
  return "plugin_priority = " + std::to_string(priority) + R"(
function before_tool_call(tool, args, ctx)
  args.trail = args.trail or {}
  table.insert(args.trail, ")" + id + R"(")
  return "continue", args
end
function after_tool_call(tool, args, result, ctx)
  if result == nil then return end
  result.after_trail = result.after_trail or {}
  table.insert(result.after_trail, ")" + id + R"(")
  return "continue", result
end
function execute(input) return nil end
)";
}

/// A native plugin with a before_tool_call hook: adds {"native": true} to the args' `tags`.
class native_tagger : public plugin {
public:
  plugin_metadata metadata() const override {
    plugin_metadata md;
    md.name = "native_tagger";
    md.hook_priority = 20;
    return md;
  }
  caf::expected<payload> execute(plugin_context&, const payload& input) override { return input; }
  std::vector<hook_point> hooks() const override { return {hook_point::before_tool_call}; }
  caf::expected<hook_verdict> on_hook(plugin_context& ctx, hook_call& call) override {
    auto args = json_of(call.args);
    if (args.value("refuse", false))
      return make_error(errc::plugin_failed, ctx.plugin_id(), "the native hook refuses");
    args["native_saw_agent"] = call.ctx.agent;
    return hook_verdict::replace(payload_from_json(args));
  }
};

/// A native hook that crashes (fatal) when the args ask it to; counts its instances' calls.
class crashing_hook : public plugin {
public:
  plugin_metadata metadata() const override {
    plugin_metadata md;
    md.name = "crashing_hook";
    return md;
  }
  caf::expected<payload> execute(plugin_context&, const payload& input) override { return input; }
  std::vector<hook_point> hooks() const override { return {hook_point::before_tool_call}; }
  caf::expected<hook_verdict> on_hook(plugin_context& ctx, hook_call& call) override {
    if (json_of(call.args).value("crash", false))
      return make_error(errc::fatal, ctx.plugin_id(), "the hook crashes on purpose");
    return hook_verdict::keep();
  }
};

TEST_F(HookPipeline, WithoutHooksAToolCallAnswersAsBefore) {
  add_script("tools", tool_script);
  start_all();
  auto out = tool("echo", {{"x", 1}});
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ((*out)["x"], 1);
  EXPECT_EQ((*out)["served"], 1);
}

TEST_F(HookPipeline, BeforeHooksRunInAscendingPriorityTiesInRegistrationOrderAfterHooksUnwind) {
  add_script("tools", tool_script);
  add_script("late", trail_hook("late", 50));
  add_script("first", trail_hook("first", 10));
  add_script("also_late", trail_hook("also_late", 50));
  start_all();
  auto out = tool("echo", json::object());
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ((*out)["trail"], json({"first", "late", "also_late"}));
  EXPECT_EQ((*out)["after_trail"], json({"also_late", "late", "first"}));
  auto order = rt->hooks();
  ASSERT_TRUE(order) << text_of(order.error());
  std::vector<std::string> ids;
  for (const auto& row : *order)
    ids.push_back(row.metadata.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"first", "late", "also_late"}));
  EXPECT_EQ((*order)[0].metadata.hooks,
            (std::vector<std::string>{"before_tool_call", "after_tool_call"}));
}

TEST_F(HookPipeline, AHookWithoutPriorityRunsAtOneHundred) {
  add_script("tools", tool_script);
  add_script("default", "function before_tool_call(t, a, c) end\nfunction execute() end");
  add_script("early", trail_hook("early", 99));
  add_script("later", trail_hook("later", 101));
  start_all();
  auto order = rt->hooks();
  ASSERT_TRUE(order);
  ASSERT_EQ(order->size(), 3u);
  EXPECT_EQ((*order)[1].metadata.id, "default");
  EXPECT_EQ((*order)[1].metadata.hook_priority, default_hook_priority);
}

TEST_F(HookPipeline, AShortCircuitAnswersWithoutTheToolOrAnyLaterHook) {
  add_script("tools", tool_script);
  add_script("stopper", R"(
plugin_priority = 5
function before_tool_call(tool, args, ctx)
  if args.stop then return "short_circuit", { from = "stopper" } end
end
function execute() end)");
  add_script("later", trail_hook("later", 50));
  start_all();
  auto out = tool("echo", {{"stop", true}});
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(*out, json({{"from", "stopper"}}));
  EXPECT_EQ(tool_calls(), 0);
  auto normal = tool("echo", {{"stop", false}});
  ASSERT_TRUE(normal);
  EXPECT_EQ((*normal)["trail"], json({"later"}));
  EXPECT_EQ(tool_calls(), 1);
}

TEST_F(HookPipeline, AFailingBeforeHookFailsTheCallNamingItsPluginAndTheToolDoesNotRun) {
  add_script("tools", tool_script);
  add_script("guard", R"(
function before_tool_call(tool, args, ctx) error("no calls today", 0) end
function execute() end)");
  start_all();
  auto out = tool("echo", json::object());
  ASSERT_FALSE(out);
  EXPECT_EQ(code_name(out.error()), "plugin_failed");
  EXPECT_CONTAINS(text_of(out.error()), "plugin 'guard'");
  EXPECT_CONTAINS(text_of(out.error()), "no calls today");
  EXPECT_EQ(tool_calls(), 0);
}

TEST_F(HookPipeline, AnUnknownActionFailsTheCallNamingTheHookPlugin) {
  add_script("tools", tool_script);
  add_script("confused", R"(
function before_tool_call(tool, args, ctx) return "maybe", args end
function execute() end)");
  start_all();
  auto out = tool("echo", json::object());
  ASSERT_FALSE(out);
  EXPECT_EQ(code_name(out.error()), "bad_input");
  EXPECT_CONTAINS(text_of(out.error()), "plugin 'confused'");
  EXPECT_CONTAINS(text_of(out.error()), "unknown action 'maybe'");
}

TEST_F(HookPipeline, AfterHooksSeeAFailureAndMayTurnItIntoAValue) {
  add_script("tools", tool_script);
  add_script("fallback", R"(
seen = nil
function after_tool_call(tool, args, result, ctx)
  seen = ctx.error and (ctx.error.code .. " / " .. ctx.error.message) or "no error"
  if args.recover then return "continue", { recovered = true } end
end
function last_seen() return seen end
function execute() end)");
  start_all();
  auto failed = tool("fail", json::object());
  ASSERT_FALSE(failed);
  EXPECT_EQ(code_name(failed.error()), "plugin_failed");
  EXPECT_CONTAINS(text_of(failed.error()), "the tool failed on purpose");
  auto seen = rt->call_script_function("fallback", "last_seen", payload_from_json(nullptr));
  ASSERT_TRUE(seen);
  EXPECT_CONTAINS(json_of(*seen).get<std::string>(), "plugin_failed / ");
  auto recovered = tool("fail", {{"recover", true}});
  ASSERT_TRUE(recovered) << text_of(recovered.error());
  EXPECT_EQ(*recovered, json({{"recovered", true}}));
}

TEST_F(HookPipeline, AFailingAfterHookFailsTheCall) {
  add_script("tools", tool_script);
  add_script("picky", R"(
function after_tool_call(tool, args, result, ctx) error("result refused", 0) end
function execute() end)");
  start_all();
  auto out = tool("echo", json::object());
  ASSERT_FALSE(out);
  EXPECT_CONTAINS(text_of(out.error()), "plugin 'picky'");
  EXPECT_CONTAINS(text_of(out.error()), "result refused");
  EXPECT_EQ(tool_calls(), 1); // the tool ran; its result was refused
}

TEST_F(HookPipeline, TheCtxCarriesTheCallIdTheAgentAndAStateSharedByTheCallsHooks) {
  add_script("tools", tool_script);
  add_script("one", R"(
plugin_priority = 1
function before_tool_call(tool, args, ctx) ctx.state.marks = { "one:" .. ctx.call_id } end
function execute() end)");
  add_script("two", R"(
plugin_priority = 2
function before_tool_call(tool, args, ctx)
  table.insert(ctx.state.marks, "two:" .. ctx.agent)
end
function after_tool_call(tool, args, result, ctx)
  result.marks = ctx.state.marks
  result.call_id = ctx.call_id
  return "continue", result
end
function execute() end)");
  start_all();
  auto first = tool("echo", json::object(), "agent-7");
  ASSERT_TRUE(first) << text_of(first.error());
  auto id = (*first)["call_id"].get<std::uint64_t>();
  EXPECT_EQ((*first)["marks"], json({"one:" + std::to_string(id), "two:agent-7"}));
  auto second = tool("echo", json::object());
  ASSERT_TRUE(second);
  EXPECT_NE((*second)["call_id"], (*first)["call_id"]); // each call has its own id and state
  EXPECT_EQ((*second)["marks"].size(), 2u);
}

TEST_F(HookPipeline, ANativePluginsHookTakesPartInPriorityOrder) {
  add_script("tools", tool_script);
  add_script("lua_after", trail_hook("lua_after", 30));
  rt->natives().add<native_tagger>("native_tagger");
  auto md = rt->add(native_spec(config_for("tagger"), "native_tagger"));
  ASSERT_TRUE(md) << describe(md.error());
  start_all();
  auto out = tool("echo", json::object(), "planner");
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ((*out)["native_saw_agent"], "planner");
  EXPECT_EQ((*out)["trail"], json({"lua_after"}));
  auto refused = tool("echo", {{"refuse", true}});
  ASSERT_FALSE(refused);
  EXPECT_CONTAINS(text_of(refused.error()), "plugin 'tagger'");
  auto order = rt->hooks();
  ASSERT_TRUE(order);
  ASSERT_EQ(order->size(), 2u);
  EXPECT_EQ((*order)[0].metadata.id, "tagger"); // 20 before 30
}

TEST_F(HookPipeline, AHookOverItsLimitsFailsThatCallAndTheNextCallIsServed) {
  add_script("tools", tool_script);
  add_script("spinner", R"(
function before_tool_call(tool, args, ctx)
  if args.spin then while true do end end
end
function execute() end)",
             {{"limit.instructions", "100000"}});
  start_all();
  auto spun = tool("echo", {{"spin", true}});
  ASSERT_FALSE(spun);
  EXPECT_EQ(code_name(spun.error()), "limit_exceeded");
  EXPECT_CONTAINS(text_of(spun.error()), "plugin 'spinner'");
  auto next = tool("echo", {{"spin", false}});
  ASSERT_TRUE(next) << text_of(next.error());
  EXPECT_EQ(tool_calls(), 1);
}

TEST_F(HookPipeline, ACrashingHookFailsThatCallNamingItAndIsRestartedForTheNext) {
  add_script("tools", tool_script);
  rt->natives().add<crashing_hook>("crashing_hook");
  auto md = rt->add(native_spec(config_for("crasher"), "crashing_hook"));
  ASSERT_TRUE(md) << describe(md.error());
  start_all();
  auto crashed = tool("echo", {{"crash", true}});
  ASSERT_FALSE(crashed);
  EXPECT_CONTAINS(text_of(crashed.error()), "plugin 'crasher'");
  EXPECT_CONTAINS(text_of(crashed.error()), "the hook crashes on purpose");
  EXPECT_EQ(tool_calls(), 0);
  auto next = tool("echo", {{"crash", false}}); // held until the restart, then served
  ASSERT_TRUE(next) << text_of(next.error());
  auto stats = rt->stats("crasher");
  ASSERT_TRUE(stats);
  EXPECT_GE(stats->restarts, 1u);
}

TEST_F(HookPipeline, AReloadedHookRunsItsNewCodeAndKeepsItsGlobals) {
  add_script("tools", tool_script);
  add_script("tagger", R"(
seen = 0
function before_tool_call(tool, args, ctx) seen = seen + 1; args.v = "one:" .. seen; return "continue", args end
function execute() end)");
  start_all();
  auto before = tool("echo", json::object());
  ASSERT_TRUE(before);
  EXPECT_EQ((*before)["v"], "one:1");
  std::ofstream(dir.file("tagger.lua")) << R"(
seen = 0
function before_tool_call(tool, args, ctx) seen = seen + 1; args.v = "two:" .. seen; return "continue", args end
function execute() end)";
  auto reloaded = rt->reload("tagger");
  ASSERT_TRUE(reloaded) << describe(reloaded.error());
  auto after = tool("echo", json::object());
  ASSERT_TRUE(after) << text_of(after.error());
  EXPECT_EQ((*after)["v"], "two:2"); // the new code, the carried count
}

TEST_F(HookPipeline, AStoppedHookPluginTakesNoPartAndItsCloseRan) {
  add_script("tools", tool_script);
  add_script("blocker", R"(
closed = 0
function before_tool_call(tool, args, ctx) error("blocked", 0) end
function close() closed = closed + 1 end
function closes() return closed end
function execute() end)");
  start_all();
  ASSERT_FALSE(tool("echo", json::object()));
  auto stopped = rt->step(lifecycle_op::stop, "blocker");
  ASSERT_TRUE(stopped) << describe(stopped.error());
  auto out = tool("echo", json::object());
  ASSERT_TRUE(out) << text_of(out.error());
  auto closes = rt->call_script_function("blocker", "closes", payload_from_json(nullptr));
  ASSERT_TRUE(closes) << describe(closes.error());
  EXPECT_EQ(json_of(*closes), 1);
}

TEST_F(HookPipeline, TheModelHookEndpointRunsModelHooksAndCarriesTheCtx) {
  add_script("model_guard", R"(
function before_model_call(request, ctx)
  ctx.state.asked = #request.messages
  if request.messages[1].content == "cached?" then
    return "short_circuit", { choices = { { message = { role = "assistant", content = "cached" } } } }
  end
  request.temperature = 0
  return "continue", request
end
function after_model_call(response, ctx)
  response.asked = ctx.state.asked
  return "continue", response
end
function execute() end)");
  start_all();
  caf::scoped_actor self{sys};
  hook_context ctx;
  ctx.agent = "planner";
  auto request = payload_from_json({{"messages", {{{"role", "user"}, {"content", "hi"}}}}});
  payload answer;
  self->request(rt->manager(), request_timeout, hook_atom::value,
                std::string("before_model_call"), encode_pipeline_request(request, ctx))
    .receive([&](payload& out) { answer = std::move(out); },
             [&](caf::error& err) { FAIL() << describe(err); });
  hook_context after_ctx;
  auto verdict = decode_pipeline_answer(answer, after_ctx, "test");
  ASSERT_TRUE(verdict) << describe(verdict.error());
  EXPECT_EQ(verdict->action, hook_action::replace);
  EXPECT_EQ(json_of(verdict->value)["temperature"], 0);
  EXPECT_NE(after_ctx.call_id, 0u);
  EXPECT_EQ(after_ctx.agent, "planner");
  auto response = payload_from_json({{"choices", json::array()}});
  self->request(rt->manager(), request_timeout, hook_atom::value,
                std::string("after_model_call"), encode_pipeline_request(response, after_ctx))
    .receive([&](payload& out) { answer = std::move(out); },
             [&](caf::error& err) { FAIL() << describe(err); });
  hook_context final_ctx;
  auto after = decode_pipeline_answer(answer, final_ctx, "test");
  ASSERT_TRUE(after);
  EXPECT_EQ(json_of(after->value)["asked"], 1);
  EXPECT_EQ(final_ctx.call_id, after_ctx.call_id);
}

TEST_F(HookPipeline, AToolPointIsRefusedAtTheModelHookEndpoint) {
  start_all();
  caf::scoped_actor self{sys};
  caf::error failure;
  self->request(rt->manager(), request_timeout, hook_atom::value,
                std::string("before_tool_call"),
                encode_pipeline_request(payload_from_json(nullptr), hook_context{}))
    .receive([](payload&) {}, [&](caf::error& err) { failure = std::move(err); });
  ASSERT_TRUE(failure);
  EXPECT_CONTAINS(describe(failure), "not a model hook point");
}

TEST_F(HookPipeline, ALuaPluginsCallToolGoesThroughTheHooksAsItsAgent) {
  add_script("tools", tool_script);
  add_script("agent", R"(
function execute(input)
  local out, why, code = call_tool("echo", { q = input })
  if out == nil then return { failed = why, code = code } end
  return out
end)");
  add_script("tagger", R"(
function before_tool_call(tool, args, ctx) args.agent = ctx.agent; return "continue", args end
function execute() end)");
  start_all();
  auto out = rt->execute("agent", payload_from_json("question"));
  ASSERT_TRUE(out) << describe(out.error());
  auto result = json_of(*out);
  EXPECT_EQ(result["q"], "question");
  EXPECT_EQ(result["agent"], "agent");
  EXPECT_EQ(result["served"], 1);
}

} // namespace
} // namespace troupe::test
