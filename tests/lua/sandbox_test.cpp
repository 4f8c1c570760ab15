// The sandbox against every attack class of shared/notes/lua-sandbox.md: bytecode, native escape,
// shared metatables, CPU, memory, stack, input and time. Each attack must end in a clear error
// for the attacking plugin, after which the same plugin serves a normal call and a second plugin
// (the bystander, with its own state) is untouched.

#include <chrono>
#include <string>

#include "lua/sandbox_fixture.hpp"

namespace troupe::lua::test {
namespace {

using json = nlohmann::json;

// -- bytecode ------------------------------------------------------------------------------------

TEST_F(Sandbox, StringDumpIsAbsent) {
  EXPECT_EQ(attack_result("return {type(string.dump), type(('').dump)}"),
            json::parse(R"(["nil","nil"])"));
  expect_stopped("return string.dump(attack)", errc::plugin_failed, "dump");
}

TEST_F(Sandbox, BinaryChunksAreRefusedByLoadWhateverTheMode) {
  auto out = attack_result(R"(
    local chunk = "\27LuaT\0\25\147\r\n\26\n\4\8\8xV\0\0\0\0\0\0\0\0\0\0\0(w@\1\0\0"
    local results = {}
    for _, mode in ipairs({"b", "bt", "t"}) do
      local f, err = load(chunk, "evil", mode)
      results[#results + 1] = f == nil and err or "loaded"
    end
    local f, err = load(chunk)
    results[#results + 1] = f == nil and err or "loaded"
    local pieces = {"\27Lua", "T\0"}
    f, err = load(function() return table.remove(pieces, 1) end)
    results[#results + 1] = f == nil and err or "loaded"
    return results
  )");
  ASSERT_TRUE(out.is_array()) << out;
  ASSERT_EQ(out.size(), 5u);
  for (const auto& message : out)
    EXPECT_NE(message.get<std::string>().find("binary chunk"), std::string::npos) << message;
}

TEST_F(Sandbox, TextChunksStillLoadWithTheirOwnEnvironment) {
  EXPECT_EQ(attack_result("return {load('return 1 + 1')(), load('return x', 'c', 't', {x = 5})()}"),
            json::parse("[2,5]"));
}

// -- native escape -------------------------------------------------------------------------------

TEST_F(Sandbox, NativeEscapesAreAbsent) {
  auto out = attack_result(R"(
    return { io = type(io), execute = type(os.execute), getenv = type(os.getenv),
             exit = type(os.exit), remove = type(os.remove), package = type(package),
             require = type(require), dofile = type(dofile),
             loadfile = type(loadfile), loadstring = type(loadstring),
             via_load = type(load("return io or package or require")()) }
  )");
  EXPECT_EQ(out.size(), 11u) << out;
  for (const auto& [name, type] : out.items())
    EXPECT_EQ(type, "nil") << name;
}

TEST_F(Sandbox, DebugIsTheLoggingBuiltinNotTheLibrary) {
  EXPECT_EQ(attack_result("return {type(debug), type(rawget(_G, 'debug'))}"),
            json::parse(R"(["function","function"])"));
  expect_stopped("return debug.getregistry()", errc::plugin_failed, "attempt to index");
}

TEST_F(Sandbox, CallingAnAbsentLibraryIsAPlainError) {
  expect_stopped("return os.execute('true')", errc::plugin_failed, "execute");
  expect_stopped("return require('os')", errc::plugin_failed, "require");
  expect_stopped("return io.open('/etc/passwd')", errc::plugin_failed, "io");
}

TEST_F(Sandbox, OsTimeAndClockWork) {
  auto out = attack_result("return {math.type(os.time()), type(os.clock()), "
                           "os.time({year = 2000, month = 1, day = 1, hour = 12}) > 0}");
  EXPECT_EQ(out, json::parse(R"(["integer","number",true])"));
}

TEST_F(Sandbox, CollectgarbageOptionsAreLimited) {
  EXPECT_EQ(attack_result("return {type(collectgarbage('count')), collectgarbage('isrunning')}"),
            json::parse(R"(["number",true])"));
  for (const char* option : {"stop", "generational", "incremental", "setpause"})
    expect_stopped(std::string("collectgarbage('") + option + "')", errc::plugin_failed,
                   "not allowed in the sandbox");
}

// -- shared metatables ---------------------------------------------------------------------------

TEST_F(Sandbox, StringMetatableCannotBeReadOrReplaced) {
  EXPECT_EQ(attack_result("return {getmetatable(''), getmetatable('abc')}"),
            json::parse("[false,false]"));
  expect_stopped("getmetatable('').__index.upper = nil", errc::plugin_failed, "index");
  expect_stopped("setmetatable('', {})", errc::plugin_failed, "setmetatable");
}

TEST_F(Sandbox, ChangingLibrariesAndGlobalsStaysInsideThePlugin) {
  auto h = attacker(R"(
    string.upper = function() return "pwned" end
    string.rep = nil
    table.concat = nil
    math.pi = 3
    trim = function() return "pwned" end
    json_encode = nil
    call_plugin = nil
    setmetatable(_G, {__index = function() return "pwned" end})
    return ("x"):upper()
  )");
  auto out = run(h, "\"attack\"");
  ASSERT_TRUE(out) << text_of(out.error());
  EXPECT_EQ(*out, "pwned"); // the plugin's own string library
  expect_unharmed(h);       // the bystander's string library, metatable and builtins are its own
}

TEST_F(Sandbox, ReplacingExecuteDoesNotChangeTheEntryPoint) {
  auto h = attacker("execute = function() return 'hijacked' end return 'replaced'");
  EXPECT_EQ(*run(h, "\"attack\""), "replaced");
  expect_unharmed(h);
}

// -- CPU -----------------------------------------------------------------------------------------

TEST_F(Sandbox, InfiniteLoopIsStoppedByTheInstructionLimit) {
  auto h = attacker("while true do end");
  EXPECT_LUA_ERROR(run(h, "\"attack\""), errc::limit_exceeded, instruction_stop);
  EXPECT_EQ(h.counters()["instruction_stops"], 1);
  expect_unharmed(h);
}

TEST_F(Sandbox, LoopInsidePcallIsStillStopped) {
  expect_stopped("while true do pcall(function() while true do end end) end",
                 errc::limit_exceeded, instruction_stop);
}

TEST_F(Sandbox, LoopInsideXpcallIsStillStopped) {
  expect_stopped("while true do xpcall(function() while true do end end, "
                 "function(m) return m end) end",
                 errc::limit_exceeded, instruction_stop);
}

// Regression test for a fixed bug (plugins/lua/run_guard.cpp): a stop is raised with lua_error from inside the count hook,
// and Lua runs xpcall's message handler right there, where it disables hooks (allowhook = 0). A
// message handler that loops is then never stopped: neither the instruction nor the wall-time
// limit fires and the call hangs forever, pinning the plugin's actor thread. Repro (hangs):
//   while true do xpcall(error, function(m) while true do end end) end
// Raising the stop from the hook must not run a script's message handler with hooks off (e.g.
// record the stop in the hook and raise it outside, or make sandboxed xpcall wrap the handler
// so it re-raises at once while stopped).
TEST_F(Sandbox, XpcallWithALoopingMessageHandlerIsStopped) {
  expect_stopped("while true do xpcall(error, function(m) while true do end end) end",
                 errc::limit_exceeded, instruction_stop);
}

TEST_F(Sandbox, XpcallWithAFailingMessageHandlerEnds) {
  auto out = attack_result("return {xpcall(error, function(m) error(m) end, 'x')}");
  ASSERT_TRUE(out.is_array()) << out;
  EXPECT_EQ(out[0], false);
}

TEST_F(Sandbox, LoopInsideACoroutineIsStillStopped) {
  expect_stopped("while true do coroutine.resume(coroutine.create(function() while true do end "
                 "end)) end",
                 errc::limit_exceeded, instruction_stop);
}

TEST_F(Sandbox, PcallAroundCoroutineResumeCannotCatchTheStop) {
  expect_stopped("while true do pcall(coroutine.resume, coroutine.create(function() "
                 "while true do pcall(function() while true do end end) end end)) end",
                 errc::limit_exceeded, instruction_stop);
}

TEST_F(Sandbox, CoroutineWrapOverAStoppingBodyIsStopped) {
  expect_stopped("local f = coroutine.wrap(function() while true do end end) "
                 "while true do pcall(f) end",
                 errc::limit_exceeded, instruction_stop);
}

TEST_F(Sandbox, YieldingLoopInACoroutineIsStopped) {
  expect_stopped("local f = coroutine.wrap(function() while true do coroutine.yield() end end) "
                 "while true do f() end",
                 errc::limit_exceeded, instruction_stop);
}

TEST_F(Sandbox, LoadReaderCannotSwallowTheStop) {
  expect_stopped("while true do load(function() while true do end end) end",
                 errc::limit_exceeded, instruction_stop);
}

// Regression test for a fixed bug (plugins/lua/sandbox_functions.cpp, load_text): load is charged by the length of a string
// chunk only; a reader function is charged nothing for the text it returns. Each call of the
// reader costs a few instructions and hands the parser up to string_size bytes, so a reader
// returning 1 MiB of spaces forever runs ~330 MB of parsing per 1000 instructions: with
// instructions=100000 the call below is only stopped by the wall-time limit, after 2 s (with the
// defaults, 1000 ms becomes ~1.2 s; a 100 ms limit ~560 ms). Charge each piece the reader
// returns.
TEST_F(Sandbox, LoadReaderIsChargedForWhatItReads) {
  expect_stopped("local s = string.rep(' ', 1000000) local f = load(function() return s end) "
                 "return f",
                 errc::limit_exceeded, "instruction limit exceeded (100000 per call)",
                 {{"limit.instructions", "100000"}, {"limit.wall_time_ms", "2000"}});
}

// Regression test for a fixed bug (plugins/lua/script_runner.cpp, run): load's reader runs inside the parser's protected
// call, so load catches a stop raised in the reader and returns nil and the message. The stop is
// sticky only because the next instruction raises it again; in tail position (return load(...))
// no instruction follows, and run() answers the call's value although guard_.stopped() said the
// call was stopped: the call succeeds (nil here) after exceeding its limit. run() should fail a
// call that finished while stopped.
TEST_F(Sandbox, StopSwallowedByLoadInTailPositionStillFailsTheCall) {
  expect_stopped("return load(function() while true do end end)", errc::limit_exceeded,
                 instruction_stop);
}

TEST_F(Sandbox, CatastrophicPatternIsStopped) {
  for (const char* call : {"s:find(p)", "s:match(p)", "s:gsub(p, '')", "s:gmatch(p)()"})
    expect_stopped(std::string("local s = string.rep('a', 30000) local p = string.rep('.-', 12) "
                               ".. 'b' return ") + call,
                   errc::limit_exceeded, instruction_stop);
}

TEST_F(Sandbox, TableConcatOverAnIndexMetamethodIsStopped) {
  expect_stopped("return table.concat(setmetatable({}, {__index = function() return '' end}), "
                 "'', 1, 1e12)",
                 errc::limit_exceeded, instruction_stop);
}

TEST_F(Sandbox, TableSortWithAHostileComparatorIsStopped) {
  expect_stopped("local t = {} for i = 1, 100 do t[i] = i end "
                 "table.sort(t, function(a, b) while true do end end)",
                 errc::limit_exceeded, instruction_stop);
}

TEST_F(Sandbox, TableSortWithAnInconsistentComparatorEnds) {
  auto h = attacker("local t = {} for i = 1, 2000 do t[i] = i % 7 end "
                    "table.sort(t, function() return true end) return #t");
  auto out = run(h, "\"attack\""); // an "invalid order function" error or a shuffled table
  if (!out) {
    EXPECT_TRUE(mentions(out.error(), "order function")) << text_of(out.error());
  }
  expect_unharmed(h);
}

TEST_F(Sandbox, TableMoveWithAHugeRangeIsStopped) {
  expect_stopped("return table.move({}, 1, 1e12, 2)", errc::limit_exceeded, instruction_stop);
  // A range stock Lua refuses by itself fails at once with stock's words.
  expect_stopped("return table.move({}, math.mininteger, math.maxinteger, 1)",
                 errc::plugin_failed, "bad argument #3 to 'move' (too many elements to move)");
}

TEST_F(Sandbox, TableInsertAndRemoveOnALyingLengthAreStopped) {
  const std::string liar = "local t = setmetatable({}, {__len = function() return 1e12 end}) ";
  expect_stopped(liar + "table.insert(t, 1, 'x')", errc::limit_exceeded, instruction_stop);
  expect_stopped(liar + "table.remove(t, 1)", errc::limit_exceeded, instruction_stop);
  expect_stopped(liar + "table.sort(t)", errc::plugin_failed,
                 "bad argument #1 to 'sort' (array too big)"); // stock's own refusal
  const std::string big_liar = "local t = setmetatable({}, {__len = function() return 1e9 end}) ";
  expect_stopped(big_liar + "table.sort(t)", errc::limit_exceeded, instruction_stop);
}

TEST_F(Sandbox, TableUnpackOfAHugeRangeFailsAtOnce) {
  expect_stopped("return table.unpack({}, 1, 1e8)", errc::plugin_failed, "too many results");
}

// Regression test for a fixed bug (plugins/lua/sandbox_functions.cpp, string_rep): the charge is total_bytes / 16 + 1, but
// Lua 5.4's str_rep loops n times even when every copy is empty (it memcpy's 0 bytes n - 1
// times). string.rep('', n) is charged 1 step and runs n iterations inside one C call, where
// neither the instruction nor the wall-time limit is checked: n = 1e9 takes 1.4 s (past a
// 1000 ms wall-time limit, not stopped), 1e15 about two weeks. Charge n (or return "" at once
// when the string and separator are empty).
TEST_F(Sandbox, StringRepOfAnEmptyStringManyTimesEnds) {
  auto h = attacker("return #string.rep('', 1e15)");
  auto started = std::chrono::steady_clock::now();
  auto out = run(h, "\"attack\"");
  auto took = std::chrono::steady_clock::now() - started;
  if (!out) {
    EXPECT_EQ(out.error().code(), static_cast<std::uint8_t>(errc::limit_exceeded))
      << text_of(out.error());
  }
  EXPECT_LT(took, std::chrono::seconds(2));
  expect_unharmed(h);
}

// -- __gc and to-be-closed variables -------------------------------------------------------------

TEST_F(Sandbox, GcMetamethodIsRefused) {
  expect_stopped("setmetatable({}, {__gc = function() while true do end end})",
                 errc::plugin_failed, "__gc metamethods are not allowed");
}

TEST_F(Sandbox, GcAddedAfterSetmetatableNeverRuns) {
  EXPECT_EQ(attack_result("gc_ran = false local mt = {} setmetatable({}, mt) "
                          "mt.__gc = function() gc_ran = true while true do end end "
                          "collectgarbage() collectgarbage() return gc_ran"),
            false);
}

constexpr const char* looping_close =
  "local function looping() return setmetatable({}, {__close = function() while true do end "
  "end}) end\n";

TEST_F(Sandbox, LoopingCloseOnReturnIsStopped) {
  expect_stopped("local guard <close> = looping() return 'done'", errc::limit_exceeded,
                 instruction_stop, {}, looping_close);
}

TEST_F(Sandbox, LoopingCloseAfterAStopDoesNotHang) {
  expect_stopped("local guard <close> = looping() while true do end", errc::limit_exceeded,
                 instruction_stop, {}, looping_close);
  expect_stopped("pcall(function() local guard <close> = looping() while true do end end)",
                 errc::limit_exceeded, instruction_stop, {}, looping_close);
}

TEST_F(Sandbox, CoroutineCloseWithALoopingCloseIsStopped) {
  expect_stopped("local co = coroutine.create(function() local g <close> = looping() "
                 "coroutine.yield() end) coroutine.resume(co) return coroutine.close(co)",
                 errc::limit_exceeded, instruction_stop, {}, looping_close);
}

TEST_F(Sandbox, CoroutineStoppedInOneCallCannotHangTheNext) {
  auto h = host_ok(std::string(looping_close) + R"(
    function execute(x)
      if x == "attack" then
        stash = coroutine.create(function() local g <close> = looping() while true do end end)
        return coroutine.resume(stash)
      end
      if x == "close" then return {coroutine.close(stash)} end
      return "ok"
    end
  )", {}, small_limits(), "attacker");
  EXPECT_LUA_ERROR(run(h, "\"attack\""), errc::limit_exceeded, instruction_stop);
  auto closed = run(h, "\"close\"");
  ASSERT_TRUE(closed) << text_of(closed.error());
  EXPECT_EQ((*closed)[0], false) << *closed;
  expect_unharmed(h);
}

} // namespace
} // namespace troupe::lua::test
