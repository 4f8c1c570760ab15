#pragma once
// The fixture of the sandbox tests: an attacker plugin made from a function body, and a
// bystander plugin whose answers and counters must not change whatever the attacker does.

#include <map>
#include <string>

#include "lua/lua_test_support.hpp"

namespace troupe::lua::test {

/// A plugin with state of its own that uses the string library, its metatable and the builtins.
constexpr const char* bystander_script = R"(
  local calls = 0
  function execute(x)
    calls = calls + 1
    local sum = 0
    for i = 1, 1000 do sum = sum + i end
    return { calls = calls, upper = string.upper(x), method = x:upper(), rep = ("ab"):rep(2),
             trimmed = trim("  " .. x .. "  "), json = json_encode({x}), sum = sum,
             mt = type(getmetatable("")) }
  end
)";

class Sandbox : public lua_fixture {
protected:
  void SetUp() override {
    lua_fixture::SetUp();
    bystander = host_ok(bystander_script, {}, small_limits(), "bystander");
    expect_bystander_untouched();
  }

  /// A plugin whose execute("attack") runs `body` (the body of a function) after `prelude` (top
  /// level code); any other input answers "ok".
  hosted_script attacker(const std::string& body, std::map<std::string, std::string> settings = {},
                         const std::string& prelude = "") {
    return host_ok(prelude + "\nfunction attack()\n" + body +
                     "\nend\nfunction execute(x) if x == 'attack' then return attack() end "
                     "return 'ok' end\n",
                   std::move(settings), small_limits(), "attacker");
  }

  /// The bystander answers as it always does, with its call count one higher.
  void expect_bystander_untouched() {
    auto out = run(bystander, "\"x\"");
    ASSERT_TRUE(out) << text_of(out.error());
    nlohmann::json wanted{{"calls", ++bystander_calls}, {"upper", "X"}, {"method", "X"},
                          {"rep", "abab"}, {"trimmed", "x"}, {"json", "[\"x\"]"},
                          {"sum", 500500}, {"mt", "boolean"}};
    EXPECT_EQ(*out, wanted);
    auto c = bystander.counters();
    EXPECT_EQ(c["time_stops"] + c["instruction_stops"] + c["memory_stops"], 0);
  }

  /// The attacker serves a normal call and the bystander is untouched.
  void expect_unharmed(hosted_script& h) {
    auto out = run(h, "\"normal\"");
    ASSERT_TRUE(out) << "the attacker no longer serves: " << text_of(out.error());
    EXPECT_EQ(*out, "ok");
    expect_bystander_untouched();
  }

  /// Runs `body` as an attack and expects it to fail with `code` mentioning `text`, leaving
  /// everything unharmed.
  void expect_stopped(const std::string& body, errc code, const std::string& text,
                      std::map<std::string, std::string> settings = {},
                      const std::string& prelude = "") {
    auto h = attacker(body, std::move(settings), prelude);
    EXPECT_LUA_ERROR(run(h, "\"attack\""), code, text);
    expect_unharmed(h);
  }

  /// Runs `body` (which must not fail) and answers its result.
  nlohmann::json attack_result(const std::string& body) {
    auto h = attacker(body);
    auto out = run(h, "\"attack\"");
    EXPECT_TRUE(out) << text_of(out.error());
    expect_unharmed(h);
    return out ? *out : nlohmann::json();
  }

  hosted_script bystander;
  int bystander_calls = 0;
};

constexpr const char* instruction_stop = "instruction limit exceeded (1000000 per call)";

} // namespace troupe::lua::test
