#pragma once
// Differential testing against the stock Lua 5.4 interpreter: the same chunk, named "f.lua" on
// both sides, runs in the sandbox (a script_runner, as a plugin's main chunk) and in Debian's
// `lua5.4` as a real process; each case prints one line saying what happened, and the lines are
// compared as strings.

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "lua/lua_test_support.hpp"
#include "plugins/lua/script_runner.hpp"

namespace troupe::lua::test {

/// One case: `body` is the body of a function; what it returns or raises is recorded.
struct parity_case {
  std::string name;
  std::string body;
};

/// Runs each case inside pcall and records "name => ok?, values..." with every value written
/// out deterministically (no addresses). Uses only functions the sandbox and stock Lua share.
constexpr const char* parity_prelude = R"lua(local results = {}
local function escape(c) return "\\" .. string.byte(c) end
local function ser(v, depth)
  local t = type(v)
  if t == "string" then return '"' .. (string.gsub(v, '[%c"\\]', escape)) .. '"' end
  if t == "number" then
    if math.type(v) == "integer" then return tostring(v) end
    return "float:" .. string.format("%.17g", v)
  end
  if t == "table" then
    local mt = getmetatable(v)
    if type(mt) == "table" and mt.__tostring then return "table<" .. tostring(v) .. ">" end
    if depth > 2 then return "{...}" end
    local items = {}
    for k, x in pairs(v) do items[#items + 1] = ser(k, depth + 1) .. "=" .. ser(x, depth + 1) end
    table.sort(items)
    return "{" .. table.concat(items, ",") .. "}"
  end
  if t == "nil" or t == "boolean" then return tostring(v) end
  return t
end
local function run(name, f)
  local r = table.pack(pcall(f))
  local parts = {}
  for i = 1, r.n do parts[i] = ser(r[i], 0) end
  results[#results + 1] = name .. " => " .. table.concat(parts, ", ")
end
)lua";

constexpr const char* parity_epilogue = R"lua(local out = table.concat(results, "\n") .. "\n"
if io then io.write(out) else RESULT = out end
)lua";

/// The chunk that runs `cases` in order.
inline std::string parity_chunk(const std::vector<parity_case>& cases) {
  std::string chunk = parity_prelude;
  for (const auto& c : cases)
    chunk += "run(\"" + c.name + "\", function()\n" + c.body + "\nend)\n";
  return chunk + parity_epilogue;
}

/// "name => result" lines as a map (a line without " => " is kept whole under its own text).
inline std::map<std::string, std::string> parity_lines(const std::string& text) {
  std::map<std::string, std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    auto arrow = line.find(" => ");
    if (arrow == std::string::npos)
      lines[line] = "(not a result line)";
    else
      lines[line.substr(0, arrow)] = line.substr(arrow + 4);
  }
  return lines;
}

/// The stock interpreter: $LUA5_4 if set, else `lua5.4` found on PATH, else "".
inline std::string stock_lua_path() {
  if (const char* forced = std::getenv("LUA5_4"))
    return forced;
  std::string path = std::getenv("PATH") ? std::getenv("PATH") : "/usr/bin:/bin";
  std::istringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / "lua5.4";
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate.string();
  }
  return "";
}

/// Output of `lua5.4 f.lua` run in `dir` (where f.lua holds the chunk); a failure says why.
inline testing::AssertionResult run_stock(const std::filesystem::path& dir, std::string& out) {
  auto lua = stock_lua_path();
  if (lua.empty())
    return testing::AssertionFailure()
           << "the stock Lua interpreter 'lua5.4' is not installed (not on PATH); it is needed to "
              "compare the sandbox with stock Lua: run deploy/install-deps.sh or apt-get install "
              "lua5.4";
  auto command = "cd '" + dir.string() + "' && '" + lua + "' f.lua 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr)
    return testing::AssertionFailure() << "cannot run " << command;
  std::array<char, 4096> buffer{};
  out.clear();
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    out.append(buffer.data(), n);
  int status = ::pclose(pipe);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return testing::AssertionFailure() << command << " failed (status " << status << "): " << out;
  return testing::AssertionSuccess();
}

/// Limits under which every parity chunk runs to its end: no wall-time stop on a busy machine,
/// and no call-depth limit, which is checked every 1000 instructions and so would stop a deep
/// recursion (such as a message handler that fails) at a point that depends on unrelated code.
/// Resource stops are tested on their own (sandbox_test.cpp, sandbox_resources_test.cpp).
inline sandbox_limits parity_limits() {
  auto limits = small_limits();
  limits.wall_time = std::chrono::milliseconds(60'000);
  limits.instructions = 10'000'000;
  limits.call_depth = 0;
  return limits;
}

/// RESULT after running `chunk` as the main chunk of a sandboxed script named f.lua.
inline testing::AssertionResult run_sandboxed(const std::string& chunk, std::string& out) {
  script_runner runner("parity", "f.lua", parity_limits());
  if (auto err = runner.open(chunk))
    return testing::AssertionFailure() << "the sandbox did not run the chunk: " << text_of(err);
  auto err = runner.protect("reading RESULT", [&](lua_State* L) {
    lua_getglobal(L, "RESULT");
    std::size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    out = s ? std::string(s, len) : "(RESULT is not a string)";
  });
  if (err)
    return testing::AssertionFailure() << text_of(err);
  return testing::AssertionSuccess();
}

/// A test that runs cases on both sides and expects identical lines.
class StockParity : public lua_fixture {
protected:
  /// How the sandbox side runs a chunk: its printed lines go to `out`.
  using sandbox_runner = testing::AssertionResult (*)(const std::string& chunk, std::string& out);

  /// Runs `cases` as stock's main chunk and with `run` in the sandbox; expects identical lines.
  void expect_same_as_stock(const std::vector<parity_case>& cases,
                            sandbox_runner run = run_sandboxed) {
    auto chunk = parity_chunk(cases);
    write_script("f.lua", chunk);
    std::string stock_out;
    std::string sandbox_out;
    ASSERT_TRUE(run_stock(dir(), stock_out));
    ASSERT_TRUE(run(chunk, sandbox_out));
    if (std::getenv("TROUPE_PARITY_DUMP") != nullptr) // to read what both sides said
      std::cerr << "--- stock\n" << stock_out << "--- sandbox\n" << sandbox_out;
    auto stock = parity_lines(stock_out);
    auto sandboxed = parity_lines(sandbox_out);
    ASSERT_EQ(stock.size(), cases.size()) << stock_out;
    ASSERT_EQ(sandboxed.size(), cases.size()) << sandbox_out;
    for (const auto& c : cases)
      EXPECT_EQ(sandboxed[c.name], stock[c.name]) << "case '" << c.name << "':\n" << c.body;
  }

  /// The sandbox's lines for `cases` (for deliberate differences, asserted on their own).
  std::map<std::string, std::string> sandbox_only(const std::vector<parity_case>& cases) {
    std::string out;
    EXPECT_TRUE(run_sandboxed(parity_chunk(cases), out));
    return parity_lines(out);
  }

  /// The stock interpreter's lines for `cases`.
  std::map<std::string, std::string> stock_only(const std::vector<parity_case>& cases) {
    write_script("f.lua", parity_chunk(cases));
    std::string out;
    EXPECT_TRUE(run_stock(dir(), out));
    return parity_lines(out);
  }
};

} // namespace troupe::lua::test
