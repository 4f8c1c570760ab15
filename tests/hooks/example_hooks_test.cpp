// The example hook scripts in scripts/hooks (rate limiter, cache, redactor, audit log) around a
// tool plugin, each on its own and all four together, through real actors.

#include <fstream>
#include <sstream>

#include "hooks/hook_fixture.hpp"

#ifndef TROUPE_SCRIPTS_DIR
#error "TROUPE_SCRIPTS_DIR must name the scripts/ folder"
#endif

namespace troupe::test {
namespace {

/// Tools for the examples: echo (as in tool_script), fail, and contact (answers personal data).
const char* const contact_tool = R"(
calls = 0
tools = {
  { name = "echo", parameters = { type = "object" },
    handler = function(args) calls = calls + 1; args.served = calls; return args end },
  { name = "fail", parameters = { type = "object" },
    handler = function(args) error("the tool failed on purpose", 0) end },
  { name = "contact", parameters = { type = "object" },
    handler = function(args)
      return { email = "Bob.Smith+ops@example.org", card = "5500-0000-0000-0004",
               phone = "555-1234", order = "1234567890123", note = "reach me: bob@example.org" }
    end },
}
function execute(input) return calls end
)";

class ExampleHooks : public HookPipeline {
protected:
  /// Adds scripts/hooks/NAME.lua as plugin `id`.
  void add_example(const std::string& id, const std::string& name,
                   std::map<std::string, std::string> settings = {}) {
    auto path = std::string(TROUPE_SCRIPTS_DIR) + "/hooks/" + name + ".lua";
    auto md = rt->add(lua_spec(config_for(id, std::move(settings)), path));
    ASSERT_TRUE(md) << describe(md.error());
  }

  /// The kv store's value under `key` (JSON), or null.
  json kv_get(const std::string& key) {
    auto out = rt->execute("kv", payload_from_json({{"op", "get"}, {"key", key}}));
    return out ? json_of(*out) : json(nullptr);
  }

  /// The kv store's keys.
  std::vector<std::string> kv_keys() {
    auto out = rt->execute("kv", payload_from_json({{"op", "keys"}}));
    if (!out)
      return {};
    auto j = json_of(*out);
    if (j.is_object() && j.contains("keys"))
      j = j["keys"];
    return j.get<std::vector<std::string>>();
  }
};

TEST_F(ExampleHooks, TheRateLimiterRefusesACallWhenItsToolsBucketIsEmpty) {
  add_script("tools", contact_tool);
  add_example("limiter", "rate_limiter", {{"rate", "0.001"}, {"burst", "2"},
                                          {"tools", R"({"contact": {"burst": 1}})"}});
  start_all();
  EXPECT_TRUE(tool("echo", json::object()));
  EXPECT_TRUE(tool("echo", json::object()));
  auto third = tool("echo", json::object());
  ASSERT_FALSE(third);
  EXPECT_EQ(code_name(third.error()), "plugin_failed");
  EXPECT_CONTAINS(text_of(third.error()), "plugin 'limiter'");
  EXPECT_CONTAINS(text_of(third.error()), "rate limit exceeded for tool 'echo'");
  EXPECT_EQ(tool_calls(), 2);
  EXPECT_TRUE(tool("contact", json::object())); // its own bucket, of one
  EXPECT_FALSE(tool("contact", json::object()));
}

TEST_F(ExampleHooks, TheRateLimiterRefusesBadSettingsAtInit) {
  add_script("tools", contact_tool);
  add_example("limiter", "rate_limiter", {{"rate", "-3"}});
  auto started = rt->start_all();
  ASSERT_FALSE(started);
  EXPECT_CONTAINS(describe(started.error()), "rate must be a positive number");
}

TEST_F(ExampleHooks, TheCacheAnswersARepeatedCallWithoutTheTool) {
  add_script("tools", contact_tool);
  add_example("cache", "cache");
  start_all();
  auto first = tool("echo", {{"a", 1}, {"b", {{"x", "y"}, {"z", 2}}}});
  ASSERT_TRUE(first);
  auto again = tool("echo", {{"b", {{"z", 2}, {"x", "y"}}}, {"a", 1}}); // same value, keys reordered
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *first);
  EXPECT_EQ(tool_calls(), 1);
  auto other = tool("echo", {{"a", 2}});
  ASSERT_TRUE(other);
  EXPECT_EQ(tool_calls(), 2);
  EXPECT_FALSE(tool("fail", json::object())); // failures are not cached
  EXPECT_FALSE(tool("fail", json::object()));
  auto stats = rt->execute("cache", payload_from_json(nullptr));
  ASSERT_TRUE(stats);
  EXPECT_EQ(json_of(*stats)["hits"], 1);
}

TEST_F(ExampleHooks, TheCacheWithAZeroTtlNeverAnswers) {
  add_script("tools", contact_tool);
  add_example("cache", "cache", {{"ttl_ms", "0"}});
  start_all();
  ASSERT_TRUE(tool("echo", {{"a", 1}}));
  ASSERT_TRUE(tool("echo", {{"a", 1}}));
  EXPECT_EQ(tool_calls(), 2);
}

TEST_F(ExampleHooks, TheRedactorMasksEmailsAndCardNumbersInArgsAndResults) {
  add_script("tools", contact_tool);
  add_example("redactor", "redactor");
  start_all();
  auto echoed = tool("echo", {{"text", "mail ann@example.com, card 4111 1111 1111 1111, ok"},
                              {"nested", {{"list", {"x@y.io"}}}}});
  ASSERT_TRUE(echoed) << text_of(echoed.error());
  EXPECT_EQ((*echoed)["text"], "mail [email], card [card ****1111], ok");
  EXPECT_EQ((*echoed)["nested"]["list"][0], "[email]");
  auto contact = tool("contact", json::object());
  ASSERT_TRUE(contact);
  EXPECT_EQ((*contact)["email"], "[email]");
  EXPECT_EQ((*contact)["card"], "[card ****0004]");
  EXPECT_EQ((*contact)["phone"], "555-1234");        // not a card
  EXPECT_EQ((*contact)["order"], "1234567890123");   // 13 digits that fail the Luhn check
  EXPECT_EQ((*contact)["note"], "reach me: [email]");
}

TEST_F(ExampleHooks, TheAuditLogWritesOneLinePerCallWithDurationAndOutcome) {
  auto kv = rt->add(native_spec(config_for("kv", {{"path", dir.file("kv.db")}}), "kv_store"));
  ASSERT_TRUE(kv) << describe(kv.error());
  add_script("tools", contact_tool);
  add_example("audit", "audit_log", {{"store", "kv"}});
  start_all();
  ASSERT_TRUE(tool("echo", json::object(), "planner"));
  ASSERT_FALSE(tool("fail", json::object()));
  auto keys = kv_keys();
  ASSERT_EQ(keys.size(), 2u);
  std::vector<std::string> lines;
  for (const auto& k : keys) {
    EXPECT_EQ(k.rfind("audit/", 0), 0u) << k;
    auto v = kv_get(k);
    lines.push_back(v.is_object() && v.contains("value") ? v["value"].get<std::string>()
                                                         : v.dump());
  }
  std::string all = lines[0] + "\n" + lines[1];
  EXPECT_CONTAINS(all, "agent=planner tool=echo duration_ms=");
  EXPECT_CONTAINS(all, "outcome=ok");
  EXPECT_CONTAINS(all, "tool=fail");
  EXPECT_CONTAINS(all, "outcome=plugin_failed: ");
}

TEST_F(ExampleHooks, AllFourRunInTheirDocumentedOrder) {
  auto kv = rt->add(native_spec(config_for("kv", {{"path", dir.file("kv.db")}}), "kv_store"));
  ASSERT_TRUE(kv);
  add_script("tools", contact_tool);
  add_example("audit", "audit_log");
  add_example("redactor", "redactor");
  add_example("cache", "cache");
  add_example("limiter", "rate_limiter");
  start_all();
  auto order = rt->hooks();
  ASSERT_TRUE(order);
  std::vector<std::pair<std::string, int>> seen;
  for (const auto& row : *order)
    seen.emplace_back(row.metadata.id, row.metadata.hook_priority);
  EXPECT_EQ(seen, (std::vector<std::pair<std::string, int>>{
                    {"limiter", 10}, {"cache", 30}, {"redactor", 60}, {"audit", 90}}));
  auto out = tool("contact", json::object());
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ((*out)["email"], "[email]");
  auto cached = tool("contact", json::object()); // the cache answers: audit does not run
  ASSERT_TRUE(cached);
  EXPECT_EQ(*cached, *out); // it kept the result the redactor had masked (after hooks unwind)
  EXPECT_EQ(kv_keys().size(), 1u);
}

} // namespace
} // namespace troupe::test
