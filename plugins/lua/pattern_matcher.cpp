#include "plugins/lua/pattern_matcher.hpp"

#include <algorithm>
#include <cctype>

// Cost model (units charged to the step_meter): one per pattern item visited by the matcher, one
// per subject byte examined by a repetition, a %b scan or a back reference, and one per 16
// pattern bytes scanned when a character set ("[...]") is delimited or searched.

namespace troupe::lua {

namespace {

constexpr std::ptrdiff_t unfinished = -1; // capture opened, not closed yet
constexpr std::ptrdiff_t position = -2;   // "()" capture: records only where it stands
constexpr std::uint64_t set_bytes_per_step = 16;

/// True when `c` belongs to the class letter `cl` of "%cl" (upper case negates; any other
/// character stands for itself).
bool in_class(unsigned char c, unsigned char cl) {
  int found = 0;
  switch (cl) {
  case 'a': case 'A': found = std::isalpha(c); break;
  case 'c': case 'C': found = std::iscntrl(c); break;
  case 'd': case 'D': found = std::isdigit(c); break;
  case 'g': case 'G': found = std::isgraph(c); break;
  case 'l': case 'L': found = std::islower(c); break;
  case 'p': case 'P': found = std::ispunct(c); break;
  case 's': case 'S': found = std::isspace(c); break;
  case 'u': case 'U': found = std::isupper(c); break;
  case 'w': case 'W': found = std::isalnum(c); break;
  case 'x': case 'X': found = std::isxdigit(c); break;
  case 'z': case 'Z': found = c == 0; break; // deprecated "%z" (NUL), still honoured by Lua 5.4
  default: return cl == c;
  }
  return (cl >= 'A' && cl <= 'Z') ? found == 0 : found != 0;
}

/// Keeps the matcher's nesting under max_depth for as long as one match() frame lives.
class depth_guard {
public:
  depth_guard(lua_State* L, int& left) : left_(left) {
    if (left_ == 0)
      luaL_error(L, "pattern too complex");
    --left_;
  }
  ~depth_guard() { ++left_; }
  depth_guard(const depth_guard&) = delete;
  depth_guard& operator=(const depth_guard&) = delete;

private:
  int& left_;
};

} // namespace

void step_counter::flush() {
  std::uint64_t n = pending_;
  pending_ = 0;
  charged_ = true;
  meter_->charge(L_, n);
}

void step_counter::finish() {
  if (pending_ == 0 && charged_)
    return;
  if (pending_ == 0)
    pending_ = 1;
  flush();
}

/// Either a final answer of match() (`done`) or the subject and pattern offsets to go on with.
struct pattern_matcher::next {
  std::size_t s;
  std::size_t p;
  bool done;
  static next result(std::size_t s) { return {s, 0, true}; }
  static next fail() { return {npos, 0, true}; }
  static next go_on(std::size_t s, std::size_t p) { return {s, p, false}; }
};

pattern_matcher::pattern_matcher(lua_State* L, step_counter& steps, std::string_view subject,
                                 std::string_view pattern)
    : L_(L), steps_(steps), subject_(subject), pattern_(pattern) {}

unsigned char pattern_matcher::pat(std::size_t i) const {
  // Past the end reads as NUL, like the terminator of a Lua string.
  return i < pattern_.size() ? static_cast<unsigned char>(pattern_[i]) : 0;
}

std::size_t pattern_matcher::match_at(std::size_t start) {
  level_ = 0;
  depth_left_ = max_depth;
  return match(start, 0);
}

std::size_t pattern_matcher::match(std::size_t s, std::size_t p) {
  depth_guard guard(L_, depth_left_);
  for (;;) {
    steps_.add(1);
    if (p == pattern_.size())
      return s;
    next n = item(s, p);
    if (n.done)
      return n.s;
    s = n.s;
    p = n.p;
  }
}

pattern_matcher::next pattern_matcher::item(std::size_t s, std::size_t p) {
  switch (pattern_[p]) {
  case '(':
    if (pat(p + 1) == ')')
      return next::result(open_capture(s, p + 2, position));
    return next::result(open_capture(s, p + 1, unfinished));
  case ')':
    return next::result(close_capture(s, p + 1));
  case '$':
    if (p + 1 == pattern_.size())
      return s == subject_.size() ? next::result(s) : next::fail();
    return single_item(s, p);
  case '%':
    return escape_item(s, p);
  default:
    return single_item(s, p);
  }
}

pattern_matcher::next pattern_matcher::escape_item(std::size_t s, std::size_t p) {
  unsigned char c = pat(p + 1);
  if (c == 'b')
    return balance(s, p + 2);
  if (c == 'f')
    return frontier(s, p + 2);
  if (c >= '0' && c <= '9')
    return back_reference(s, p);
  return single_item(s, p);
}

pattern_matcher::next pattern_matcher::single_item(std::size_t s, std::size_t p) {
  std::size_t ep = item_end(p);
  unsigned char suffix = pat(ep);
  if (!single(s, p, ep)) {
    if (suffix == '*' || suffix == '?' || suffix == '-')
      return next::go_on(s, ep + 1); // zero repetitions are fine
    return next::fail();
  }
  switch (suffix) {
  case '?': {
    std::size_t r = match(s + 1, ep + 1);
    return r != npos ? next::result(r) : next::go_on(s, ep + 1);
  }
  case '+': return next::result(max_expand(s + 1, p, ep));
  case '*': return next::result(max_expand(s, p, ep));
  case '-': return next::result(min_expand(s, p, ep));
  default: return next::go_on(s + 1, ep);
  }
}

pattern_matcher::next pattern_matcher::balance(std::size_t s, std::size_t p) {
  if (p + 1 >= pattern_.size())
    luaL_error(L_, "malformed pattern (missing arguments to '%%b')");
  if (s >= subject_.size() || subject_[s] != pattern_[p])
    return next::fail();
  const char open = pattern_[p];
  const char close = pattern_[p + 1];
  int depth = 1;
  for (std::size_t i = s + 1; i < subject_.size(); ++i) {
    steps_.add(1);
    if (subject_[i] == close) {
      if (--depth == 0)
        return next::go_on(i + 1, p + 2);
    } else if (subject_[i] == open) {
      ++depth;
    }
  }
  return next::fail();
}

pattern_matcher::next pattern_matcher::frontier(std::size_t s, std::size_t p) {
  if (pat(p) != '[')
    luaL_error(L_, "missing '[' after '%%f' in pattern");
  std::size_t ep = item_end(p);
  // Outside the subject reads as NUL on both sides.
  unsigned char before = s == 0 ? 0 : static_cast<unsigned char>(subject_[s - 1]);
  unsigned char here = s < subject_.size() ? static_cast<unsigned char>(subject_[s]) : 0;
  if (!in_set(before, p, ep - 1) && in_set(here, p, ep - 1))
    return next::go_on(s, ep);
  return next::fail();
}

pattern_matcher::next pattern_matcher::back_reference(std::size_t s, std::size_t p) {
  int i = pat(p + 1) - '1';
  if (i < 0 || i >= level_ || slots_[i].len == unfinished)
    luaL_error(L_, "invalid capture index %%%d", i + 1);
  if (slots_[i].len == position) // a position capture never matches text
    return next::fail();
  auto len = static_cast<std::size_t>(slots_[i].len);
  if (subject_.size() - s < len)
    return next::fail();
  steps_.add(len);
  if (subject_.compare(s, len, subject_.substr(slots_[i].start, len)) != 0)
    return next::fail();
  return next::go_on(s + len, p + 2);
}

std::size_t pattern_matcher::max_expand(std::size_t s, std::size_t p, std::size_t ep) {
  std::size_t n = 0;
  while (single(s + n, p, ep))
    ++n;
  // Longest run first, giving back one character at a time.
  for (;;) {
    std::size_t r = match(s + n, ep + 1);
    if (r != npos || n == 0)
      return r;
    --n;
  }
}

std::size_t pattern_matcher::min_expand(std::size_t s, std::size_t p, std::size_t ep) {
  for (;;) {
    std::size_t r = match(s, ep + 1);
    if (r != npos)
      return r;
    if (!single(s, p, ep))
      return npos;
    ++s;
  }
}

std::size_t pattern_matcher::open_capture(std::size_t s, std::size_t p, std::ptrdiff_t kind) {
  if (level_ >= max_captures)
    luaL_error(L_, "too many captures");
  slots_[level_] = {s, kind};
  ++level_;
  std::size_t r = match(s, p);
  if (r == npos)
    --level_;
  return r;
}

std::size_t pattern_matcher::close_capture(std::size_t s, std::size_t p) {
  int i = level_ - 1;
  while (i >= 0 && slots_[i].len != unfinished)
    --i;
  if (i < 0)
    luaL_error(L_, "invalid pattern capture");
  slots_[i].len = static_cast<std::ptrdiff_t>(s - slots_[i].start);
  std::size_t r = match(s, p);
  if (r == npos)
    slots_[i].len = unfinished;
  return r;
}

std::size_t pattern_matcher::item_end(std::size_t p) {
  const unsigned char first = pat(p++);
  if (first == '%') {
    if (p == pattern_.size())
      luaL_error(L_, "malformed pattern (ends with '%%')");
    return p + 1;
  }
  if (first != '[')
    return p;
  const std::size_t open = p;
  if (pat(p) == '^')
    ++p;
  do { // the first member is taken literally, even a ']'
    if (p == pattern_.size())
      luaL_error(L_, "malformed pattern (missing ']')");
    if (pat(p++) == '%' && p < pattern_.size())
      ++p; // an escaped character never closes the set
  } while (pat(p) != ']');
  steps_.add((p - open) / set_bytes_per_step);
  return p + 1;
}

bool pattern_matcher::single(std::size_t s, std::size_t p, std::size_t ep) {
  if (s >= subject_.size())
    return false;
  steps_.add(1);
  auto c = static_cast<unsigned char>(subject_[s]);
  switch (pattern_[p]) {
  case '.': return true;
  case '%': return in_class(c, pat(p + 1));
  case '[':
    steps_.add((ep - p) / set_bytes_per_step);
    return in_set(c, p, ep - 1);
  default: return static_cast<unsigned char>(pattern_[p]) == c;
  }
}

bool pattern_matcher::in_set(unsigned char c, std::size_t p, std::size_t close) const {
  // p is the '[' and close the ']' of a set delimited by item_end().
  bool member = true;
  if (pat(p + 1) == '^') {
    member = false;
    ++p;
  }
  while (++p < close) {
    if (pat(p) == '%') {
      ++p;
      if (in_class(c, pat(p)))
        return member;
    } else if (pat(p + 1) == '-' && p + 2 < close) {
      if (pat(p) <= c && c <= pat(p + 2))
        return member;
      p += 2;
    } else if (pat(p) == c) {
      return member;
    }
  }
  return !member;
}

capture_value pattern_matcher::capture(int i, std::size_t s, std::size_t e) const {
  if (i >= level_) {
    if (i != 0)
      luaL_error(L_, "invalid capture index %%%d", i + 1);
    return {false, 0, subject_.substr(s, e - s)};
  }
  const slot& c = slots_[i];
  if (c.len == unfinished)
    luaL_error(L_, "unfinished capture");
  if (c.len == position)
    return {true, static_cast<lua_Integer>(c.start) + 1, {}};
  return {false, 0, subject_.substr(c.start, static_cast<std::size_t>(c.len))};
}

void pattern_matcher::push_capture(int i, std::size_t s, std::size_t e) const {
  capture_value v = capture(i, s, e);
  if (v.is_position)
    lua_pushinteger(L_, v.position);
  else
    lua_pushlstring(L_, v.text.data(), v.text.size());
}

int pattern_matcher::push_captures(std::size_t s, std::size_t e, bool whole_if_none) const {
  int n = (level_ == 0 && whole_if_none) ? 1 : level_;
  luaL_checkstack(L_, n, "too many captures");
  for (int i = 0; i < n; ++i)
    push_capture(i, s, e);
  return n;
}

} // namespace troupe::lua
