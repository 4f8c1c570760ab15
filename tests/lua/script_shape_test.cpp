// The shape of a Lua plugin's script: metadata globals, lifecycle functions, where the script
// comes from, load failures that name the file and line, state kept between calls, and
// validate_script. Plugins are driven directly, without an actor.

#include <string>
#include <vector>

#include "lua/lua_test_support.hpp"

namespace troupe::lua::test {
namespace {

using json = nlohmann::json;

class ScriptShape : public lua_fixture {};

// -- metadata ------------------------------------------------------------------------------------

TEST_F(ScriptShape, MetadataGlobalsReachMetadata) {
  auto h = host_ok(R"(
    plugin_name = "greeter"
    plugin_version = "1.2.3"
    plugin_description = "says hello"
    plugin_type = "tool"
    capabilities = {"greet", "wave"}
    dependencies = {"echo"}
    plugin_priority = 7
    function execute(x) return x end
  )");
  auto md = h.plugin->metadata();
  EXPECT_EQ(md.id, "script");
  EXPECT_EQ(md.name, "greeter");
  EXPECT_EQ(md.version, "1.2.3");
  EXPECT_EQ(md.description, "says hello");
  EXPECT_EQ(md.type, (plugin_type{plugin_kind::tool, {}}));
  EXPECT_EQ(md.capabilities, (std::vector<std::string>{"greet", "wave"}));
  EXPECT_EQ(md.dependencies, (std::vector<std::string>{"echo"}));
  EXPECT_EQ(md.priority, 7);
}

TEST_F(ScriptShape, MetadataDefaultsToTheFileNameAndACustomLuaType) {
  auto h = make("function execute(x) return x end", {}, small_limits(), "word_filter");
  EXPECT_EQ(h.plugin->metadata().name, "word_filter"); // before load, from the path
  ASSERT_FALSE(bring_up(*h.plugin, *h.ctx));
  auto md = h.plugin->metadata();
  EXPECT_EQ(md.name, "word_filter");
  EXPECT_EQ(md.type, (plugin_type{plugin_kind::custom, "lua"}));
  EXPECT_TRUE(md.capabilities.empty());
  EXPECT_TRUE(md.dependencies.empty());
}

TEST_F(ScriptShape, CustomPluginTypeIsKeptByName) {
  auto h = host_ok("plugin_type = 'translator'\nfunction execute(x) return x end");
  EXPECT_EQ(h.plugin->metadata().type, (plugin_type{plugin_kind::custom, "translator"}));
}

// -- lifecycle -----------------------------------------------------------------------------------

constexpr const char* lifecycle_script = R"(
  calls = {}
  local function note(what) calls[#calls + 1] = what end
  function init(settings) note("init:" .. tostring(settings.greeting)) end
  function start() note("start") end
  function pause() note("pause") end
  function resume() note("resume") end
  function stop() note("stop") end
  function calls_so_far() return calls end
  function execute(x) note("execute") return x end
)";

TEST_F(ScriptShape, LifecycleFunctionsAreCalledInOrder) {
  auto h = host_ok(lifecycle_script, {{"greeting", "hello"}});
  ASSERT_TRUE(h.execute(pack(1)));
  ASSERT_FALSE(h.plugin->pause(*h.ctx));
  ASSERT_FALSE(h.plugin->resume(*h.ctx));
  ASSERT_FALSE(h.plugin->stop(*h.ctx));
  auto calls = call(h, "calls_so_far");
  ASSERT_TRUE(calls) << text_of(calls.error());
  EXPECT_EQ(*calls, json::parse(R"(["init:hello","start","execute","pause","resume","stop"])"));
}

TEST_F(ScriptShape, InitReceivesEverySettingAsAString) {
  auto h = host_ok(R"(
    seen = nil
    function init(settings) seen = settings end
    function settings_seen() return seen end
    function execute(x) return x end
  )", {{"greeting", "hi"}, {"retries", "3"}, {"limit.instructions", "5000000"}});
  auto seen = call(h, "settings_seen");
  ASSERT_TRUE(seen) << text_of(seen.error());
  EXPECT_EQ(*seen, json::parse(R"({"greeting":"hi","retries":"3","limit.instructions":"5000000"})"));
}

TEST_F(ScriptShape, UnloadHookRunsAndTheStateIsClosedEvenIfItFails) {
  auto h = host_ok(R"(
    function unload() error("unload ran") end
    function execute(x) return x end
  )");
  auto err = h.plugin->unload(*h.ctx);
  EXPECT_LUA_FAILURE(err, errc::plugin_failed, "unload ran");
  EXPECT_LUA_ERROR(h.execute(pack(1)), errc::invalid_state, "not loaded");
  EXPECT_TRUE(h.counters().empty());
}

TEST_F(ScriptShape, FailingInitIsAPluginFailureNamingTheHook) {
  auto h = host("function init() error('no database') end\nfunction execute(x) return x end");
  EXPECT_LUA_FAILURE(h.error, errc::plugin_failed, "no database");
  EXPECT_TRUE(mentions(h.error, "init")) << text_of(h.error);
}

TEST_F(ScriptShape, MissingLifecycleFunctionsAreFine) {
  auto h = host_ok("function execute(x) return x end");
  EXPECT_FALSE(h.plugin->pause(*h.ctx));
  EXPECT_FALSE(h.plugin->resume(*h.ctx));
  EXPECT_FALSE(h.plugin->stop(*h.ctx));
  EXPECT_FALSE(h.plugin->unload(*h.ctx));
}

// -- load failures -------------------------------------------------------------------------------

TEST_F(ScriptShape, SyntaxErrorFailsLoadNamingFileAndLine) {
  auto h = host("function execute(x)\n  return x +\nend\n", {}, small_limits(), "broken");
  EXPECT_LUA_FAILURE(h.error, errc::load_failed, "broken.lua:3:");
  EXPECT_TRUE(mentions(h.error, "near 'end'")) << text_of(h.error);
  EXPECT_EQ(h.plugin->metadata().name, "broken");
}

TEST_F(ScriptShape, MissingExecuteFailsLoadNamingTheFile) {
  auto h = host("function run(x) return x end", {}, small_limits(), "no_entry");
  EXPECT_LUA_FAILURE(h.error, errc::load_failed, "no_entry.lua");
  EXPECT_TRUE(mentions(h.error, "no execute function")) << text_of(h.error);
}

TEST_F(ScriptShape, ExecuteThatIsNotAFunctionFailsLoad) {
  auto h = host("execute = 42");
  EXPECT_LUA_FAILURE(h.error, errc::load_failed, "'execute' is a number, not a function");
}

TEST_F(ScriptShape, RuntimeErrorInTheMainChunkFailsLoad) {
  auto h = host("local x = 1\nerror('config missing')\nfunction execute(x) return x end", {},
                small_limits(), "crashy");
  EXPECT_LUA_FAILURE(h.error, errc::load_failed, "config missing");
  EXPECT_TRUE(mentions(h.error, "crashy.lua:2:")) << text_of(h.error);
  EXPECT_LUA_ERROR(h.execute(pack(1)), errc::invalid_state, "not loaded");
}

TEST_F(ScriptShape, LifecycleGlobalThatIsNotAFunctionFailsLoad) {
  auto h = host("start = 'soon'\nfunction execute(x) return x end");
  EXPECT_LUA_FAILURE(h.error, errc::load_failed, "'start' is a string, not a function");
}

TEST_F(ScriptShape, BinaryChunkFileIsRefused) {
  auto h = host(std::string("\x1bLuaT\x00\x19\x93\r\n\x1a\n", 12));
  EXPECT_LUA_FAILURE(h.error, errc::load_failed, "binary");
}

TEST_F(ScriptShape, MissingFileIsNotFound) {
  lua_plugin p{script_source{(dir() / "nowhere.lua").string(), {}}, small_limits()};
  auto ctx = context_for("ghost", {});
  EXPECT_LUA_FAILURE(p.load(*ctx), errc::not_found, "nowhere.lua");
}

// -- where the script comes from -----------------------------------------------------------------

TEST_F(ScriptShape, ScriptSettingIsUsedWhenNoPathIsGiven) {
  auto path = write_script("from_setting.lua", "function execute(x) return x * 2 end");
  lua_plugin p{script_source{}, small_limits()};
  auto ctx = context_for("doubler", {{"script", path}});
  ASSERT_FALSE(bring_up(p, *ctx));
  auto out = as_json(p.execute(*ctx, pack(21)));
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(*out, 42);
  EXPECT_EQ(p.metadata().name, "from_setting");
}

TEST_F(ScriptShape, NoPathAndNoScriptSettingIsAConfigError) {
  lua_plugin p{script_source{}, small_limits()};
  auto ctx = context_for("nothing", {});
  EXPECT_LUA_FAILURE(p.load(*ctx), errc::config_error, "script");
}

TEST_F(ScriptShape, SourceTextIsUsedInsteadOfAFileAndNamedAfterThePlugin) {
  lua_plugin p{script_source{{}, "function execute(x) return x .. '!' end\nerror('at two')"},
               small_limits()};
  auto ctx = context_for("inline", {});
  EXPECT_LUA_FAILURE(p.load(*ctx), errc::load_failed, "inline.lua:2:");
  lua_plugin q{script_source{{}, "function execute(x) return x .. '!' end"}, small_limits()};
  ASSERT_FALSE(bring_up(q, *ctx));
  auto out = as_json(q.execute(*ctx, pack(std::string("hey"))));
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(*out, "hey!");
}

TEST_F(ScriptShape, FactoryMakesIndependentInstances) {
  auto path = write_script("counter.lua",
                           "n = 0\nfunction execute() n = n + 1 return n end");
  auto factory = lua_plugin::factory({path, {}}, small_limits());
  auto a = factory();
  auto b = factory();
  ASSERT_TRUE(a && b);
  auto ctx_a = context_for("a", {});
  auto ctx_b = context_for("b", {});
  ASSERT_FALSE(bring_up(**a, *ctx_a));
  ASSERT_FALSE(bring_up(**b, *ctx_b));
  (*a)->execute(*ctx_a, nil_payload());
  (*a)->execute(*ctx_a, nil_payload());
  EXPECT_EQ(*as_json((*a)->execute(*ctx_a, nil_payload())), 3);
  EXPECT_EQ(*as_json((*b)->execute(*ctx_b, nil_payload())), 1);
}

// -- state between calls -------------------------------------------------------------------------

TEST_F(ScriptShape, ScriptStatePersistsBetweenCalls) {
  auto h = host_ok(R"(
    local seen = {}
    function execute(x) seen[#seen + 1] = x return seen end
  )");
  run(h, "\"a\"");
  run(h, "\"b\"");
  auto out = run(h, "\"c\"");
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(*out, json::parse(R"(["a","b","c"])"));
}

TEST_F(ScriptShape, MainChunkRunsOnceForManyCalls) {
  auto h = host_ok(R"(
    main_chunk_runs = (main_chunk_runs or 0) + 1
    function execute() return main_chunk_runs end
  )");
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(h.execute(nil_payload()));
  ASSERT_FALSE(h.plugin->stop(*h.ctx));
  ASSERT_FALSE(h.plugin->start(*h.ctx));
  EXPECT_EQ(*run(h, "null"), 1);
}

TEST_F(ScriptShape, CallFunctionSpreadsArrayArguments) {
  auto h = host_ok(R"(
    function add(a, b, c) return a + b + (c or 0) end
    function count(...) return select('#', ...) end
    function execute(x) return x end
  )");
  EXPECT_EQ(*call(h, "add", "[1, 2, 3]"), 6);
  EXPECT_EQ(*call(h, "count", "null"), 0);
  EXPECT_EQ(*call(h, "count", R"({"one": "value"})"), 1);
  EXPECT_LUA_ERROR(call(h, "missing"), errc::not_found, "missing");
}

TEST_F(ScriptShape, CallPluginWithoutAnActorHostFailsClearly) {
  auto h = host_ok("function execute(x) return call_plugin('echo', x) end");
  EXPECT_LUA_ERROR(h.execute(pack(1)), errc::plugin_failed, "actor host");
  EXPECT_EQ(h.counters()["waiting_calls"], 0);
}

TEST_F(ScriptShape, YieldOutsideCallPluginIsAnError) {
  // A call's own thread is the script's main thread: yielding there is stock Lua's error (which
  // the script can catch), not a suspension of the call.
  auto h = host_ok(R"(
    function execute(x)
      if x == "yield" then coroutine.yield(1) end
      if x == "caught" then return {pcall(coroutine.yield, 1)} end
      local co = coroutine.wrap(function() coroutine.yield("inner") end)
      return co()
    end
  )");
  EXPECT_LUA_ERROR(run(h, "\"yield\""), errc::plugin_failed,
                   "execute: attempt to yield from outside a coroutine");
  EXPECT_EQ(*run(h, "\"caught\""),
            nlohmann::json::parse(R"([false, "attempt to yield from outside a coroutine"])"));
  EXPECT_EQ(*run(h, "null"), "inner"); // the script's own coroutines yield as usual
}

TEST_F(ScriptShape, ErrorRaisedByExecuteIsAPluginFailureWithTheLine) {
  auto h = host_ok("function execute(x)\n  if x == 'nope' then error('bad request: ' .. x) end\n"
                   "  return x\nend",
                   {}, small_limits(), "strict");
  EXPECT_LUA_ERROR(run(h, "\"nope\""), errc::plugin_failed, "strict.lua:2: bad request: nope");
  auto next = run(h, "\"fine\"");
  ASSERT_TRUE(next) << text_of(next.error());
  EXPECT_EQ(*next, "fine");
}

// -- validate_script -----------------------------------------------------------------------------

std::vector<script_problem> errors_of(const std::vector<script_problem>& all) {
  std::vector<script_problem> out;
  for (const auto& p : all)
    if (!p.warning)
      out.push_back(p);
  return out;
}

std::vector<script_problem> warnings_of(const std::vector<script_problem>& all) {
  std::vector<script_problem> out;
  for (const auto& p : all)
    if (p.warning)
      out.push_back(p);
  return out;
}

TEST(ValidateScript, ReportsSeveralSyntaxErrorsWithTheirLines) {
  auto problems = validate_script("local x = = 1\n"
                                  "function execute(input)\n"
                                  "  return input\n"
                                  "end\n"
                                  "local y = )\n");
  auto errors = errors_of(problems);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].line, 1);
  EXPECT_EQ(errors[1].line, 5);
  EXPECT_NE(errors[0].message.find("unexpected symbol"), std::string::npos) << errors[0].message;
  EXPECT_TRUE(warnings_of(problems).empty());
}

TEST(ValidateScript, ReportsAMissingExecute) {
  auto errors = errors_of(validate_script("function run(x) return x end\n"));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 0);
  EXPECT_NE(errors[0].message.find("execute"), std::string::npos) << errors[0].message;
}

TEST(ValidateScript, WarnsAboutWhatTheSandboxLeavesOutWithLines) {
  auto problems = validate_script("function execute(x)\n"
                                  "  local f = io.open('x')\n"
                                  "  os.execute('rm -rf /')\n"
                                  "  local m = require('socket')\n"
                                  "  -- io.write('only a comment')\n"
                                  "  return os.time() + os.clock()\n"
                                  "end\n");
  EXPECT_TRUE(errors_of(problems).empty());
  auto warnings = warnings_of(problems);
  ASSERT_EQ(warnings.size(), 3u);
  EXPECT_EQ(warnings[0].line, 2);
  EXPECT_NE(warnings[0].message.find("io"), std::string::npos) << warnings[0].message;
  EXPECT_EQ(warnings[1].line, 3);
  EXPECT_NE(warnings[1].message.find("os.execute"), std::string::npos) << warnings[1].message;
  EXPECT_EQ(warnings[2].line, 4);
  EXPECT_NE(warnings[2].message.find("require"), std::string::npos) << warnings[2].message;
}

TEST(ValidateScript, AcceptsAGoodScript) {
  auto problems = validate_script("plugin_name = 'ok'\n"
                                  "local function helper(s) return upper(trim(s)) end\n"
                                  "function execute(input)\n"
                                  "  return { text = helper(input.text), at = os.time() }\n"
                                  "end\n");
  EXPECT_TRUE(problems.empty()) << problems.front().line << ": " << problems.front().message;
}

TEST(ValidateScript, RefusesABinaryChunk) {
  auto errors = errors_of(validate_script(std::string("\x1bLuaT\x00", 6)));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("binary"), std::string::npos) << errors[0].message;
}

} // namespace
} // namespace troupe::lua::test
