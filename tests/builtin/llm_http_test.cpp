// The llm plugin's model call against a chat-completions server inside the test: the request it
// sends, server errors, retries with backoff and Retry-After, timeouts, refused connections,
// malformed and oversized answers, request checks and counters.

#include <cstdlib>

#include "llm_fixture.hpp"

namespace troupe::test {
namespace {

using std::chrono::milliseconds;

class LlmHttp : public llm_fixture {};

TEST_F(LlmHttp, SendsModelMessagesAndKeyAndAnswersTheCompletion) {
  ::setenv("TROUPE_LLM_TEST_KEY", "sk-test-123", 1);
  auto s = base();
  s["api_key_env"] = "TROUPE_LLM_TEST_KEY";
  ready(s);
  server.script({answer(200, completion("hello there"))});
  auto request = hello();
  request["temperature"] = 0.5;
  request["agent"] = "planner";
  auto out = chat(request);
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, completion("hello there"));
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/v1/chat/completions");
  EXPECT_EQ(got[0].authorization, "Bearer sk-test-123");
  auto sent = got[0].json();
  EXPECT_EQ(sent["model"], "test-model");
  EXPECT_EQ(sent["messages"], hello()["messages"]);
  EXPECT_EQ(sent["temperature"], 0.5);
  EXPECT_FALSE(sent.contains("agent"));
  auto c = llm->counters();
  EXPECT_EQ(c["requests"], 1);
  EXPECT_EQ(c["http_attempts"], 1);
  EXPECT_EQ(c["retries"], 0);
  EXPECT_EQ(c["failures"], 0);
  EXPECT_EQ(c["prompt_tokens"], 7);
  EXPECT_EQ(c["completion_tokens"], 3);
  EXPECT_EQ(c["total_tokens"], 10);
}

TEST_F(LlmHttp, ModelNamedInTheRequestWinsAndNoKeyMeansNoAuthorization) {
  ready(base());
  server.script({answer(200, completion("ok"))});
  auto request = hello();
  request["model"] = "other-model";
  ASSERT_TRUE(chat(request));
  auto got = server.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].json()["model"], "other-model");
  EXPECT_EQ(got[0].authorization, "");
}

TEST_F(LlmHttp, ClientErrorIsBadInputWithTheServersMessageAndIsNotRetried) {
  ready(base());
  server.script({answer(400, {{"error",
                               {{"message", "Invalid value for 'temperature': 7"},
                                {"type", "invalid_request_error"}}}})});
  auto out = chat(hello());
  EXPECT_LLM_ERROR(out, errc::bad_input);
  auto text = describe(out.error());
  EXPECT_NE(text.find("Invalid value for 'temperature': 7"), std::string::npos) << text;
  EXPECT_NE(text.find("HTTP 400"), std::string::npos) << text;
  EXPECT_NE(text.find("'llm'"), std::string::npos) << text;
  EXPECT_NE(text.find(server.base_url() + "/chat/completions"), std::string::npos) << text;
  EXPECT_EQ(server.received().size(), 1u);
  EXPECT_TRUE(sleeps.empty());
  EXPECT_EQ(llm->counters()["failures"], 1);
}

TEST_F(LlmHttp, UnauthorizedIsPluginFailedAndNeverShowsTheKey) {
  ::setenv("TROUPE_LLM_TEST_KEY2", "sk-secret-456", 1);
  auto s = base();
  s["api_key_env"] = "TROUPE_LLM_TEST_KEY2";
  ready(s);
  server.script({answer(401, {{"error", "invalid api key"}})});
  auto out = chat(hello());
  EXPECT_LLM_ERROR(out, errc::plugin_failed);
  auto text = describe(out.error());
  EXPECT_NE(text.find("invalid api key"), std::string::npos) << text;
  EXPECT_EQ(text.find("sk-secret-456"), std::string::npos) << text;
}

TEST_F(LlmHttp, ServerErrorIsRetriedWithBackoffThenSucceeds) {
  ready(base());
  server.script({answer(500, {{"error", {{"message", "overloaded"}}}}),
                 answer(200, completion("second time"))});
  auto out = chat(hello());
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, completion("second time"));
  EXPECT_EQ(server.received().size(), 2u);
  ASSERT_EQ(sleeps.size(), 1u);
  EXPECT_GE(sleeps[0], milliseconds{50}); // backoff 100 with jitter: 50..100
  EXPECT_LE(sleeps[0], milliseconds{100});
  auto c = llm->counters();
  EXPECT_EQ(c["http_attempts"], 2);
  EXPECT_EQ(c["retries"], 1);
  EXPECT_EQ(c["failures"], 0);
}

TEST_F(LlmHttp, TooManyRequestsWaitsAsRetryAfterSays) {
  ready(base());
  server.script({answer(429, {{"error", {{"message", "slow down"}}}}, {{"Retry-After", "2"}}),
                 answer(200, completion("ok"))});
  ASSERT_TRUE(chat(hello()));
  EXPECT_EQ(sleeps, (std::vector<milliseconds>{milliseconds{2000}}));
  EXPECT_EQ(server.received().size(), 2u);
}

TEST_F(LlmHttp, RetryAfterIsCappedByMaxBackoffAndRetryAfterMsIsUnderstood) {
  auto s = base();
  s["max_backoff_ms"] = "1500";
  ready(s);
  server.script({answer(429, {{"error", "busy"}}, {{"Retry-After", "120"}}),
                 answer(503, {{"error", "busy"}}, {{"retry-after-ms", "250"}}),
                 answer(200, completion("ok"))});
  ASSERT_TRUE(chat(hello()));
  EXPECT_EQ(sleeps, (std::vector<milliseconds>{milliseconds{1500}, milliseconds{250}}));
}

TEST_F(LlmHttp, RetriesUsedUpAnswerUnavailableWithTheLastStatus) {
  ready(base());
  server.script({answer(503, {{"error", {{"message", "model is loading"}}}})});
  auto out = chat(hello());
  EXPECT_LLM_ERROR(out, errc::unavailable);
  auto text = describe(out.error());
  EXPECT_NE(text.find("HTTP 503"), std::string::npos) << text;
  EXPECT_NE(text.find("model is loading"), std::string::npos) << text;
  EXPECT_NE(text.find("3 attempts"), std::string::npos) << text;
  EXPECT_EQ(server.received().size(), 3u);
  ASSERT_EQ(sleeps.size(), 2u);
  EXPECT_GE(sleeps[1], milliseconds{100}); // doubled: 100..200
  EXPECT_LE(sleeps[1], milliseconds{200});
}

TEST_F(LlmHttp, SlowAnswerBeyondTimeoutIsATimeout) {
  auto s = base();
  s["timeout_ms"] = "300";
  s["retries"] = "0";
  ready(s);
  server.script({[this](const httplib::Request&, httplib::Response& res) {
    server.hold(std::chrono::seconds{5}); // released when the test ends
    res.set_content(completion("late").dump(), "application/json");
  }});
  auto started = std::chrono::steady_clock::now();
  auto out = chat(hello());
  auto took = std::chrono::steady_clock::now() - started;
  server.release();
  EXPECT_LLM_ERROR(out, errc::timeout);
  EXPECT_NE(describe(out.error()).find("300 ms"), std::string::npos) << describe(out.error());
  EXPECT_LT(took, std::chrono::seconds{4});
}

TEST_F(LlmHttp, TimedOutAttemptIsRetried) {
  auto s = base();
  s["timeout_ms"] = "300";
  s["retries"] = "1";
  ready(s);
  server.script({[this](const httplib::Request&, httplib::Response& res) {
                   server.hold(std::chrono::seconds{5}); // released when the test ends
                   res.set_content(completion("late").dump(), "application/json");
                 },
                 answer(200, completion("on time"))});
  auto out = chat(hello());
  server.release();
  ASSERT_TRUE(out) << describe(out.error());
  EXPECT_EQ(*out, completion("on time"));
  EXPECT_EQ(server.received().size(), 2u);
  EXPECT_EQ(sleeps.size(), 1u);
}

TEST_F(LlmHttp, RefusedConnectionIsRetriedThenUnavailable) {
  auto port = closed_port();
  ASSERT_NE(port, 0);
  auto s = base();
  s["base_url"] = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  s["retries"] = "1";
  ready(s);
  auto out = chat(hello());
  EXPECT_LLM_ERROR(out, errc::unavailable);
  auto text = describe(out.error());
  EXPECT_NE(text.find("cannot reach"), std::string::npos) << text;
  EXPECT_NE(text.find("2 attempts"), std::string::npos) << text;
  EXPECT_EQ(sleeps.size(), 1u);
}

TEST_F(LlmHttp, MalformedJsonAnswerIsPluginFailed) {
  ready(base());
  server.script({raw_answer(200, R"({"choices": [ {"message": )")});
  auto out = chat(hello());
  EXPECT_LLM_ERROR(out, errc::plugin_failed);
  EXPECT_NE(describe(out.error()).find("not JSON"), std::string::npos) << describe(out.error());
  EXPECT_EQ(server.received().size(), 1u);
}

TEST_F(LlmHttp, AnswerThatIsNotAnObjectIsPluginFailed) {
  ready(base());
  server.script({raw_answer(200, "[1, 2, 3]")});
  EXPECT_LLM_ERROR(chat(hello()), errc::plugin_failed);
}

TEST_F(LlmHttp, AnswerOverMaxBodyBytesIsLimitExceeded) {
  auto s = base();
  s["max_body_bytes"] = "1024";
  ready(s);
  server.script({answer(200, completion(std::string(5000, 'x')))});
  EXPECT_LLM_ERROR(chat(hello()), errc::limit_exceeded);
}

TEST_F(LlmHttp, MalformedRequestsAreBadInputAndNeverSent) {
  ready(base());
  server.script({answer(200, completion("ok"))});
  EXPECT_LLM_ERROR(chat(json{{"model", "m"}}), errc::bad_input);
  EXPECT_LLM_ERROR(chat(json{{"messages", json::array()}}), errc::bad_input);
  EXPECT_LLM_ERROR(chat(json("just text")), errc::bad_input);
  auto streaming = hello();
  streaming["stream"] = true;
  EXPECT_LLM_ERROR(chat(streaming), errc::bad_input);
  auto bad_agent = hello();
  bad_agent["agent"] = 42;
  EXPECT_LLM_ERROR(chat(bad_agent), errc::bad_input);
  EXPECT_TRUE(server.received().empty());
}

TEST_F(LlmHttp, NoModelAnywhereIsBadInput) {
  auto s = base();
  s.erase("model");
  ready(s);
  auto out = chat(hello());
  EXPECT_LLM_ERROR(out, errc::bad_input);
  EXPECT_NE(describe(out.error()).find("model"), std::string::npos);
  EXPECT_TRUE(server.received().empty());
}

} // namespace
} // namespace troupe::test
