#include "plugins/lua/bounded_patterns.hpp"

#include <algorithm>
#include <cstring>
#include <new>
#include <string_view>

#include "plugins/lua/pattern_matcher.hpp"

// The Lua bindings: argument handling as in Lua 5.4's string library, matching done by
// pattern_matcher, work charged through one step_counter per call. Every function's upvalue 1 is
// the step_meter (light userdata); gmatch's iterator keeps it as upvalue 4.

namespace troupe::lua {

namespace {

constexpr std::size_t npos = pattern_matcher::npos;
constexpr std::uint64_t scanned_bytes_per_step = 16; // memchr is cheap per byte

step_meter* meter_at(lua_State* L, int upvalue) {
  return static_cast<step_meter*>(lua_touserdata(L, lua_upvalueindex(upvalue)));
}

std::string_view check_string(lua_State* L, int arg) {
  std::size_t len = 0;
  const char* s = luaL_checklstring(L, arg, &len);
  return {s, len};
}

std::string_view string_at(lua_State* L, int idx) {
  std::size_t len = 0;
  const char* s = lua_tolstring(L, idx, &len);
  return {s, len};
}

/// A Lua start position (1-based, negative counts from the end) as a 0-based offset, which may
/// lie past the end of a subject of `len` bytes.
std::size_t start_offset(lua_Integer pos, std::size_t len) {
  if (pos > 0)
    return static_cast<std::size_t>(pos) - 1;
  if (pos == 0 || pos < -static_cast<lua_Integer>(len))
    return 0;
  return len - static_cast<std::size_t>(-pos);
}

bool has_specials(std::string_view p) {
  static constexpr std::string_view specials = "^$*+?.([%-";
  return p.find_first_of(specials) != std::string_view::npos;
}

/// First offset >= from where `needle` occurs in `s` (from <= s.size()), or npos.
std::size_t plain_find(std::string_view s, std::size_t from, std::string_view needle,
                       step_counter& steps) {
  if (needle.empty())
    return from;
  if (needle.size() > s.size() - from)
    return npos;
  const std::size_t last = s.size() - needle.size();
  for (std::size_t i = from; i <= last;) {
    const void* hit = std::memchr(s.data() + i, needle[0], last - i + 1);
    std::size_t at = hit ? static_cast<const char*>(hit) - s.data() : last + 1;
    steps.add(1 + (at - i) / scanned_bytes_per_step);
    if (at > last)
      return npos;
    auto rest = needle.substr(1);
    auto diff = std::mismatch(rest.begin(), rest.end(), s.begin() + at + 1);
    steps.add(static_cast<std::uint64_t>(diff.first - rest.begin()));
    if (diff.first == rest.end())
      return at;
    i = at + 1;
  }
  return npos;
}

/// Removes a leading '^' from `p`; returns whether there was one.
bool take_anchor(std::string_view& p) {
  if (p.empty() || p[0] != '^')
    return false;
  p.remove_prefix(1);
  return true;
}

int push_fail(lua_State* L, step_counter& steps) {
  steps.finish();
  luaL_pushfail(L);
  return 1;
}

/// string.find (find == true) and string.match.
int find_or_match(lua_State* L, bool find) {
  step_counter steps(L, meter_at(L, 1));
  std::string_view s = check_string(L, 1);
  std::string_view p = check_string(L, 2);
  std::size_t init = start_offset(luaL_optinteger(L, 3, 1), s.size());
  if (init > s.size())
    return push_fail(L, steps);
  if (find && (lua_toboolean(L, 4) || !has_specials(p))) {
    std::size_t at = plain_find(s, init, p, steps);
    if (at == npos)
      return push_fail(L, steps);
    steps.finish();
    lua_pushinteger(L, static_cast<lua_Integer>(at) + 1);
    lua_pushinteger(L, static_cast<lua_Integer>(at + p.size()));
    return 2;
  }
  const bool anchor = take_anchor(p);
  pattern_matcher m(L, steps, s, p);
  for (std::size_t start = init;; ++start) {
    std::size_t end = m.match_at(start);
    if (end != npos) {
      steps.finish();
      if (!find)
        return m.push_captures(start, end, true);
      lua_pushinteger(L, static_cast<lua_Integer>(start) + 1);
      lua_pushinteger(L, static_cast<lua_Integer>(end));
      return 2 + m.push_captures(start, end, false);
    }
    if (anchor || start >= s.size())
      return push_fail(L, steps);
  }
}

int bounded_find(lua_State* L) { return find_or_match(L, true); }
int bounded_match(lua_State* L) { return find_or_match(L, false); }

/// Where a gmatch iterator goes on; lives in a userdata upvalue.
struct gmatch_state {
  std::size_t next;      ///< Offset to try first.
  std::size_t last_end;  ///< End of the previous match, which an empty match may not repeat.
};

int gmatch_step(lua_State* L) {
  step_counter steps(L, meter_at(L, 4));
  std::string_view s = string_at(L, lua_upvalueindex(1));
  std::string_view p = string_at(L, lua_upvalueindex(2));
  auto* state = static_cast<gmatch_state*>(lua_touserdata(L, lua_upvalueindex(3)));
  pattern_matcher m(L, steps, s, p); // a leading '^' is an ordinary character here
  for (std::size_t src = state->next; src <= s.size(); ++src) {
    std::size_t end = m.match_at(src);
    if (end != npos && end != state->last_end) {
      state->next = state->last_end = end;
      steps.finish();
      return m.push_captures(src, end, true);
    }
  }
  steps.finish();
  return 0;
}

int bounded_gmatch(lua_State* L) {
  step_counter steps(L, meter_at(L, 1));
  std::string_view s = check_string(L, 1);
  check_string(L, 2);
  std::size_t init = start_offset(luaL_optinteger(L, 3, 1), s.size());
  lua_settop(L, 2); // the subject and pattern become the iterator's upvalues 1 and 2
  void* mem = lua_newuserdatauv(L, sizeof(gmatch_state), 0);
  new (mem) gmatch_state{std::min(init, s.size() + 1), npos};
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushcclosure(L, gmatch_step, 4);
  steps.finish();
  return 1;
}

/// One call of gsub: the subject (argument 1), the replacement (argument 3) and the output.
struct gsub_call {
  lua_State* L;
  step_counter& steps;
  pattern_matcher& m;
  luaL_Buffer& out;
  int repl_type;
  std::string_view subject;

  void append(std::string_view text) {
    steps.add(text.size());
    luaL_addlstring(&out, text.data(), text.size());
  }
  void append_capture(int i, std::size_t s, std::size_t e);
  void append_template(std::size_t s, std::size_t e);
  bool append_replacement(std::size_t s, std::size_t e);
};

void gsub_call::append_capture(int i, std::size_t s, std::size_t e) {
  capture_value v = m.capture(i, s, e);
  if (!v.is_position)
    return append(v.text);
  lua_pushinteger(L, v.position);
  steps.add(1);
  luaL_addvalue(&out);
}

/// Appends the replacement string with %0..%9 and %% expanded for the match [s, e).
void gsub_call::append_template(std::size_t s, std::size_t e) {
  std::string_view repl = string_at(L, 3);
  for (;;) {
    std::size_t pct = repl.find('%');
    append(repl.substr(0, pct));
    if (pct == std::string_view::npos)
      return;
    const char c = pct + 1 < repl.size() ? repl[pct + 1] : '\0';
    if (c == '%')
      append("%");
    else if (c == '0')
      append(subject.substr(s, e - s));
    else if (c >= '1' && c <= '9')
      append_capture(c - '1', s, e);
    else
      luaL_error(L, "invalid use of '%%' in replacement string");
    repl.remove_prefix(pct + 2);
  }
}

/// Appends what replaces the match [s, e); returns false when the original text was kept.
bool gsub_call::append_replacement(std::size_t s, std::size_t e) {
  if (repl_type == LUA_TFUNCTION) {
    lua_pushvalue(L, 3);
    int n = m.push_captures(s, e, true);
    lua_call(L, n, 1);
  } else if (repl_type == LUA_TTABLE) {
    m.push_capture(0, s, e);
    lua_gettable(L, 3);
  } else {
    append_template(s, e);
    return true;
  }
  if (!lua_toboolean(L, -1)) { // nil or false keeps the match
    lua_pop(L, 1);
    append(subject.substr(s, e - s));
    return false;
  }
  if (!lua_isstring(L, -1))
    luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
  steps.add(lua_rawlen(L, -1));
  luaL_addvalue(&out);
  return true;
}

int bounded_gsub(lua_State* L) {
  step_counter steps(L, meter_at(L, 1));
  std::string_view s = check_string(L, 1);
  std::string_view p = check_string(L, 2);
  const int repl_type = lua_type(L, 3);
  const lua_Integer max_n = luaL_optinteger(L, 4, static_cast<lua_Integer>(s.size()) + 1);
  luaL_argexpected(L,
                   repl_type == LUA_TNUMBER || repl_type == LUA_TSTRING
                       || repl_type == LUA_TFUNCTION || repl_type == LUA_TTABLE,
                   3, "string/function/table");
  const bool anchor = take_anchor(p);
  pattern_matcher m(L, steps, s, p);
  luaL_Buffer out;
  luaL_buffinit(L, &out);
  gsub_call call{L, steps, m, out, repl_type, s};
  std::size_t src = 0;
  std::size_t last_end = npos;
  lua_Integer n = 0;
  bool changed = false;
  while (n < max_n) {
    std::size_t end = m.match_at(src);
    if (end != npos && end != last_end) {
      ++n;
      changed = call.append_replacement(src, end) || changed;
      src = last_end = end;
    } else if (src < s.size()) {
      steps.add(1);
      luaL_addchar(&out, s[src++]);
    } else {
      break;
    }
    if (anchor)
      break;
  }
  if (!changed) {
    lua_pushvalue(L, 1);
  } else {
    call.append(s.substr(src));
    luaL_pushresult(&out);
  }
  lua_pushinteger(L, n);
  steps.finish();
  return 2;
}

} // namespace

void open_bounded_patterns(lua_State* L, step_meter* meter) {
  const int table = lua_absindex(L, -1);
  const luaL_Reg functions[] = {{"find", bounded_find},
                                {"match", bounded_match},
                                {"gmatch", bounded_gmatch},
                                {"gsub", bounded_gsub}};
  for (const luaL_Reg& f : functions) {
    lua_pushlightuserdata(L, meter);
    lua_pushcclosure(L, f.func, 1);
    lua_setfield(L, table, f.name);
  }
}

} // namespace troupe::lua
