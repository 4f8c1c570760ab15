// The metered Lua pattern functions (plugins/lua/bounded_patterns): the same results and error
// messages as Lua 5.4's own string.find/match/gmatch/gsub, checked differentially against the
// stock library, and their work charged to the step meter so runaway patterns are stopped.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <lua.hpp>

#include "plugins/lua/bounded_patterns.hpp"
#include "plugins/lua/lua_state.hpp"
#include "plugins/lua/step_meter.hpp"

namespace {

/// Records what it is charged; raises "step limit exceeded" once the total passes `limit`.
class test_meter : public troupe::lua::step_meter {
public:
  explicit test_meter(std::uint64_t limit = std::numeric_limits<std::uint64_t>::max())
      : limit_(limit) {}
  void charge(lua_State* L, std::uint64_t steps) override {
    total += steps;
    ++calls;
    largest = std::max(largest, steps);
    if (total > limit_)
      luaL_error(L, "step limit exceeded");
  }
  std::uint64_t total = 0;
  std::uint64_t calls = 0;
  std::uint64_t largest = 0;

private:
  std::uint64_t limit_;
};

// compare(name, args) runs string[name](<args>) through the stock function and through ours
// (global `mine`) and returns both outcomes as text: values with their types, or the error
// message without its "chunk:line:" prefix. gmatch outcomes list every round of the iterator.
constexpr const char* driver = R"lua(
local stock = {find = string.find, match = string.match, gmatch = string.gmatch,
               gsub = string.gsub}
local mine, pack, unpack, concat = mine, table.pack, table.unpack, table.concat
local function show(v)
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) == "number" then return math.type(v) .. ":" .. tostring(v) end
  return type(v) .. ":" .. tostring(v)
end
local function show_all(r, first)
  local out = {}
  for i = first or 1, r.n do out[#out + 1] = show(r[i]) end
  return concat(out, ",")
end
local function call(f, ...) return f(...) end
local function iterate(f, ...)
  local it, rounds = f(...), {}
  for _ = 1, 300 do
    local r = pack(it())
    rounds[#rounds + 1] = show_all(r)
    if r.n == 0 then break end
  end
  rounds[#rounds + 1] = show_all(pack(it())) -- an exhausted iterator stays exhausted
  return concat(rounds, ";")
end
local function run(impl, name, args)
  local a = pack(assert(load("return " .. args, "=args"))())
  local r = pack(pcall(name == "gmatch" and iterate or call, impl[name], unpack(a, 1, a.n)))
  if not r[1] then return "error: " .. (tostring(r[2]):gsub("^[^:]*:%d+: ", "")) end
  return show_all(r, 2)
end
function compare(name, args) return run(stock, name, args), run(mine, name, args) end
)lua";

/// A Lua string literal holding exactly `s`.
std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == ' ')
      out += static_cast<char>(c);
    else
      out += "\\" + std::string(c < 100 ? "0" : "") + (c < 10 ? "0" : "") + std::to_string(c);
  }
  return out + "\"";
}

struct pattern_case {
  std::string fn;
  std::string args; ///< Lua expressions, comma-separated.
};

class BoundedPatterns : public ::testing::Test {
protected:
  void SetUp() override {
    lua_State* L = s_.get();
    luaL_openlibs(L);
    lua_newtable(L);
    troupe::lua::open_bounded_patterns(L, &meter_);
    lua_setglobal(L, "mine");
    ASSERT_EQ(luaL_dostring(L, driver), LUA_OK) << lua_tostring(L, -1);
  }

  /// Compares every case; returns the mismatches described (empty when all agree) and counts
  /// in `errors` the cases where stock Lua raised an error.
  std::vector<std::string> differences(const std::vector<pattern_case>& cases,
                                       std::size_t& errors) {
    lua_State* L = s_.get();
    std::vector<std::string> out;
    errors = 0;
    for (const auto& c : cases) {
      lua_getglobal(L, "compare");
      lua_pushstring(L, c.fn.c_str());
      lua_pushlstring(L, c.args.data(), c.args.size());
      if (lua_pcall(L, 2, 2, 0) != LUA_OK) {
        out.push_back(c.fn + "(" + c.args + "): driver failed: " + lua_tostring(L, -1));
        lua_pop(L, 1);
        continue;
      }
      std::string stock = lua_tostring(L, -2), mine = lua_tostring(L, -1);
      lua_pop(L, 2);
      errors += stock.rfind("error: ", 0) == 0 ? 1 : 0;
      if (stock != mine)
        out.push_back(c.fn + "(" + c.args + "): stock " + stock + " / ours " + mine);
    }
    return out;
  }

  /// Runs `code`; returns "ok" or the error message.
  std::string run(const std::string& code) {
    lua_State* L = s_.get();
    if (luaL_dostring(L, code.c_str()) == LUA_OK)
      return "ok";
    std::string msg = lua_tostring(L, -1);
    lua_pop(L, 1);
    return msg;
  }

  troupe::lua::state s_{0};
  test_meter meter_;
};

void expect_no_differences(const std::vector<std::string>& diffs, std::size_t total) {
  EXPECT_TRUE(diffs.empty()) << diffs.size() << " of " << total << " cases differ";
  for (std::size_t i = 0; i < diffs.size() && i < 25; ++i)
    ADD_FAILURE() << diffs[i];
}

const std::vector<std::string> corpus_patterns = {
    "", "a", "^a", "a$", "^$", "^", "$", ".", "..", "a*", "a+", "a-", "a?", ".-b", ".*b",
    "^.-$", "(a)", "(a)(b)", "()", "()a()", "(a*(.)%w(%s*))", "%b()", "%b[]", "%bab", "%b\"\"",
    "%f[%w]%w+", "%f[%W]", "%f[%a]", "%f[%l]", "%f[^%z]", "%a+", "%A+", "%c", "%C+", "%d+", "%D",
    "%g+", "%G", "%l+", "%L", "%p+", "%P+", "%s+", "%S+", "%u+", "%U", "%w+", "%W+", "%x+", "%X",
    "[a-c]+", "[^a-c]+", "[]]", "[]a]+", "[^]]+", "[a-]+", "[-a]", "[%a%d]+", "[%]]", "[a%-z]+",
    "[a-c-e]+", "[%w_]+", "[^%s]+", "%.", "%%", "%-", "a.-a", "(.)%1", "(a+)%1", "((a)(b))",
    "(%w+)=(%w+)", "[", "[a", "[^", "[]", "%", "a%", "(", "(()", ")", "a)", "%1", "(a)%2", "%0",
    "%b", "%ba", "%f", "%fa", "(a)(", "$a", "a^", "^^a", "x*", "x-", "x?", "()x*()", "%z",
    "[%z]", "\\0", "(%d+)%.(%d*)", "%[(.-)%]", "(h)(e)(l)(l)(o)", "%s*$", "^%s*", "o w"};

const std::vector<std::string> corpus_subjects = {
    "", "a", "hello world", "aaab", "(foo(bar))baz", "key=val, k2=v2", "ab]c-d%e.f",
    std::string(" \t\n1x2F_;!\0z\"q\"", 15), "ABC abc 123 3.14", "[a][bb]"};

// Cases needing particular extra arguments.
const std::vector<pattern_case> special_cases = {
    {"find", "'hello', 'l', 1"}, {"find", "'hello', 'l', -1"}, {"find", "'hello', 'l', -2"},
    {"find", "'hello', 'l', -10"}, {"find", "'hello', 'l', 0"}, {"find", "'hello', 'l', 6"},
    {"find", "'hello', '', 6"}, {"find", "'hello', '', 7"}, {"find", "'hello', '', 100"},
    {"find", "'hello', '', -100"}, {"find", "'a.b', '.', 1, true"},
    {"find", "'a.b', '%.', 1, true"}, {"find", "'a(b', '(', 1, true"},
    {"find", "'a(b', '(', 1, false"}, {"find", "'hello', '^h', 2"}, {"find", "'', ''"},
    {"find", "'', '^$'"}, {"find", "'abc', 'b', 2.0"}, {"find", "'abc', 'b', 1.5"},
    {"find", "'abc', 'b', '2'"}, {"find", "'abc', 'b', {}"}, {"find", "123, 2"},
    {"find", "nil, 'a'"}, {"find", "'a', nil"}, {"find", "'abc', 'b', math.maxinteger"},
    {"find", "'abc', 'b', math.mininteger"}, {"find", "'aXb', '%u', 1, 0"},
    {"find", "'aXb', 'X', 1, false"}, {"find", "'a\\0b\\0c', '\\0c'"},
    {"find", "'a\\0b', '%z'"}, {"find", "'a\\0b', '[\\0]'"}, {"find", "'a\\0b', '.\\0.'"},
    {"find", "'abc', '%f[\\0]'"}, {"find", "'THE (quick) fox', '%f[%a]%a+', 5"},
    {"find", "'aaa', 'aaaa', 1, true"}, {"find", "'abcabc', 'cab', -4, true"},
    {"match", "'hello', '(l)(l)', -3"}, {"match", "'hello', '()ll()'"},
    {"match", "'hello', '.', 0"}, {"match", "'hello', '$', 10"}, {"match", "'hello', '', 6"},
    {"match", "'hello', 'l', {}"}, {"match", "'a+b', 'a+b'"}, {"match", "'  x  ', '^%s*(.-)%s*$'"},
    {"match", "'date: 2024-01-31', '(%d+)-(%d+)-(%d+)'"}, {"match", "'x', '(x)(' "},
    {"gmatch", "'hello world from lua', '%a+'"}, {"gmatch", "'abc', ''"},
    {"gmatch", "'abc', '', 2"}, {"gmatch", "'abc', '', -1"}, {"gmatch", "'abc', '', 10"},
    {"gmatch", "'abc', '', 4"}, {"gmatch", "'abc', '^a'"}, {"gmatch", "'^a^a', '^a'"},
    {"gmatch", "'k=v, a=b', '(%w+)=(%w+)'"}, {"gmatch", "'abc', '()'"},
    {"gmatch", "'aaa', 'a*'"}, {"gmatch", "'abab', 'a-'"}, {"gmatch", "'abc', 'x*'"},
    {"gmatch", "'abc', '[a'"}, {"gmatch", "'abc', '(.)%2'"}, {"gmatch", "nil, 'a'"},
    {"gmatch", "'a', 'a', 1.5"}, {"gmatch", "'one two', '%a+', -3"},
    {"gsub", "'hello world', 'o', '0'"}, {"gsub", "'hello world', 'o', '0', 1"},
    {"gsub", "'hello world', 'o', '0', 0"}, {"gsub", "'hello world', 'o', '0', -1"},
    {"gsub", "'hello', '', '-'"}, {"gsub", "'hello', 'x*', '-'"}, {"gsub", "'abc', '%w', '%0%0'"},
    {"gsub", "'abc', '(%w)', '%1-'"}, {"gsub", "'abc', '%w', '%1'"}, {"gsub", "'abc', '%w', '%2'"},
    {"gsub", "'abc', '(%w)', '%2'"}, {"gsub", "'abc', '%w', '%%'"}, {"gsub", "'abc', '%w', '%'"},
    {"gsub", "'abc', '%w', '%x'"}, {"gsub", "'abc', '%w', 'a%\\0'"}, {"gsub", "'abc', '()', '%1'"},
    {"gsub", "'abc', '()b()', '%2%1'"}, {"gsub", "'abc', 'b', 5"}, {"gsub", "'abc', 'b', 5.5"},
    {"gsub", "'abc', 'b', true"}, {"gsub", "'abc', 'b', nil"}, {"gsub", "'abc', 'b'"},
    {"gsub", "'hello world', '%w+', {hello = 'HI'}"}, {"gsub", "'abc', '%w', {a = 1, b = false}"},
    {"gsub", "'abc', '%w', {a = {}}"}, {"gsub", "'abc', '()', {[1] = 'X', [3] = 'Y'}"},
    {"gsub", "'abc', '(a)(b)', function(x, y) return y .. x end"},
    {"gsub", "'abc', '%w', function() return nil end"},
    {"gsub", "'abc', '%w', function() return false end"},
    {"gsub", "'abc', '%w', function(c) return c:byte() end"},
    {"gsub", "'abc', '%w', function() return {} end"},
    {"gsub", "'abc', '%w', function() return true end"},
    {"gsub", "'abc', '(%w)()', function(...) return select('#', ...) end"},
    {"gsub", "'abc', '%w', function() error('boom') end"},
    {"gsub", "'abc', '%w', function() error('boom', 0) end"},
    {"gsub", "'abc', '(a', 'x'"}, {"gsub", "'abc', '(a', '%1'"},
    {"gsub", "'abc', '(a', function(x) return x end"}, {"gsub", "'abc', '(a', {}"},
    {"gsub", "'abc', '^a', 'x'"}, {"gsub", "'aaa', '^a', 'x'"}, {"gsub", "'abc', '$', '!'"},
    {"gsub", "'abc', '^', '!'"}, {"gsub", "'', '', 'x'"}, {"gsub", "'', '^', 'x'"},
    {"gsub", "'abc', 'b', 'x', 2.0"}, {"gsub", "'abc', 'b', 'x', '1'"},
    {"gsub", "'abc', 'b', 'x', 1.5"}, {"gsub", "123, '2', 'x'"}, {"gsub", "123, '9', 'x'"},
    {"gsub", "'abc', '%w', setmetatable({}, {__index = function(_, k) return k:upper() end})"},
    {"gsub", "'a,b,,c', ',', ';', 2"}, {"gsub", "'abc', '.', {}, 'x'"},
    {"gsub", "'hello world', '(o)', '[%1%0]'"}, {"gsub", "'x = 1', '%s*=%s*', '='"},
    // Output longer than luaL_Buffer's initial space, so the buffer lives on the Lua stack.
    {"gsub", "('abc'):rep(3000), '%w', function(c) return c:upper() .. c end"},
    {"gsub", "('abc'):rep(3000), '(%w)', {a = 'xyz', c = false}"},
    {"gsub", "('ab'):rep(3000), '()b', '%1'"}, {"gsub", "('ab'):rep(3000), 'a', '%0%0', 4000"},
    {"gmatch", "('ab'):rep(100), '()(%w)'"}, {"find", "('ab'):rep(3000) .. 'c', 'b(c)'"},
    {"match", "'abab', '()a%1'"}, {"gsub", "'abc', '()%1', 'x'"}, // position back reference
};

std::vector<pattern_case> corpus() {
  std::vector<pattern_case> cases = special_cases;
  for (const auto& p : corpus_patterns) {
    std::string pat = p == "\\0" ? std::string(1, '\0') : p;
    for (const auto& s : corpus_subjects) {
      std::string args = quote(s) + ", " + quote(pat);
      for (const char* fn : {"find", "match", "gmatch"})
        cases.push_back({fn, args});
      cases.push_back({"gsub", args + ", '<%0>'"});
    }
  }
  // Around the nesting limit (200) and the capture limit (32).
  for (int k = 194; k <= 206; ++k) {
    std::string n = std::to_string(k);
    cases.push_back({"match", "('a'):rep(300), ('a?'):rep(" + n + ")"});
    cases.push_back({"find", "('a'):rep(300), ('a*'):rep(" + n + ")"});
    cases.push_back({"match", "'xa', ('('):rep(" + n + ") .. 'a' .. (')'):rep(" + n + ")"});
    cases.push_back({"gsub", "('ab'):rep(9), ('.-'):rep(" + n + "), 'x'"});
  }
  for (int k = 30; k <= 34; ++k)
    cases.push_back({"match", "('a'):rep(40), ('(a)'):rep(" + std::to_string(k) + ")"});
  return cases;
}

/// Small random patterns and subjects from a fixed seed.
std::vector<pattern_case> random_cases(std::size_t count) {
  static const std::vector<std::string> atoms = {
      "a", "b", "c", ".", "%a", "%d", "%s", "%w", "%p", "%A", "%S", "[ab]", "[^a]", "[a-c]",
      "[]a]", "[%a-]", "%(", "%.", "%%", "(", ")", "()", "%1", "%2", "%b()", "%f[%w]",
      "%f[^a]", "$", "^", "[", "%", " ", "-", "*", "+", "?", "a", "b", "(.)", "(a*)"};
  static const std::vector<std::string> replacements = {
      "'<%0>'", "'%1'", "'[%2]'", "'%%'", "'x'", "''", "{a = 'A', b = false, [1] = 'one'}",
      "function(...) return select('#', ...) .. '|' .. table.concat({...}, ',') end",
      "function(x) if x == 'a' then return nil end return '(' .. x .. ')' end"};
  static const std::string alphabet = std::string("aab(b)c1 .%]-", 13) + '\0';
  std::mt19937 gen(20240531);
  auto pick = [&gen](std::size_t n) { return static_cast<std::size_t>(gen() % n); };
  auto opt_int = [&](int lo, int hi) {
    return pick(3) == 0 ? std::string("nil") : std::to_string(lo + static_cast<int>(pick(hi - lo + 1)));
  };
  std::vector<pattern_case> cases;
  for (std::size_t i = 0; i < count; ++i) {
    std::string pat, subject;
    for (std::size_t k = 1 + pick(6); k > 0; --k) {
      pat += atoms[pick(atoms.size())];
      if (pick(4) == 0)
        pat += "*+-?"[pick(4)];
    }
    for (std::size_t k = pick(13); k > 0; --k)
      subject += alphabet[pick(alphabet.size())];
    std::string args = quote(subject) + ", " + quote(pat);
    switch (pick(4)) {
    case 0: cases.push_back({"find", args + ", " + opt_int(-4, 14) + ", " + (pick(5) ? "nil" : "true")}); break;
    case 1: cases.push_back({"match", args + ", " + opt_int(-4, 14)}); break;
    case 2: cases.push_back({"gmatch", args + ", " + opt_int(-4, 14)}); break;
    default:
      cases.push_back({"gsub", args + ", " + replacements[pick(replacements.size())] + ", " + opt_int(-1, 3)});
    }
  }
  return cases;
}

TEST_F(BoundedPatterns, CorpusGivesTheSameResultsAndErrorsAsStockLua) {
  auto cases = corpus();
  EXPECT_GT(cases.size(), 4000u);
  std::size_t errors = 0;
  expect_no_differences(differences(cases, errors), cases.size());
  EXPECT_GT(errors, 300u);               // error messages are compared too...
  EXPECT_LT(errors, cases.size() / 3);   // ...but most cases produce results
  EXPECT_GT(meter_.total, 0u); // ours really ran
}

TEST_F(BoundedPatterns, RandomPatternsGiveTheSameResultsAsStockLua) {
  auto cases = random_cases(5000);
  std::size_t errors = 0;
  expect_no_differences(differences(cases, errors), cases.size());
  EXPECT_GT(errors, 200u);
  EXPECT_LT(errors, cases.size() / 2);
}

TEST_F(BoundedPatterns, NestingBeyond200LevelsIsPatternTooComplex) {
  EXPECT_EQ(run("assert(mine.match(('a'):rep(300), ('a?'):rep(150)))"), "ok");
  EXPECT_NE(run("mine.match(('a'):rep(300), ('a?'):rep(250))").find("pattern too complex"),
            std::string::npos);
}

/// A sandboxed state whose meter raises after `limit` steps.
struct limited {
  explicit limited(std::uint64_t limit) : meter(limit) {
    luaL_openlibs(s.get());
    lua_newtable(s.get());
    troupe::lua::open_bounded_patterns(s.get(), &meter);
    lua_setglobal(s.get(), "mine");
  }
  /// Runs `code`; returns its error message ("" if it succeeded) and the seconds it took.
  std::pair<std::string, double> run(const std::string& code) {
    auto t0 = std::chrono::steady_clock::now();
    int rc = luaL_dostring(s.get(), code.c_str());
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::string msg = rc == LUA_OK ? "" : lua_tostring(s.get(), -1);
    lua_settop(s.get(), 0);
    return {msg, secs};
  }
  troupe::lua::state s{0};
  test_meter meter;
};

TEST(BoundedPatternsMeter, CatastrophicBacktrackingIsStoppedByTheMeter) {
  constexpr std::uint64_t limit = 1'000'000;
  limited sandbox(limit);
  auto [msg, secs] = sandbox.run("return mine.find(string.rep('a', 50000), '.-.-.-.-b')");
  EXPECT_NE(msg.find("step limit exceeded"), std::string::npos) << msg;
  EXPECT_LT(secs, 1.0);
  EXPECT_GT(sandbox.meter.total, limit);
  EXPECT_LT(sandbox.meter.total, limit + 2 * 4096 + 100);
}

TEST(BoundedPatternsMeter, EveryFunctionAndCostlyConstructIsStoppedByTheMeter) {
  const std::vector<std::string> runaways = {
      "mine.match(string.rep('a', 50000), '.-.-.-.-b')",
      "for _ in mine.gmatch(string.rep('a', 50000), '.-.-.-b') do end",
      "mine.gsub(string.rep('a', 50000), 'a*a*a*b', '')",
      "mine.find(string.rep('(', 100000), '%b()')",                 // long %b scans
      "mine.find(string.rep('a', 200000), string.rep('a', 100000) .. 'b', 1, true)",
      "mine.find(string.rep('a', 100000), '[' .. string.rep('b', 100000) .. ']*c')",
      "mine.find(string.rep('ab', 50000), '(.-)%1%1c')",            // back references
      "mine.gsub(string.rep('a', 100000), '', string.rep('x', 1000))"}; // output bytes
  for (const auto& code : runaways) {
    limited sandbox(2'000'000);
    auto [msg, secs] = sandbox.run(code);
    EXPECT_NE(msg.find("step limit exceeded"), std::string::npos) << code << ": " << msg;
    EXPECT_LT(secs, 2.0) << code;
  }
}

TEST(BoundedPatternsMeter, ACheapCallChargesASmallPositiveAmount) {
  for (const char* code : {"return mine.find('hello world', 'wor')",
                           "return mine.find('hello world', 'o w', 1, true)",
                           "return mine.match('key=value', '(%w+)=(%w+)')",
                           "return mine.gsub('a,b', ',', ';')", "return mine.gmatch('a', 'a')",
                           "return mine.find('abc', 'x', 10)"}) {
    limited sandbox(1'000'000);
    EXPECT_EQ(sandbox.run(code).first, "") << code;
    EXPECT_GT(sandbox.meter.total, 0u) << code;
    EXPECT_LT(sandbox.meter.total, 100u) << code;
    EXPECT_EQ(sandbox.meter.calls, 1u) << code;
  }
}

TEST(BoundedPatternsMeter, LongCallsAreChargedInBatchesAsTheyGo) {
  limited sandbox(std::numeric_limits<std::uint64_t>::max());
  // About n^3/6 steps for n = 300: every start, every split of the two '.-'.
  EXPECT_EQ(sandbox.run("assert(not mine.find(string.rep('a', 300), '.-.-b'))").first, "");
  EXPECT_GT(sandbox.meter.total, 300u * 300u * 300u / 6);
  EXPECT_GT(sandbox.meter.calls, 100u);
  EXPECT_LE(sandbox.meter.largest, 4096u + 64u);
}

TEST(BoundedPatternsMeter, InstalledIntoTheStringTableServesMethodCalls) {
  limited sandbox(1'000'000);
  lua_getglobal(sandbox.s.get(), "string");
  troupe::lua::open_bounded_patterns(sandbox.s.get(), &sandbox.meter);
  lua_pop(sandbox.s.get(), 1);
  EXPECT_EQ(sandbox.run("assert(select(1, ('a,b'):gsub(',', ';')) == 'a;b')\n"
                        "assert(('x=1'):match('(%w)=(%d)') == 'x')")
                .first,
            "");
  EXPECT_EQ(sandbox.meter.calls, 2u);
  auto [msg, secs] = sandbox.run("return ('a'):rep(50000):find('.-.-.-.-b')");
  EXPECT_NE(msg.find("step limit exceeded"), std::string::npos) << msg;
}

} // namespace
