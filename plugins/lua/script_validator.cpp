// validate_script: compile-only checks of a script's text.

#include <regex>
#include <sstream>

#include "plugins/lua/script_validator.hpp"
#include "plugins/lua/lua_state.hpp"

namespace troupe::lua {

namespace {

constexpr int max_syntax_errors = 50;
constexpr const char* chunk_name = "=script";

/// Splits "script:12: unexpected symbol near 'x'" into 12 and the message.
script_problem parse_syntax_error(const std::string& text) {
  script_problem p;
  p.message = text;
  auto first = text.find(':');
  if (first == std::string::npos)
    return p;
  auto second = text.find(':', first + 1);
  if (second == std::string::npos)
    return p;
  try {
    p.line = std::stoi(text.substr(first + 1, second - first - 1));
    p.message = text.substr(second + 1);
    if (!p.message.empty() && p.message.front() == ' ')
      p.message.erase(0, 1);
  } catch (const std::exception&) {
    p.line = 0;
  }
  return p;
}

std::vector<std::string> split_lines(const std::string& source) {
  std::vector<std::string> lines;
  std::istringstream in(source);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines)
    text += line + '\n';
  return text;
}

/// Compiles `source` (text mode, never run); the error message or "".
std::string compile_error(const std::string& source) {
  state st{std::size_t{64} << 20};
  lua_State* L = st.get();
  if (luaL_loadbufferx(L, source.data(), source.size(), chunk_name, "t") == LUA_OK)
    return {};
  const char* message = lua_tostring(L, -1);
  return message != nullptr ? message : "cannot compile";
}

/// Syntax errors, found one at a time: each failing line is blanked and the text parsed again.
void syntax_errors(const std::string& source, std::vector<script_problem>& out) {
  auto lines = split_lines(source);
  auto text = source;
  int previous_line = -1;
  for (int round = 0; round < max_syntax_errors; ++round) {
    auto message = compile_error(text);
    if (message.empty())
      return;
    auto problem = parse_syntax_error(message);
    bool repeat = problem.line == previous_line;
    if (!repeat)
      out.push_back(problem);
    // An error at the end (a missing 'end') or one that blanking cannot move ends the search.
    if (repeat || problem.line <= 0 || problem.line > static_cast<int>(lines.size())
        || message.find("<eof>") != std::string::npos)
      return;
    lines[static_cast<std::size_t>(problem.line - 1)].clear();
    text = join_lines(lines);
    previous_line = problem.line;
  }
}

/// Removes a line's comment (a rough cut: "--" outside quotes).
std::string without_comment(const std::string& line) {
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote != 0) {
      if (c == '\\')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '-' && i + 1 < line.size() && line[i + 1] == '-') {
      return line.substr(0, i);
    }
  }
  return line;
}

void sandbox_warnings(const std::string& source, bool& defines_execute,
                      std::vector<script_problem>& out) {
  static const std::regex unavailable(
    R"(\b(io|debug|package)\s*\.|\b(require|dofile|loadfile)\s*[\(\"']|\bos\s*\.\s*(\w+)|\bstring\s*\.\s*dump\b)");
  static const std::regex execute_def(
    R"(^\s*(local\s+)?function\s+execute\s*\(|^\s*execute\s*=\s*function\b)");
  auto lines = split_lines(source);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    auto code = without_comment(lines[i]);
    if (std::regex_search(code, execute_def))
      defines_execute = true;
    for (std::sregex_iterator it(code.begin(), code.end(), unavailable), end; it != end; ++it) {
      const auto& m = *it;
      std::string what = m.str(0);
      if (m[3].matched && (m.str(3) == "time" || m.str(3) == "clock"))
        continue;
      while (!what.empty() && (what.back() == '(' || what.back() == '"' || what.back() == '\''
                               || what.back() == ' '))
        what.pop_back();
      out.push_back({static_cast<int>(i + 1),
                     "'" + what + "' is not available in the sandbox", true});
    }
  }
}

} // namespace

std::vector<script_problem> validate_script(const std::string& source) {
  std::vector<script_problem> problems;
  if (!source.empty() && source.front() == '\x1b') {
    problems.push_back({0, "binary (precompiled) chunks are not accepted; give the source", false});
    return problems;
  }
  syntax_errors(source, problems);
  bool defines_execute = false;
  sandbox_warnings(source, defines_execute, problems);
  if (!defines_execute)
    problems.push_back({0, "no execute function (define function execute(input) ... end)", false});
  return problems;
}

} // namespace troupe::lua
