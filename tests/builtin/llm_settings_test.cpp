// The llm plugin's settings (defaults, refusals naming the plugin), the retry delay rule, the
// Retry-After parsing and the server message extraction, without a network.

#include <cstdlib>

#include "llm_fixture.hpp"
#include "plugins/builtin/llm/llm_client.hpp"
#include "plugins/builtin/llm/llm_settings.hpp"

namespace troupe::test {
namespace {

using std::chrono::milliseconds;
using namespace troupe::builtin;

caf::expected<llm_settings> read(settings_map m) {
  plugin_config cfg;
  cfg.id = "my-llm";
  cfg.settings = std::move(m);
  plugin_context ctx{std::move(cfg), std::make_shared<shared_state>()};
  return read_llm_settings(ctx);
}

/// The config_error for `m`, which must name the plugin; its text.
std::string refusal(settings_map m) {
  auto s = read(std::move(m));
  if (s) {
    ADD_FAILURE() << "settings were accepted";
    return {};
  }
  EXPECT_EQ(code_name(s.error()), "config_error") << describe(s.error());
  EXPECT_EQ(plugin_of(s.error()), "my-llm");
  return describe(s.error());
}

TEST(LlmSettings, DefaultsAreDocumented) {
  auto s = read({{"base_url", "https://api.openai.com/v1/"}});
  ASSERT_TRUE(s) << describe(s.error());
  EXPECT_EQ(s->endpoint.origin, "https://api.openai.com");
  EXPECT_EQ(s->endpoint.path, "/v1/chat/completions");
  EXPECT_TRUE(s->endpoint.tls);
  EXPECT_EQ(s->model, "");
  EXPECT_EQ(s->api_key, "");
  EXPECT_EQ(s->timeout, milliseconds{60000});
  EXPECT_EQ(s->retries, 2);
  EXPECT_EQ(s->backoff, milliseconds{500});
  EXPECT_EQ(s->max_backoff, milliseconds{30000});
  EXPECT_EQ(s->max_body_bytes, 8u << 20);
  EXPECT_EQ(s->hook_timeout, milliseconds{5000});
}

TEST(LlmSettings, PortAndPathAreKept) {
  auto s = read({{"base_url", "http://127.0.0.1:11434/v1"}, {"timeout_ms", "1500"}});
  ASSERT_TRUE(s) << describe(s.error());
  EXPECT_EQ(s->endpoint.origin, "http://127.0.0.1:11434");
  EXPECT_EQ(s->endpoint.display_url, "http://127.0.0.1:11434/v1/chat/completions");
  EXPECT_FALSE(s->endpoint.tls);
  EXPECT_EQ(s->timeout, milliseconds{1500});
}

TEST(LlmSettings, BadSettingsAreConfigErrorsNamingThePluginAndTheSetting) {
  EXPECT_NE(refusal({}).find("base_url"), std::string::npos);
  EXPECT_NE(refusal({{"base_url", "ftp://example.com"}}).find("base_url"), std::string::npos);
  EXPECT_NE(refusal({{"base_url", "http://:80/v1"}}).find("base_url"), std::string::npos);
  EXPECT_NE(refusal({{"base_url", "http://h:99999"}}).find("base_url"), std::string::npos);
  EXPECT_NE(refusal({{"base_url", "http://h/v1?x=1"}}).find("query"), std::string::npos);
  EXPECT_NE(refusal({{"base_url", "http://h"}, {"timeout_ms", "soon"}}).find("timeout_ms"),
            std::string::npos);
  EXPECT_NE(refusal({{"base_url", "http://h"}, {"retries", "-1"}}).find("retries"),
            std::string::npos);
  EXPECT_NE(refusal({{"base_url", "http://h"}, {"retries", "11"}}).find("retries"),
            std::string::npos);
  EXPECT_NE(refusal({{"base_url", "http://h"}, {"max_body_bytes", "10"}}).find("max_body_bytes"),
            std::string::npos);
}

TEST(LlmSettings, UserInfoInTheUrlIsRefusedWithoutRepeatingIt) {
  auto text = refusal({{"base_url", "https://bob:hunter2@api.example.com/v1"}});
  EXPECT_EQ(text.find("hunter2"), std::string::npos) << text;
  EXPECT_NE(text.find("api_key_env"), std::string::npos) << text;
}

TEST(LlmSettings, KeyVariableMustBeSet) {
  ::unsetenv("TROUPE_LLM_NO_SUCH_KEY");
  auto text = refusal({{"base_url", "http://h"}, {"api_key_env", "TROUPE_LLM_NO_SUCH_KEY"}});
  EXPECT_NE(text.find("TROUPE_LLM_NO_SUCH_KEY"), std::string::npos) << text;
  ::setenv("TROUPE_LLM_SET_KEY", "sk-abc", 1);
  auto s = read({{"base_url", "http://h"}, {"api_key_env", "TROUPE_LLM_SET_KEY"}});
  ASSERT_TRUE(s) << describe(s.error());
  EXPECT_EQ(s->api_key, "sk-abc");
}

TEST(LlmRetryDelay, DoublesWithJitterAndStopsAtTheCap) {
  llm_settings s;
  s.backoff = milliseconds{100};
  s.max_backoff = milliseconds{1000};
  EXPECT_EQ(retry_delay(s, 1, std::nullopt, 0.0), milliseconds{50});
  EXPECT_EQ(retry_delay(s, 1, std::nullopt, 1.0), milliseconds{100});
  EXPECT_EQ(retry_delay(s, 2, std::nullopt, 1.0), milliseconds{200});
  EXPECT_EQ(retry_delay(s, 3, std::nullopt, 0.0), milliseconds{200});
  EXPECT_EQ(retry_delay(s, 9, std::nullopt, 1.0), milliseconds{1000});
  EXPECT_EQ(retry_delay(s, 1, milliseconds{700}, 0.3), milliseconds{700});
  EXPECT_EQ(retry_delay(s, 1, milliseconds{7000}, 0.3), milliseconds{1000});
}

TEST(LlmRetryAfter, SecondsMillisecondsAndDates) {
  EXPECT_EQ(parse_retry_after("", "3"), milliseconds{3000});
  EXPECT_EQ(parse_retry_after("250", "3"), milliseconds{250});
  EXPECT_EQ(parse_retry_after("", "Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
  EXPECT_EQ(parse_retry_after("", ""), std::nullopt);
  EXPECT_EQ(parse_retry_after("-5", "x"), std::nullopt);
}

TEST(LlmServerMessage, OpenAiOllamaAndPlainBodies) {
  EXPECT_EQ(server_message(R"({"error": {"message": "bad model", "type": "x"}})"), "bad model");
  EXPECT_EQ(server_message(R"({"error": "model 'x' not found"})"), "model 'x' not found");
  EXPECT_EQ(server_message(R"({"message": "nope"})"), "nope");
  EXPECT_EQ(server_message("Bad Gateway"), "Bad Gateway");
  EXPECT_EQ(server_message(std::string(400, 'a')).size(), 303u);
}

} // namespace
} // namespace troupe::test
