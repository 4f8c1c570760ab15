// Stock parity inside a call. stock_parity_test.cpp runs its chunks as a plugin's main chunk, on
// the state's main thread; execute and tool handlers run in a coroutine of the host's instead (so
// that call_plugin can suspend them). There too every allowed function must behave as it does in
// a stock Lua program's main chunk: the same cases run inside execute in the sandbox and as the
// main chunk of the stock `lua5.4` interpreter, and the lines must be byte-identical.

#include <spdlog/spdlog.h>

#include "lua/stock_parity_support.hpp"

namespace troupe::lua::test {
namespace {

/// RESULT after running the cases' chunk as the body of execute, called once.
testing::AssertionResult run_in_execute(const std::string& chunk, std::string& out) {
  script_runner runner("parity", "f.lua", parity_limits());
  if (auto err = runner.open("function execute() " + chunk + "\nreturn RESULT\nend\n"))
    return testing::AssertionFailure() << "the sandbox did not load the script: " << text_of(err);
  auto fn = runner.global_function("execute");
  if (!fn)
    return testing::AssertionFailure() << text_of(fn.error());
  auto step = runner.begin(1, *fn, "execute", nil_payload(), false);
  if (step.call)
    return testing::AssertionFailure() << "execute suspended";
  auto json = as_json(std::move(step.result));
  if (!json)
    return testing::AssertionFailure() << "execute failed: " << text_of(json.error());
  if (!json->is_string())
    return testing::AssertionFailure() << "execute answered " << json->dump();
  out = json->get<std::string>();
  return testing::AssertionSuccess();
}

class StockParityInCall : public StockParity {
protected:
  void expect_same_in_call(const std::vector<parity_case>& cases) {
    expect_same_as_stock(cases, run_in_execute);
  }
};

// In a call the script runs on the main thread as far as it can tell: coroutine.running() says
// so, it is not yieldable, and coroutine.yield there is stock's catchable error (it used to
// suspend the whole call, which then failed with "execute yielded outside call_plugin").
TEST_F(StockParityInCall, TheCallsThreadIsTheMainThread) {
  expect_same_in_call({
    {"running_main", "local co, main = coroutine.running() return type(co), main"},
    {"isyieldable", "return coroutine.isyieldable(), coroutine.isyieldable(coroutine.running())"},
    {"yield_outside", "return coroutine.yield(1)"},
    {"yield_outside_pcall", "return pcall(coroutine.yield, 1)"},
    {"yield_in_metamethod", "local t = setmetatable({}, {__index = function() "
                            "return coroutine.yield() end})\n return pcall(function() return t.x end)"},
    {"status_running", "return coroutine.status(coroutine.running())"},
    {"resume_running", "return coroutine.resume(coroutine.running())"},
    {"close_running", "return coroutine.close(coroutine.running())"},
    {"seen_from_a_coroutine", "local main = coroutine.running()\n"
                              "local co = coroutine.create(function() return coroutine.status(main), "
                              "coroutine.isyieldable(main), coroutine.isyieldable(), "
                              "select(2, coroutine.running()), coroutine.resume(main) end)\n"
                              "return coroutine.resume(co)"},
    {"close_from_a_coroutine", "local main = coroutine.running()\n"
                               "return pcall(coroutine.wrap(function() return coroutine.close(main) end))"},
    {"own_coroutines_yield", "local f = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) "
                             "return b * 2 end)\n return f(1), f(10)"},
    {"wrapped_yield", "local f = coroutine.wrap(coroutine.yield) return f(1, 2)"},
    {"created_yield", "local co = coroutine.create(coroutine.yield) return coroutine.resume(co, 3)"},
    {"yield_across_c", "local co = coroutine.create(function() return string.gsub('ab', '.', "
                       "function(c) coroutine.yield(c) end) end)\n return coroutine.resume(co)"},
    {"bad_args", "return pcall(coroutine.isyieldable, 1), pcall(coroutine.create, 1)"},
  });
}

} // namespace
} // namespace troupe::lua::test

namespace troupe::lua::test {
namespace {

// A call waiting on call_plugin is a suspended coroutine of the host's. No other call of the same
// plugin can get hold of it: coroutine.running() in a call answers the main thread, as in stock
// Lua (the same thread as at load), which no call can resume or close.
TEST(CallThreads, AnotherCallCannotResumeOrCloseACallThatWaits) {
  script_runner runner("p", "p.lua", parity_limits());
  ASSERT_FALSE(runner.open(R"(
    local waiting
    local main_at_load = coroutine.running()
    function execute(x)
      assert(coroutine.running() == main_at_load)
      if x == "wait" then
        waiting = coroutine.running()
        local r = call_plugin("other", 1)
        return "answered " .. tostring(r)
      end
      local st = coroutine.status(waiting)
      local r = {coroutine.resume(waiting, "hijacked")}
      local c = {pcall(coroutine.close, waiting)}
      return st .. "|" .. tostring(r[1]) .. "|" .. tostring(r[2]) .. "|" .. tostring(c[1])
             .. "|" .. tostring(c[2]) .. "|" .. tostring(c[3])
    end
  )"));
  auto fn = runner.global_function("execute");
  ASSERT_TRUE(fn);
  auto wait = pack(std::string("wait"));
  auto first = runner.begin(1, *fn, "execute", wait, false);
  ASSERT_TRUE(first.call.has_value());
  auto second = runner.begin(2, *fn, "execute", pack(std::string("other")), false);
  ASSERT_FALSE(second.call.has_value());
  auto out = as_json(std::move(second.result));
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(*out, "running|false|cannot resume non-suspended coroutine|false|"
                  "cannot close a running coroutine|nil");
  auto resumed = runner.resume(1, pack(std::int64_t{42}));
  ASSERT_FALSE(resumed.call.has_value());
  auto first_out = as_json(std::move(resumed.result));
  ASSERT_TRUE(first_out) << text_of(first_out.error());
  EXPECT_EQ(*first_out, "answered 42"); // the waiting call went on unharmed
}

// print, log and debug turn their arguments into text as stock print does, whether or not the
// level is logged: a __tostring runs the same way (before, it ran only when the level was on).
TEST(Builtins, PrintTurnsItsArgumentsIntoTextWhateverTheLogLevel) {
  auto level = spdlog::get_level();
  spdlog::set_level(spdlog::level::off);
  std::string out;
  auto ran = run_in_execute("local n = 0\n"
                            "local t = setmetatable({}, {__tostring = function() n = n + 1 "
                            "return 'x' end})\n"
                            "print(t) log(t, t) debug(t)\n"
                            "RESULT = tostring(n)",
                            out);
  spdlog::set_level(level);
  ASSERT_TRUE(ran);
  EXPECT_EQ(out, "4");
}

} // namespace
} // namespace troupe::lua::test
