// The llm plugin's hook steps, driven through begin_call/continue_call with pipeline answers
// built by the hooks.hpp encoders: before_model_call short-circuits or replaces the request,
// after_model_call replaces the response or turns a failure into a value, the context (agent,
// state) carries from one step to the next, and a hook's error fails the call.

#include "llm_fixture.hpp"
#include "messages/msgpack_codec.hpp"
#include "messages/hooks.hpp"

namespace troupe::test {
namespace {

/// The pipeline's answer [action, value, ctx]: action "continue", "short_circuit", or nil (keep).
payload pipeline_answer(hook_action action, const json& value, const hook_context& ctx) {
  hook_verdict v{action, payload_from_json(value)};
  return encode_verdict(v, encode_hook_context(ctx));
}

/// A step's outgoing call input [value, ctx], decoded.
struct step_input {
  json value;
  hook_context ctx;
};

step_input decode_input(const call_step& step) {
  step_input in;
  auto handle = unpack(step.call->input);
  EXPECT_TRUE(handle);
  if (!handle)
    return in;
  const auto& o = handle->get();
  EXPECT_EQ(o.type, msgpack::type::ARRAY);
  EXPECT_EQ(o.via.array.size, 2u);
  auto value = payload_to_json(pack_object(o.via.array.ptr[0]));
  EXPECT_TRUE(value);
  in.value = value ? *value : json();
  auto ctx = decode_hook_context(pack_object(o.via.array.ptr[1]), "test");
  EXPECT_TRUE(ctx) << describe(ctx.error());
  if (ctx)
    in.ctx = *ctx;
  return in;
}

class LlmHooks : public llm_fixture {
protected:
  void SetUp() override {
    auto s = base();
    s["retries"] = "0";
    ready(s);
    server.script({answer(200, completion("from the server"))});
  }

  /// begin_call for execute with `request`.
  call_step begin(const json& request) {
    return llm->begin_call(*ctx, {invocation::kind::execute, {}, payload_from_json(request)});
  }

  call_step resume(const call_step& waiting, caf::expected<payload> answer) {
    return llm->continue_call(*ctx, waiting.ticket, std::move(answer));
  }

  /// The finished step's result as JSON; fails the test if it is waiting or failed.
  json result_of(const call_step& step) {
    EXPECT_FALSE(step.call) << "still waiting on " << step.call->target;
    EXPECT_TRUE(step.result) << describe(step.result.error());
    if (step.call || !step.result)
      return json("<no result>");
    auto out = payload_to_json(*step.result);
    return out ? *out : json("<undecodable>");
  }
};

TEST_F(LlmHooks, BeginAsksTheBeforeHookWithTheRequestAndTheAgent) {
  auto request = hello();
  request["agent"] = "planner";
  auto step = begin(request);
  ASSERT_TRUE(step.call);
  EXPECT_EQ(step.call->target, "troupe.hooks/before_model_call");
  EXPECT_EQ(step.call->target, hook_target(hook_point::before_model_call));
  EXPECT_EQ(step.call->timeout, std::chrono::milliseconds{5000});
  auto in = decode_input(step);
  EXPECT_EQ(in.value, hello()); // without "agent"
  EXPECT_EQ(in.ctx.agent, "planner");
  EXPECT_FALSE(in.ctx.error_code);
  EXPECT_TRUE(server.received().empty());
}

TEST_F(LlmHooks, BeforeShortCircuitAnswersWithoutAskingTheServer) {
  auto step = begin(hello());
  auto in = decode_input(step);
  auto done = resume(step, pipeline_answer(hook_action::short_circuit, {{"cached", true}}, in.ctx));
  EXPECT_EQ(result_of(done), (json{{"cached", true}}));
  EXPECT_TRUE(server.received().empty());
  auto c = llm->counters();
  EXPECT_EQ(c["short_circuits"], 1);
  EXPECT_EQ(c["http_attempts"], 0);
}

TEST_F(LlmHooks, BeforeContinueReplacesTheRequestSent) {
  auto step = begin(hello());
  auto in = decode_input(step);
  json changed = {{"model", "bigger-model"},
                  {"messages", {{{"role", "system"}, {"content", "remember: x"}},
                                {{"role", "user"}, {"content", "hi"}}}}};
  auto after = resume(step, pipeline_answer(hook_action::replace, changed, in.ctx));
  ASSERT_TRUE(after.call);
  EXPECT_EQ(after.call->target, "troupe.hooks/after_model_call");
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].json()["model"], "bigger-model");
  EXPECT_EQ(got[0].json()["messages"], changed["messages"]);
}

TEST_F(LlmHooks, AfterSeesTheResponseAndTheStateTheBeforeHookSet) {
  auto request = hello();
  request["agent"] = "writer";
  auto step = begin(request);
  auto ctx0 = decode_input(step).ctx;
  ctx0.state = payload_from_json({{"turn", 3}});
  auto after = resume(step, pipeline_answer(hook_action::keep, nullptr, ctx0));
  ASSERT_TRUE(after.call);
  auto in = decode_input(after);
  EXPECT_EQ(in.value, completion("from the server"));
  EXPECT_EQ(payload_to_json(in.ctx.state).value(), (json{{"turn", 3}}));
  EXPECT_EQ(in.ctx.agent, "writer");
  EXPECT_EQ(in.ctx.call_id, ctx0.call_id);
  EXPECT_FALSE(in.ctx.error_code);
  auto done = resume(after, pipeline_answer(hook_action::replace, {{"redacted", true}}, in.ctx));
  EXPECT_EQ(result_of(done), (json{{"redacted", true}}));
}

TEST_F(LlmHooks, AfterKeepAnswersTheServersResponse) {
  auto step = begin(hello());
  auto after = resume(step, pipeline_answer(hook_action::keep, nullptr, decode_input(step).ctx));
  ASSERT_TRUE(after.call);
  auto done = resume(after, pipeline_answer(hook_action::keep, nullptr, decode_input(after).ctx));
  EXPECT_EQ(result_of(done), completion("from the server"));
  EXPECT_EQ(llm->counters()["total_tokens"], 10);
}

TEST_F(LlmHooks, FailedCallRunsTheAfterHookWithTheErrorAndKeepsIt) {
  server.script({answer(404, {{"error", {{"message", "model 'nope' not found"}}}})});
  auto step = begin(hello());
  auto after = resume(step, pipeline_answer(hook_action::keep, nullptr, decode_input(step).ctx));
  ASSERT_TRUE(after.call);
  auto in = decode_input(after);
  EXPECT_TRUE(in.value.is_null());
  ASSERT_TRUE(in.ctx.error_code);
  EXPECT_EQ(*in.ctx.error_code, "bad_input");
  EXPECT_NE(in.ctx.error_message.find("model 'nope' not found"), std::string::npos)
    << in.ctx.error_message;
  auto done = resume(after, pipeline_answer(hook_action::keep, nullptr, in.ctx));
  EXPECT_FALSE(done.call);
  EXPECT_LLM_ERROR(done.result, errc::bad_input);
  EXPECT_EQ(llm->counters()["failures"], 1);
}

TEST_F(LlmHooks, AfterHookTurnsAFailureIntoAValue) {
  server.script({answer(500, {{"error", "down"}})});
  auto step = begin(hello());
  auto after = resume(step, pipeline_answer(hook_action::keep, nullptr, decode_input(step).ctx));
  ASSERT_TRUE(after.call);
  auto in = decode_input(after);
  ASSERT_TRUE(in.ctx.error_code);
  EXPECT_EQ(*in.ctx.error_code, "unavailable");
  auto done = resume(after, pipeline_answer(hook_action::replace, {{"fallback", true}}, in.ctx));
  EXPECT_EQ(result_of(done), (json{{"fallback", true}}));
  EXPECT_EQ(llm->counters()["failures"], 0);
}

TEST_F(LlmHooks, HookErrorFailsTheCallWithItsCode) {
  auto step = begin(hello());
  auto done = resume(step, make_error(errc::unauthorized, "guard", "agent may not call models"));
  EXPECT_FALSE(done.call);
  EXPECT_LLM_ERROR(done.result, errc::unauthorized);
  auto text = describe(done.result.error());
  EXPECT_NE(text.find("before_model_call"), std::string::npos) << text;
  EXPECT_NE(text.find("agent may not call models"), std::string::npos) << text;
  EXPECT_EQ(plugin_of(done.result.error()), "llm");
  EXPECT_TRUE(server.received().empty());
}

TEST_F(LlmHooks, AfterHookErrorFailsTheCallEvenWhenTheServerAnswered) {
  auto step = begin(hello());
  auto after = resume(step, pipeline_answer(hook_action::keep, nullptr, decode_input(step).ctx));
  ASSERT_TRUE(after.call);
  auto done = resume(after, make_error(errc::timeout, "troupe.hooks/after_model_call", "slow"));
  EXPECT_LLM_ERROR(done.result, errc::timeout);
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(LlmHooks, MalformedPipelineAnswerIsBadInput) {
  auto step = begin(hello());
  auto done = resume(step, payload_from_json(json{"continue"}));
  EXPECT_LLM_ERROR(done.result, errc::bad_input);
  EXPECT_TRUE(server.received().empty());
}

TEST_F(LlmHooks, AbandonedCallIsForgotten) {
  auto step = begin(hello());
  llm->abandon_call(*ctx, step.ticket);
  auto done = resume(step, pipeline_answer(hook_action::keep, nullptr, decode_input(step).ctx));
  EXPECT_LLM_ERROR(done.result, errc::plugin_failed);
  EXPECT_TRUE(server.received().empty());
}

TEST_F(LlmHooks, TwoCallsInterleaveWithTheirOwnContexts) {
  auto a = begin(json{{"agent", "a"}, {"messages", hello()["messages"]}});
  auto b = begin(json{{"agent", "b"}, {"messages", hello()["messages"]}});
  EXPECT_NE(a.ticket, b.ticket);
  auto b_after = resume(b, pipeline_answer(hook_action::keep, nullptr, decode_input(b).ctx));
  auto a_after = resume(a, pipeline_answer(hook_action::keep, nullptr, decode_input(a).ctx));
  EXPECT_EQ(decode_input(a_after).ctx.agent, "a");
  EXPECT_EQ(decode_input(b_after).ctx.agent, "b");
}

TEST_F(LlmHooks, ChatToolRunsTheSameStepsAndOtherToolsAreUnknown) {
  auto step = llm->begin_call(*ctx, {invocation::kind::tool, "chat", payload_from_json(hello())});
  ASSERT_TRUE(step.call);
  EXPECT_EQ(step.call->target, "troupe.hooks/before_model_call");
  auto other = llm->begin_call(*ctx, {invocation::kind::tool, "draw", payload_from_json(hello())});
  EXPECT_FALSE(other.call);
  EXPECT_LLM_ERROR(other.result, errc::not_found);
  auto tools = llm->tools();
  ASSERT_EQ(tools.size(), 1u);
  EXPECT_EQ(tools[0].name, "chat");
  EXPECT_TRUE(json::parse(tools[0].parameters, nullptr, false).is_object());
}

TEST_F(LlmHooks, MetadataAsksForADetachedHost) {
  EXPECT_TRUE(is_blocking(llm->metadata()));
  EXPECT_EQ(llm->metadata().type.kind, plugin_kind::llm);
}

} // namespace
} // namespace troupe::test
