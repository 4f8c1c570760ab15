// The sandbox's resource limits against the memory, stack, input and time attacks of
// shared/notes/lua-sandbox.md, and the limits set per plugin through "limit.<name>" settings.
// Every attack must end in an error naming the limit, with the attacker serving again and the
// bystander untouched (see sandbox_fixture.hpp).

#include <chrono>
#include <string>
#include <vector>

#include "lua/sandbox_fixture.hpp"

namespace troupe::lua::test {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

const std::map<std::string, std::string> two_mib{{"limit.memory", "2M"}};
constexpr const char* memory_stop = "memory limit exceeded (2097152 bytes)";
constexpr const char* string_stop = "string size limit exceeded";

// -- memory --------------------------------------------------------------------------------------

TEST_F(Sandbox, HugeStringRepIsRefusedBeforeItIsBuilt) {
  expect_stopped("return string.rep('x', 1e9)", errc::limit_exceeded, string_stop);
  expect_stopped("return ('ab'):rep(1e8, ',')", errc::limit_exceeded, string_stop);
  // Past 2^31 - 1 bytes stock Lua refuses by itself, and its words are kept.
  expect_stopped("return ('ab'):rep(1e9, ',')", errc::plugin_failed, "resulting string too large");
  expect_stopped("return string.rep('x', math.maxinteger)", errc::plugin_failed,
                 "resulting string too large");
}

TEST_F(Sandbox, DoublingAStringHitsTheStringSizeLimit) {
  expect_stopped("local s = 'x' while true do s = s .. s end", errc::limit_exceeded,
                 "string size limit exceeded (at most 1048576 bytes per string)");
}

TEST_F(Sandbox, TableConcatPastTheStringLimitIsRefused) {
  expect_stopped("local t = {} for i = 1, 60 do t[i] = string.rep('x', 20000) end "
                 "return table.concat(t)",
                 errc::limit_exceeded, string_stop);
}

constexpr const char* grow_table =
  "local t = {} local i = 0 while true do i = i + 1 t[i] = {i} end";

TEST_F(Sandbox, TableGrowingInALoopHitsTheMemoryLimit) {
  auto h = host_ok(std::string("function execute(x) if x == 'attack' then ") + grow_table +
                     " end local t = {} for i = 1, x do t[i] = i end return #t end",
                   two_mib, small_limits(), "attacker");
  EXPECT_LUA_ERROR(run(h, "\"attack\""), errc::limit_exceeded, memory_stop);
  auto c = h.counters();
  EXPECT_EQ(c["memory_stops"], 1);
  EXPECT_LE(c["memory_peak_bytes"], 2 << 20);
  EXPECT_EQ(*run(h, "60000"), 60000); // ~1 MiB of array: the garbage of the attack is gone
  expect_bystander_untouched();
}

// Regression test for a fixed bug (plugins/lua/script_runner.cpp, error_from): after a memory stop it runs
// lua_gc(LUA_GCCOLLECT), but run() releases the failed coroutine, whose stack still holds the
// garbage, only after error_from returns; the collection frees nothing and memory_bytes stays at
// the limit (2097081 of 2097152 here) until a later cycle or an emergency collection. Collect
// after release_thread.
TEST_F(Sandbox, MemoryIsReturnedRightAfterAMemoryStop) {
  auto h = attacker(grow_table, two_mib);
  EXPECT_LUA_ERROR(run(h, "\"attack\""), errc::limit_exceeded, memory_stop);
  EXPECT_LT(h.counters()["memory_bytes"], 1 << 20);
}

TEST_F(Sandbox, ClosuresPiledUpHitTheMemoryLimit) {
  expect_stopped("local t = {} while true do local x = {} t[#t + 1] = function() return x end end",
                 errc::limit_exceeded, memory_stop, two_mib);
}

TEST_F(Sandbox, CoroutinesPiledUpHitTheMemoryLimit) {
  expect_stopped("local t = {} while true do "
                 "local co = coroutine.create(function() coroutine.yield() end) "
                 "coroutine.resume(co) t[#t + 1] = co end",
                 errc::limit_exceeded, memory_stop, two_mib);
}

TEST_F(Sandbox, StateIsUsableAfterAnOutOfMemoryError) {
  auto h = attacker("local ok, err = pcall(function() local t = {} "
                    "while true do t[#t + 1] = {} end end) "
                    "local after = {} for i = 1, 1000 do after[i] = i end "
                    "return {ok, err, #after}",
                    two_mib);
  auto out = run(h, "\"attack\"");
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(*out, json::parse(R"([false, "not enough memory", 1000])"));
  auto again = run(h, "\"attack\""); // twice: nothing leaked
  ASSERT_TRUE(again) << text_of(again.error());
  EXPECT_EQ(*again, *out);
  expect_unharmed(h);
}

TEST_F(Sandbox, MemoryHeldInGlobalsCountsAgainstThePluginOnlyAndIsFatal) {
  // The hoard stays reachable after the stop, so the state cannot recover: the call is fatal,
  // and the plugin's host crashes it (its supervisor restarts it with a fresh state).
  auto h = attacker("hoard = hoard or {} for i = 1, 100000 do hoard[#hoard + 1] = {} end",
                    two_mib);
  auto out = run(h, "\"attack\"");
  EXPECT_LUA_ERROR(out, errc::fatal, "the Lua state cannot recover");
  EXPECT_LUA_ERROR(out, errc::fatal, memory_stop);
  EXPECT_LE(h.counters()["memory_bytes"], 2 << 20);
  expect_bystander_untouched();
}

TEST_F(Sandbox, JsonParseOfALargeDocumentHitsTheMemoryLimit) {
  // Non-empty items: see LuaJson.ParsesArraysOfManyEmptyContainers for empty ones.
  expect_stopped("return json_parse('[' .. string.rep('[1],', 200000) .. '[1]]')",
                 errc::limit_exceeded, "memory limit exceeded", two_mib);
}

// -- stack ---------------------------------------------------------------------------------------

TEST_F(Sandbox, DeepLuaRecursionHitsTheCallDepthLimit) {
  expect_stopped("local function f(n) return 1 + f(n + 1) end return f(1)",
                 errc::limit_exceeded, "call depth limit exceeded (200 nested calls)");
}

TEST_F(Sandbox, CallDepthStopIsStickyThroughPcall) {
  // Raised from the count hook like a time stop, so it is sticky too (see run_guard.hpp).
  auto h = attacker("local function f(n) return 1 + f(n + 1) end "
                    "local ok, err = pcall(f, 1) return {ok, err}");
  EXPECT_LUA_ERROR(run(h, "\"attack\""), errc::limit_exceeded, "call depth limit exceeded");
  expect_unharmed(h);
}

/// Errors of a stack attack: the call depth limit or Lua's own C stack limit, both limits.
void expect_stack_stop(const caf::expected<json>& out) {
  ASSERT_FALSE(out) << "no error: " << *out;
  EXPECT_EQ(out.error().code(), static_cast<std::uint8_t>(errc::limit_exceeded))
    << text_of(out.error());
  EXPECT_TRUE(mentions(out.error(), "call depth limit") || mentions(out.error(), "stack overflow"))
    << text_of(out.error());
}

TEST_F(Sandbox, GsubWithARecursingReplacementIsStopped) {
  auto h = attacker("local function f(s) return (s:gsub('.', f)) end return f('x')");
  expect_stack_stop(run(h, "\"attack\""));
  expect_unharmed(h);
}

TEST_F(Sandbox, RecursingTostringIsStopped) {
  auto h = attacker("local t = setmetatable({}, {__tostring = function(self) "
                    "return tostring(self) end}) return tostring(t)");
  expect_stack_stop(run(h, "\"attack\""));
  expect_unharmed(h);
}

TEST_F(Sandbox, RecursingIndexMetamethodIsStopped) {
  auto h = attacker("local t = setmetatable({}, {__index = function(t, k) return t[k] end}) "
                    "return t.x");
  expect_stack_stop(run(h, "\"attack\""));
  expect_unharmed(h);
}

TEST_F(Sandbox, NestedCoroutinesAreStopped) {
  auto h = attacker("local function f() return coroutine.wrap(f)() end return f()");
  expect_stack_stop(run(h, "\"attack\""));
  expect_unharmed(h);
}

// -- input and output ----------------------------------------------------------------------------

TEST_F(Sandbox, DeeplyNestedPayloadIsBadInput) {
  auto h = attacker("return 1");
  EXPECT_LUA_ERROR(h.execute(nested_arrays(1'000'000)), errc::bad_input, "");
  expect_unharmed(h);
}

/// A msgpack array of 1 Mi empty arrays: 1 MiB on the wire, ~60 MiB as Lua tables.
payload many_small_tables() {
  std::vector<std::uint8_t> bytes{0xdd, 0x00, 0x10, 0x00, 0x00};
  bytes.resize(bytes.size() + (1u << 20), 0x90);
  return raw_payload(std::move(bytes));
}

TEST_F(Sandbox, PayloadLargerThanTheStringLimitIsRefused) {
  auto h = attacker("return 1");
  EXPECT_LUA_ERROR(h.execute(pack(std::string(4u << 20, 'x'))), errc::limit_exceeded,
                   "cannot convert the input to Lua");
  expect_unharmed(h);
}

TEST_F(Sandbox, PayloadOfManySmallTablesIsRefused) {
  auto h = attacker("return 1", two_mib);
  EXPECT_LUA_ERROR(h.execute(many_small_tables()), errc::limit_exceeded,
                   "cannot convert the input to Lua");
  expect_unharmed(h);
}

// BUG (plugins/lua/script_runner.cpp, error_from): an input refused while it is decoded says only
// "cannot convert the input to Lua: not enough memory": the refusal (string size or memory) is
// reset, not reported, and memory_stops is not counted, unlike the same refusals inside a script
// ("string size limit exceeded (at most N bytes per string)", "memory limit exceeded (N bytes)").
// Enable once fixed.
TEST_F(Sandbox, DISABLED_InputRefusedForItsSizeNamesTheLimit) {
  auto h = attacker("return 1", two_mib);
  EXPECT_LUA_ERROR(h.execute(pack(std::string(4u << 20, 'x'))), errc::limit_exceeded,
                   "string size limit");
  EXPECT_LUA_ERROR(h.execute(many_small_tables()), errc::limit_exceeded, "memory limit");
  EXPECT_EQ(h.counters()["memory_stops"], 1);
}

TEST_F(Sandbox, UnencodableResultsAreBadInput) {
  expect_stopped("return {print}", errc::bad_input, "result[1]: cannot encode a function");
  expect_stopped("local t = {} t[1] = t return t", errc::bad_input, "cycle");
  expect_stopped("return coroutine.running()", errc::bad_input, "cannot encode a thread");
}

// Regression test for a fixed bug (plugins/lua/lua_value.cpp, the encoder): a table reached twice is encoded twice (only
// cycles are refused), so n tables nested as t = {t, t} encode to 2^(n+1) bytes. The encoding runs
// in the host after the call, outside every limit (not Lua memory, not instructions, not wall
// time): n = 22 gives an 8 MiB payload in ~0.7 s, each +2 multiplies by 4, n = 40 exhausts the
// host. The same path serves json_encode and call_plugin's argument. Cap the encoded size (e.g.
// by the string or memory limit) or the number of nodes visited.
TEST_F(Sandbox, ResultThatExplodesWhenEncodedIsRefused) {
  // 2^40 leaves reached through shared subtables: no cycle, but no payload can hold it.
  auto h = attacker("local t = {} for i = 1, 40 do t = {t, t} end return t");
  auto started = steady_clock::now();
  auto out = run(h, "\"attack\"");
  EXPECT_FALSE(out);
  EXPECT_LT(steady_clock::now() - started, std::chrono::seconds(2));
  expect_unharmed(h);
}

// -- time ----------------------------------------------------------------------------------------

const std::map<std::string, std::string> wall_50ms{{"limit.instructions", "0"},
                                                   {"limit.wall_time_ms", "50"}};

TEST_F(Sandbox, WallTimeLimitStopsALoopTheInstructionLimitWouldNot) {
  auto h = attacker("while true do end", wall_50ms);
  auto started = steady_clock::now();
  EXPECT_LUA_ERROR(run(h, "\"attack\""), errc::limit_exceeded,
                   "wall-time limit exceeded (50 ms per call)");
  EXPECT_GE(steady_clock::now() - started, milliseconds(50));
  EXPECT_EQ(h.counters()["time_stops"], 1);
  EXPECT_EQ(h.counters()["instruction_stops"], 0);
  expect_unharmed(h);
}

TEST_F(Sandbox, WallTimeLimitReachesIntoLongLibraryCalls) {
  expect_stopped("local s = string.rep('a', 30000) return s:find(string.rep('.-', 12) .. 'b')",
                 errc::limit_exceeded, "wall-time limit exceeded (50 ms per call)", wall_50ms);
}

TEST_F(Sandbox, WallTimeStopIsStickyToo) {
  expect_stopped("while true do pcall(function() while true do end end) end",
                 errc::limit_exceeded, "wall-time limit exceeded (50 ms per call)", wall_50ms);
}

TEST_F(Sandbox, WallTimeIsConfigurablePerPlugin) {
  auto fast = host_ok("function execute() while true do end end",
                      {{"limit.instructions", "0"}, {"limit.wall_time_ms", "20"}}, small_limits(),
                      "fast");
  auto slow = host_ok("function execute() while true do end end",
                      {{"limit.instructions", "0"}, {"limit.wall_time_ms", "60"}}, small_limits(),
                      "slow");
  EXPECT_LUA_ERROR(fast.execute(nil_payload()), errc::limit_exceeded, "(20 ms per call)");
  EXPECT_LUA_ERROR(slow.execute(nil_payload()), errc::limit_exceeded, "(60 ms per call)");
  EXPECT_EQ(fast.plugin->limits().wall_time, milliseconds(20));
  EXPECT_EQ(slow.plugin->limits().wall_time, milliseconds(60));
  expect_bystander_untouched();
}

TEST_F(Sandbox, EachCallGetsAFreshBudget) {
  auto h = attacker("local s = 0 for i = 1, 100000 do s = s + i end return s");
  for (int i = 0; i < 20; ++i) // 20 calls of ~400,000 instructions each under a 1,000,000 limit
    ASSERT_TRUE(run(h, "\"attack\"")) << "call " << i;
  EXPECT_GT(h.counters()["instructions"], 20 * 100000);
}

// -- limits from settings ------------------------------------------------------------------------

TEST_F(Sandbox, LimitSettingsTakeEffect) {
  auto h = attacker("local n = 0 for i = 1, 100000 do n = n + 1 end return n",
                    {{"limit.instructions", "5000"},
                     {"limit.memory", "3M"},
                     {"limit.string_size", "1K"},
                     {"limit.call_depth", "20"},
                     {"limit.wall_time_ms", "2s"},
                     {"limit.call_timeout_ms", "250"}});
  const auto& l = h.plugin->limits();
  EXPECT_EQ(l.instructions, 5000u);
  EXPECT_EQ(l.memory, std::size_t{3} << 20);
  EXPECT_EQ(l.string_size, 1024u);
  EXPECT_EQ(l.call_depth, 20u);
  EXPECT_EQ(l.wall_time, milliseconds(2000));
  EXPECT_EQ(l.call_timeout, milliseconds(250));
  EXPECT_EQ(h.counters()["memory_limit_bytes"], 3 << 20);
  EXPECT_LUA_ERROR(run(h, "\"attack\""), errc::limit_exceeded, "(5000 per call)");
  expect_unharmed(h);
}

TEST_F(Sandbox, StringAndDepthLimitsFromSettingsTakeEffect) {
  auto h = host_ok(R"(
    local function deep(n) if n == 0 then for i = 1, 3000 do end return 0 end
                           return 1 + deep(n - 1) end
    function execute(x)
      if x.rep then return #string.rep("x", x.rep) end
      return deep(x.depth)
    end
  )", {{"limit.string_size", "1K"}, {"limit.call_depth", "20"}});
  EXPECT_EQ(*run(h, R"({"rep": 1000})"), 1000);
  EXPECT_LUA_ERROR(run(h, R"({"rep": 2000})"), errc::limit_exceeded, "at most 1024");
  EXPECT_EQ(*run(h, R"({"depth": 10})"), 10);
  EXPECT_LUA_ERROR(run(h, R"({"depth": 30})"), errc::limit_exceeded, "(20 nested calls)");
}

TEST_F(Sandbox, BadLimitValuesAreConfigErrors) {
  for (auto [name, value, text] : std::vector<std::tuple<std::string, std::string, std::string>>{
         {"limit.memory", "lots", "limit memory=lots"},
         {"limit.memory", "12Q", "unknown size suffix"},
         {"limit.wall_time_ms", "5min", "unknown time suffix"},
         {"limit.instructions", "-1", "limit instructions=-1"},
         {"limit.call_depth", "1000000", "at most 100000"},
         {"limit.memory", "99999999999999999999999", "limit memory="},
         {"limit.nonsense", "1", "unknown limit 'nonsense' (known: wall_time_ms, instructions"}}) {
    auto h = host("function execute(x) return x end", {{name, value}});
    EXPECT_LUA_FAILURE(h.error, errc::config_error, text);
    EXPECT_EQ(plugin_of(h.error), "script") << text_of(h.error);
  }
  expect_bystander_untouched();
}

TEST(SandboxLimits, SettingsParseSuffixesAndKeepDefaults) {
  auto l = limits_from_settings({{"limit.memory", "64K"}, {"limit.wall_time_ms", "3s"},
                                 {"other", "ignored"}});
  ASSERT_TRUE(l) << text_of(l.error());
  EXPECT_EQ(l->memory, 64u * 1024u);
  EXPECT_EQ(l->wall_time, milliseconds(3000));
  sandbox_limits defaults;
  EXPECT_EQ(l->instructions, defaults.instructions);
  EXPECT_EQ(l->call_depth, defaults.call_depth);
  auto names = describe_limits(*l);
  EXPECT_EQ(names.size(), 6u);
  EXPECT_EQ(names["memory"], "65536");
  EXPECT_FALSE(limits_from_settings({{"limit.memory", ""}}));
}

} // namespace
} // namespace troupe::lua::test
