#include "mcp/mcp_stdio.hpp"

#include <istream>
#include <ostream>
#include <string>

namespace troupe::mcp {

namespace {

/// Reads one line of at most max_stdio_line bytes into `line`; sets `too_long` (and drops the
/// rest of the line) past it. False at the end of the input.
bool read_line(std::istream& in, std::string& line, bool& too_long) {
  line.clear();
  too_long = false;
  std::streambuf* buf = in.rdbuf();
  for (;;) {
    int c = buf->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      in.setstate(std::ios::eofbit);
      return !line.empty() || too_long;
    }
    if (c == '\n')
      return true;
    if (line.size() < max_stdio_line)
      line.push_back(static_cast<char>(c));
    else
      too_long = true;
  }
}

} // namespace

std::size_t serve_stdio(const mcp_server& server, std::istream& in, std::ostream& out) {
  std::size_t answered = 0;
  std::string line;
  bool too_long = false;
  while (read_line(in, line, too_long)) {
    std::string answer;
    if (too_long)
      answer = error_text(nullptr, rpc_code::parse_error,
                          "a line longer than " + std::to_string(max_stdio_line) + " bytes");
    else if (line.find_first_not_of(" \t\r") != std::string::npos)
      answer = server.handle(line);
    if (answer.empty())
      continue;
    out << answer << '\n';
    out.flush();
    ++answered;
  }
  return answered;
}

} // namespace troupe::mcp
